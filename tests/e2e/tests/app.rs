//! Drives the real PAKS Desk binary: first-run profile, a new case, a title typed and autosaved,
//! the app closed and started again on the same data folder, the title still there.
//!
//! See `src/lib.rs` for how to run it. It never skips: a missing app, driver or display fails
//! with what to do.

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::*;
use fantoccini::{Client, Locator};

const TITLE: &str = "Mobile birth registration in Bhutan (e2e)";

/// First run: profile, a new case, a title typed until "Saved"; an MDG target linked.
async fn first_run(client: &Client) -> TestResult {
    if first_of(client, &["profile-form", "new-case"]).await? == "profile-form" {
        screenshot(client, "01-first-run-profile").await?;
        check_accessibility(client, "the profile form").await?;
        let focused = focused_id(client).await?;
        ensure(focused.is_none(), format!("the first screen took the focus to #{focused:?}"))?;
        fill_profile(client, ["Tashi Dorji", "GovTech Agency", "tdorji@example.bt"], "BTN").await?;
    }
    find(client, "new-case").await?;
    screenshot(client, "02-case-list-empty").await?;
    check_accessibility(client, "the empty case list").await?;
    find(client, "new-case").await?.click().await?;

    let title = find(client, "case-title").await?;
    let focused = focused_id(client).await?;
    ensure(
        focused.as_deref() == Some("main"),
        format!("a new view left the focus on #{focused:?}, not on the main region"),
    )?;
    title.send_keys(TITLE).await?;
    let save_state = find(client, "save-state").await?;
    wait_for_attr(&save_state, "data-state", "saved").await?;
    let shown = save_state.text().await?;
    ensure(shown == "Saved", format!("save state shows {shown:?}"))?;

    let summary = find(client, "case-summary").await?;
    summary.send_keys("Parents register births from their phone.").await?;
    wait_for_attr(&save_state, "data-state", "saved").await?;
    let count = find(client, "count-summary").await?.text().await?;
    ensure(count.starts_with("6 of about 300 words"), format!("word count shows {count:?}"))?;

    choose(client, "mdg-goal", "8").await?;
    choose(client, "mdg-target", "8.F").await?;
    find(client, "mdg-note")
        .await?
        .send_keys("Births are registered online, so children get services sooner.")
        .await?;
    find(client, "mdg-link-submit").await?.click().await?;
    find(client, "mdg-link").await?;
    find(client, "sdg-suggestion").await?;
    find(client, "crosswalk-notice").await?;
    client.execute("window.scrollTo(0, 0)", vec![]).await?;
    screenshot(client, "03-case-editor").await?;
    check_accessibility(client, "the case editor").await?;
    client
        .execute("document.querySelector('[data-testid=\"sdg-links\"]').scrollIntoView()", vec![])
        .await?;
    screenshot(client, "04-goal-links").await?;

    find(client, "back-to-list").await?.click().await?;
    let row = find(client, "case-list-item").await?;
    let text = row.text().await?;
    ensure(text.contains(TITLE), format!("case list row shows {text:?}"))?;
    screenshot(client, "05-case-list").await?;
    check_accessibility(client, "the case list").await?;
    Ok(())
}

/// The id of the element that has the focus, if it has one (the page itself has none).
async fn focused_id(client: &Client) -> TestResult<Option<String>> {
    let id = client
        .execute(
            "const active = document.activeElement;
             return active && active !== document.body ? active.id : null;",
            vec![],
        )
        .await?;
    Ok(id.as_str().map(str::to_owned))
}

/// After a restart on the same data folder: no profile form, the case and its title are there.
async fn after_restart(client: &Client) -> TestResult {
    let shown = first_of(client, &["profile-form", "case-list-item", "case-list-empty"]).await?;
    ensure(shown == "case-list-item", format!("after a restart {shown} shows, not the case list"))?;
    let rows = client.find_all(Locator::Css("[data-testid=\"case-list-item\"]")).await?;
    ensure(rows.len() == 1, format!("{} cases listed, wanted 1", rows.len()))?;
    let open = rows[0].find(Locator::Css("[data-testid=\"case-open\"]")).await?;
    let listed = open.text().await?;
    ensure(listed == TITLE, format!("the case is listed as {listed:?}"))?;
    open.click().await?;
    let title = find(client, "case-title").await?.prop("value").await?;
    ensure(title.as_deref() == Some(TITLE), format!("the title field holds {title:?}"))?;
    let links = client.find_all(Locator::Css("[data-testid=\"mdg-link\"]")).await?;
    ensure(links.len() == 1, format!("{} MDG links after the restart, wanted 1", links.len()))?;
    screenshot(client, "06-case-reopened").await?;
    Ok(())
}

#[tokio::test]
async fn a_case_title_survives_a_restart() -> TestResult {
    let data = tempfile::tempdir()?;
    with_drivers(&data.path().join("data"), async |drivers, app| {
        with_session(drivers, app, first_run).await?;
        // A second session starts the app again on the same data folder.
        with_session(drivers, app, after_restart).await
    })
    .await
}

/// A data folder that cannot be opened: the window says why instead of the app crashing.
#[tokio::test]
async fn a_store_that_cannot_open_is_explained() -> TestResult {
    let data = tempfile::tempdir()?;
    let not_a_folder = data.path().join("data");
    fs::write(&not_a_folder, "a file where the data folder should be")?;
    with_drivers(&not_a_folder, async |drivers, app| {
        with_session(drivers, app, async |client: &Client| {
            let shown = find(client, "startup-error").await?.text().await?;
            screenshot(client, "00-startup-error").await?;
            check_accessibility(client, "the startup error").await?;
            ensure(
                shown.contains("Could not open the data folder"),
                format!("the startup error reads {shown:?}"),
            )
        })
        .await
    })
    .await
}

/// The window as a focal point gets it (drawn on the CPU, see src-tauri/src/rendering.rs), on a
/// data folder with more cases than the list shows at first: 50 rows, "Show 50 more" adds the
/// rest; a new case is created, autosaved and listed. The app's own process never loaded a GL
/// driver (under Xvfb, Mesa's llvmpipe: ~20 MiB of LLVM). No screenshots here: WebKitWebDriver
/// cannot take them in this mode.
#[tokio::test]
async fn the_default_cpu_drawn_window_works() -> TestResult {
    let data = tempfile::tempdir()?;
    let dir = data.path().join("data");
    let profile = [
        ["profile", "set"],
        ["--name", "Sonam Wangmo"],
        ["--institution", "GovTech Agency"],
        ["--email", "swangmo@example.bt"],
        ["--country", "BTN"],
    ];
    desk_cli(&dir, profile.as_flattened())?;
    for i in 0..60 {
        desk_cli(
            &dir,
            &["case", "new", "--title", &format!("Older case {i}"), "--country", "BTN"],
        )?;
    }
    let default_drawing = [("PAKS_DESK_GPU", "0".to_owned())];
    with_drivers_env(&dir, &default_drawing, async |drivers, app| {
        with_session(drivers, app, async |client: &Client| {
            find(client, "cases-more").await?;
            wait_for_count(client, "case-list-item", 50).await?;
            let pid = app_pid(app, &dir).ok_or("the app's process was not found")?;
            let drivers_mapped: BTreeSet<String> = fs::read_to_string(format!("/proc/{pid}/maps"))?
                .lines()
                // The driver: `*_dri.so` up to Mesa 24, `libgallium-*.so` after; LLVM with it.
                .filter(|line| {
                    line.ends_with("_dri.so")
                        || line.contains("/libgallium-")
                        || line.contains("/libLLVM")
                })
                .map(|line| line.rsplit(' ').next().unwrap_or(line).to_owned())
                .collect();
            ensure(
                drivers_mapped.is_empty(),
                format!("the app's process loaded a GL driver: {drivers_mapped:?}"),
            )?;
            find(client, "cases-more").await?.click().await?;
            wait_for_count(client, "case-list-item", 60).await?;
            wait_for_count(client, "cases-more", 0).await?;
            find(client, "new-case").await?.click().await?;
            find(client, "case-title").await?.send_keys("Drawn on the CPU").await?;
            saved(client).await?;
            find(client, "back-to-list").await?.click().await?;
            let row = find(client, "case-list-item").await?.text().await?;
            ensure(row.contains("Drawn on the CPU"), format!("the first row shows {row:?}"))
        })
        .await
    })
    .await
}
