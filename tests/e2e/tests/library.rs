//! The Library screen against the real reference PAKS server: focal points of Lao PDR and Nepal
//! publish a case each (with `paks-desk-cli`, the operator with `paks-server review publish`), a
//! Bhutanese desk syncs its library with "Sync now", PAKS stops, and offline the desk finds a
//! Lao word of a case's section and a Lao word on the third slide of its deck, filters by
//! country and MDG target, opens the case and then the deck (through the system's opener: the
//! test names a viewer for the deck's type with XDG files, and the viewer records what it got).
//! The operator withdraws the Lao case, PAKS starts again, and after "Sync now" the case is gone.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use fantoccini::{Client, Locator};

/// "Business" in Lao, only in the Lao case's Results.
const LAO_WORD: &str = "ທຸລະກິດ";
/// "Hello" in Lao, only on the deck's third slide.
const LAO_WORD_IN_DECK: &str = "ສະບາຍດີ";
const LAO_TITLE: &str = "One-stop business registration";
const NEPAL_TITLE: &str = "Citizen charters in district offices";
const SLOW: Duration = Duration::from_secs(90);
const PPTX: &str = "application/vnd.openxmlformats-officedocument.presentationml.presentation";

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("crates/desk-extract/tests/fixtures").join(name)
}

/// A focal point's desk writes, sends and has published one case; returns its case uid.
fn publish(
    server: &PaksServer,
    desk: &Path,
    country: &str,
    title: &str,
    results: &str,
    deck: Option<&Path>,
) -> TestResult<String> {
    fs::create_dir_all(desk)?;
    let profile =
        ["--name", "Focal point", "--institution", "Ministry", "--email", "fp@gov.example"];
    desk_cli(desk, &[&["profile", "set"], &profile[..], &["--country", country]].concat())?;
    let id = desk_cli(desk, &["case", "new", "--title", title, "--country", country])?;
    let id = id.trim();
    for (field, value) in [
        ("summary", "Services online in one day instead of ninety."),
        ("problem", "Ninety days and eight offices."),
        ("solution", "One online window shared by the ministries concerned."),
        ("results", results),
    ] {
        desk_cli(desk, &["case", "set", id, field, value])?;
    }
    desk_cli(desk, &["case", "link", id, "--mdg", "8.F", "--note", "Services online"])?;
    desk_cli(desk, &["connect", &server.url(), "--token", &server.register(country)?])?;
    let mut submit = vec!["submit", id];
    let deck = deck.map(|d| d.display().to_string());
    if let Some(deck) = &deck {
        submit.extend(["--file", deck]);
    }
    desk_cli(desk, &submit)?;
    desk_cli(desk, &["sync", "--until-idle"])?;
    let status: serde_json::Value =
        serde_json::from_str(&desk_cli(desk, &["status", id, "--json"])?)?;
    let submission = status["submission_id"].as_str().ok_or("no submission id")?;
    server.operator(&["review", "publish", submission])?;
    let case: serde_json::Value =
        serde_json::from_str(&desk_cli(desk, &["case", "show", id, "--json"])?)?;
    Ok(case["uid"].as_str().ok_or("no case uid")?.to_owned())
}

/// A viewer for decks, named to xdg-open through XDG files: it copies the file it is given to
/// `opened.pptx` and writes its path to `opened.txt` (last, so the copy is whole when it shows).
fn deck_viewer(root: &Path) -> TestResult<Vec<(&'static str, String)>> {
    let (data, config) = (root.join("xdg-data"), root.join("xdg-config"));
    fs::create_dir_all(data.join("applications"))?;
    fs::create_dir_all(&config)?;
    let script = root.join("viewer.sh");
    let out = root.display();
    fs::write(
        &script,
        format!(
            "#!/bin/sh\ncp \"$1\" '{out}/opened.pptx'\nprintf '%s' \"$1\" > '{out}/opened.tmp'\n\
             mv '{out}/opened.tmp' '{out}/opened.txt'\n"
        ),
    )?;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755))?;
    fs::write(
        data.join("applications/paks-e2e-viewer.desktop"),
        format!(
            "[Desktop Entry]\nType=Application\nName=Deck viewer\nExec={} %f\nMimeType={PPTX};\n\
             NoDisplay=true\n",
            script.display()
        ),
    )?;
    fs::write(
        config.join("mimeapps.list"),
        format!("[Default Applications]\n{PPTX}=paks-e2e-viewer.desktop\n"),
    )?;
    Ok(vec![
        // Also the webview's own storage: it starts empty, as on a first run.
        ("XDG_DATA_HOME", data.display().to_string()),
        ("XDG_CONFIG_HOME", config.display().to_string()),
        // No desktop environment: xdg-open goes by the XDG files above.
        ("XDG_CURRENT_DESKTOP", String::new()),
    ])
}

async fn cases_in_library(client: &Client) -> TestResult<Option<String>> {
    Ok(find(client, "library-state").await?.attr("data-cases").await?)
}

async fn search(client: &Client, text: &str) -> TestResult {
    type_into(client, "library-search", text).await
}

/// The case uids of the hits shown (each once, sorted), once the search has answered.
async fn hit_uids(client: &Client) -> TestResult<Vec<String>> {
    first_of(client, &["library-hit", "library-search-empty"]).await?;
    let mut uids = Vec::new();
    for hit in all(client, "library-hit").await? {
        uids.push(hit.attr("data-case-uid").await?.unwrap_or_default());
    }
    uids.sort();
    uids.dedup();
    Ok(uids)
}

async fn wait_for_hits(client: &Client, what: &str, wanted: &[&str]) -> TestResult {
    let mut wanted: Vec<&str> = wanted.to_vec();
    wanted.sort_unstable();
    let mut last = Vec::new();
    let found = wait_until(what, WAIT, async || {
        last = hit_uids(client).await?;
        Ok(last == wanted)
    })
    .await;
    found.map_err(|e| format!("{e}: the hits are {last:?}, wanted {wanted:?}").into())
}

async fn sync_now(client: &Client, wanted_cases: &str) -> TestResult {
    find(client, "library-sync").await?.click().await?;
    let mut seen = None;
    let synced = wait_until("the library to sync", SLOW, async || {
        seen = cases_in_library(client).await?;
        Ok(seen.as_deref() == Some(wanted_cases))
    })
    .await;
    if synced.is_err() {
        let page = find(client, "library-state").await?.text().await?;
        let errors = all(client, "error-banner").await?;
        let error = match errors.first() {
            Some(banner) => banner.text().await?,
            None => String::new(),
        };
        return Err(format!(
            "after Sync now the library holds {seen:?} cases, wanted {wanted_cases}: \
             {page:?} {error:?}"
        )
        .into());
    }
    Ok(())
}

async fn the_library(
    client: &Client,
    server: &mut PaksServer,
    token: &str,
    root: &Path,
    (lao, nepal): (&str, &str),
) -> TestResult {
    fill_profile(client, ["Tashi Dorji", "GovTech Agency", "tdorji@example.bt"], "BTN").await?;
    find(client, "new-case").await?;
    find(client, "nav-settings").await?.click().await?;
    type_into(client, "paks-url", &server.url()).await?;
    type_into(client, "paks-token", token).await?;
    find(client, "connect").await?.click().await?;
    find(client, "connected").await?;
    find(client, "library-storage").await?;

    find(client, "nav-library").await?.click().await?;
    find(client, "library-empty").await?;
    sync_now(client, "2").await?;
    let state = find(client, "library-state").await?;
    ensure(
        state.attr("data-synced-at").await?.is_some_and(|at| !at.is_empty()),
        "the last sync time is not shown".to_owned(),
    )?;

    // PAKS goes away: the rest is read from the library on this computer.
    server.stop();
    search(client, LAO_WORD).await?;
    wait_for_hits(client, "the Lao word of a section", &[lao]).await?;
    let place = find(client, "library-place").await?.text().await?;
    ensure(place.contains("Results"), format!("the section's hit is placed at {place:?}"))?;
    screenshot(client, "library-01-search").await?;
    check_accessibility(client, "the library's search").await?;

    search(client, LAO_WORD_IN_DECK).await?;
    wait_for_hits(client, "the Lao word on a slide", &[lao]).await?;
    let place = find(client, "library-place").await?.text().await?;
    ensure(
        place.contains("deck.pptx") && place.contains("slide 3"),
        format!("the slide's hit is placed at {place:?}"),
    )?;

    // The filters: both cases share "Services online"; Nepal's alone, then MDG 8.F and 1.A.
    search(client, "ministries").await?;
    wait_for_hits(client, "a word of both cases", &[lao, nepal]).await?;
    choose(client, "library-filter-country", "NPL").await?;
    wait_for_hits(client, "the cases of Nepal", &[nepal]).await?;
    choose(client, "library-filter-country", "").await?;
    choose(client, "library-filter-mdg", "8.F").await?;
    wait_for_hits(client, "the cases linked to MDG 8.F", &[lao, nepal]).await?;
    choose(client, "library-filter-mdg", "1.A").await?;
    wait_for_hits(client, "the cases linked to MDG 1.A", &[]).await?;
    choose(client, "library-filter-mdg", "").await?;
    wait_for_hits(client, "no filter again", &[lao, nepal]).await?;
    choose(client, "library-filter-sdg", "16.6").await?;
    wait_for_hits(client, "the cases linked to SDG 16.6", &[]).await?;
    choose(client, "library-filter-sdg", "").await?;

    // The case, its sections and its deck, opened offline.
    search(client, LAO_WORD).await?;
    wait_for_hits(client, "the Lao word again", &[lao]).await?;
    find(client, "library-hit").await?.find(Locator::Css("button")).await?.click().await?;
    let case = find(client, "library-case").await?;
    let title = find(client, "library-case-title").await?.text().await?;
    ensure(title == LAO_TITLE, format!("the case opened is {title:?}"))?;
    let text = case.text().await?;
    ensure(text.contains(LAO_WORD), format!("the case's Results are not shown: {text:?}"))?;
    let file = find(client, "library-file").await?;
    ensure(
        file.attr("data-stored").await?.as_deref() == Some("true"),
        "the deck read for its text is not on this computer".to_owned(),
    )?;
    screenshot(client, "library-02-case").await?;
    check_accessibility(client, "a published case").await?;
    find(client, "library-open-file").await?.click().await?;
    let opened = root.join("opened.txt");
    wait_until("the viewer to get the deck", WAIT, async || Ok(opened.is_file())).await?;
    let path = fs::read_to_string(&opened)?;
    ensure(path.ends_with("/deck.pptx"), format!("the viewer got {path:?}"))?;
    ensure(
        fs::read(root.join("opened.pptx"))? == fs::read(fixture("order_notes_scripts.pptx"))?,
        "the deck opened is not the deck published".to_owned(),
    )?;

    // The operator withdraws the Lao case; PAKS is back; "Sync now" takes it away.
    server.operator(&["review", "withdraw", lao])?;
    server.start()?;
    sync_now(client, "1").await?;
    wait_until("the withdrawn case to close", WAIT, async || {
        Ok(all(client, "library-case").await?.is_empty())
    })
    .await?;
    search(client, LAO_WORD).await?;
    wait_for_hits(client, "the withdrawn case's word", &[]).await?;
    search(client, "ministries").await?;
    wait_for_hits(client, "the case left", &[nepal]).await?;
    screenshot(client, "library-03-after-withdrawal").await?;
    Ok(())
}

#[tokio::test]
async fn a_desk_reads_the_regions_cases_offline_and_loses_a_withdrawn_one() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut server = PaksServer::new(root.path().join("paks"))?;
    fs::create_dir_all(&server.dir)?;
    server.start()?;
    let deck = root.path().join("deck.pptx");
    fs::copy(fixture("order_notes_scripts.pptx"), &deck)?;
    let lao = publish(
        &server,
        &root.path().join("lao"),
        "LAO",
        LAO_TITLE,
        "ການລົງທະບຽນທຸລະກິດ ໃຊ້ເວລາໜຶ່ງມື້.",
        Some(&deck),
    )?;
    let nepal = publish(
        &server,
        &root.path().join("nepal"),
        "NPL",
        NEPAL_TITLE,
        "Every office shows its services and their delays.",
        None,
    )?;
    let token = server.register("BTN")?;
    let env = deck_viewer(root.path())?;
    with_drivers_env(&root.path().join("desk"), &env, async |drivers, app| {
        with_session(drivers, app, async |client: &Client| {
            the_library(client, &mut server, &token, root.path(), (&lao, &nepal)).await
        })
        .await
    })
    .await
}
