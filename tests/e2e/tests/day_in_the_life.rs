//! A focal point's day against the real reference PAKS server: first run, connect, an
//! incomplete case refused with what is missing, the case filled in and linked to MDG 8.F, a real
//! deck and a real PDF attached, a word found on one slide, the case submitted while PAKS is
//! down, PAKS back, progress, the app closed and reopened mid-sending, the receipt, the operator
//! publishes with the server's CLI, the app shows "published". Screenshots of each main screen go
//! to `tests/e2e/screenshots`.
//!
//! The native file dialog cannot be driven through WebDriver: in debug builds the app takes the
//! files to attach from `PAKS_DESK_E2E_PICK` instead (see `attachment_pick`). Everything else is
//! the real app, the real server and real files.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

const TITLE: &str = "Online business registration in Bhutan";
/// Sending is capped so progress can be seen: 800 kbit/s is 100 kB/s.
const CAP_KBPS: &str = "800";
const SLOW: Duration = Duration::from_secs(120);

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("crates/desk-extract/tests/fixtures").join(name)
}

async fn wait_until<F>(what: &str, limit: Duration, mut check: F) -> TestResult
where
    F: AsyncFnMut() -> TestResult<bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{what}: not within {limit:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn all(client: &Client, test_id: &str) -> TestResult<Vec<Element>> {
    Ok(client.find_all(Locator::Css(&format!("[data-testid=\"{test_id}\"]"))).await?)
}

async fn progress_percent(client: &Client) -> TestResult<Option<u32>> {
    let Some(bar) = all(client, "progress").await?.into_iter().next() else { return Ok(None) };
    Ok(bar.attr("data-percent").await?.and_then(|p| p.parse().ok()))
}

async fn first_day(client: &Client, server: &mut PaksServer, token: &str) -> TestResult {
    // First run: the profile.
    find(client, "profile-form").await?;
    type_into(client, "profile-name", "Tashi Dorji").await?;
    type_into(client, "profile-institution", "GovTech Agency").await?;
    type_into(client, "profile-email", "tdorji@example.bt").await?;
    choose(client, "profile-country", "BTN").await?;
    find(client, "profile-save").await?.click().await?;
    find(client, "new-case").await?;

    // Connect to PAKS, cap the upload rate.
    find(client, "nav-settings").await?.click().await?;
    type_into(client, "paks-url", &server.url()).await?;
    type_into(client, "paks-token", token).await?;
    find(client, "connect").await?.click().await?;
    let connected = find(client, "connected").await?.text().await?;
    ensure(connected.contains("Connected"), format!("connecting says {connected:?}"))?;
    type_into(client, "bandwidth", CAP_KBPS).await?;
    find(client, "save-settings").await?.click().await?;
    find(client, "settings-saved").await?;
    wait_for_attr(&find(client, "connectivity").await?, "data-state", "online").await?;
    screenshot(client, "07-settings").await?;
    check_accessibility(client, "the settings").await?;

    // PAKS goes away for the rest of the morning.
    server.stop();

    // An incomplete case is refused, naming what is missing.
    find(client, "nav-cases").await?.click().await?;
    find(client, "new-case").await?.click().await?;
    type_into(client, "case-title", TITLE).await?;
    saved(client).await?;
    find(client, "submit").await?.click().await?;
    let refused = find(client, "submit-refused").await?.text().await?;
    ensure(
        refused.contains("Summary") && refused.contains("MDG"),
        format!("the refusal does not name the missing summary and MDG link: {refused:?}"),
    )?;
    screenshot(client, "08-submit-refused").await?;
    check_accessibility(client, "the case editor with a refused submission").await?;

    // The required sections and the MDG link.
    fill_required_sections(client).await?;

    // A real deck, a real PDF, and a data file large enough to watch it being sent.
    find(client, "attach-files").await?.click().await?;
    wait_until("three files attached and read", WAIT, async || {
        let files = all(client, "attachment").await?;
        let mut read = 0;
        for file in &files {
            if file.attr("data-status").await?.as_deref() != Some("pending") {
                read += 1;
            }
        }
        Ok(files.len() == 3 && read == 3)
    })
    .await?;
    let files_text = find(client, "attachments").await?.text().await?;
    ensure(
        files_text.contains("order_notes_scripts.pptx") && files_text.contains("3 × slide"),
        format!("the deck is not shown with its slides: {files_text:?}"),
    )?;
    client
        .execute("document.querySelector('[data-testid=\"attachments\"]').scrollIntoView()", vec![])
        .await?;
    screenshot(client, "09-attachments").await?;
    check_accessibility(client, "the case editor with attachments").await?;

    // A word that is only on the deck's second slide.
    find(client, "back-to-list").await?.click().await?;
    type_into(client, "search", "Alpha").await?;
    let hit = find(client, "search-hit").await?;
    let place = hit.find(Locator::Css("[data-testid=\"search-place\"]")).await?.text().await?;
    ensure(place.contains("slide 2"), format!("the hit is placed at {place:?}"))?;
    screenshot(client, "10-search").await?;
    check_accessibility(client, "the search results").await?;
    hit.find(Locator::Css("button")).await?.click().await?;

    // Submit while PAKS is down: the case waits.
    find(client, "submit").await?.click().await?;
    let state = find(client, "job-state").await?;
    let waiting = state.attr("data-state").await?.unwrap_or_default();
    ensure(
        waiting == "queued" || waiting == "waiting_network",
        format!("a case submitted offline is {waiting:?}"),
    )?;
    screenshot(client, "11-queued").await?;

    // PAKS is back; "Send now" instead of waiting for the next check.
    server.start()?;
    find(client, "nav-outbox").await?.click().await?;
    find(client, "send-now").await?;
    check_accessibility(client, "the outbox").await?;
    find(client, "send-now").await?.click().await?;
    wait_until("sending to be under way", SLOW, async || {
        Ok(progress_percent(client).await?.is_some_and(|p| (5..90).contains(&p)))
    })
    .await?;
    screenshot(client, "12-sending").await?;
    Ok(())
}

/// Reopened mid-sending: it carries on from what PAKS confirmed, then the receipt, then review.
async fn after_reopening(client: &Client, server: &PaksServer) -> TestResult {
    find(client, "nav-outbox").await?.click().await?;
    find(client, "outbox-item").await?;
    let resumed_at = progress_percent(client).await?.unwrap_or(0);
    ensure(resumed_at > 0, "after reopening, sending starts again from zero".to_owned())?;

    wait_until("PAKS to receive the case", SLOW, async || {
        Ok(!all(client, "outbox-received").await?.is_empty())
    })
    .await?;
    all(client, "outbox-received").await?[0].find(Locator::Css("button")).await?.click().await?;
    let receipt_id = find(client, "receipt-id").await?.text().await?;
    ensure(receipt_id.len() == 36, format!("the receipt id reads {receipt_id:?}"))?;
    screenshot(client, "13-receipt").await?;
    check_accessibility(client, "the case editor with a receipt").await?;

    server.operator(&["review", "publish", receipt_id.trim()])?;
    find(client, "check-status").await?.click().await?;
    wait_until("the app to show published", WAIT, async || {
        Ok(find(client, "review-state").await?.attr("data-state").await?.as_deref()
            == Some("published"))
    })
    .await?;
    screenshot(client, "14-published").await?;
    find(client, "back-to-list").await?.click().await?;
    let status = find(client, "case-status").await?.text().await?;
    ensure(status == "Published", format!("the case list shows {status:?}"))?;
    Ok(())
}

fn data_file(dir: &Path) -> TestResult<PathBuf> {
    let path = dir.join("survey-results.csv");
    let mut rows = String::from("district,households,registered\n");
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    while rows.len() < 2_500_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        rows.push_str(&format!("d{},{},{}\n", x % 20, x % 9_973, x % 997));
    }
    fs::write(&path, rows)?;
    Ok(path)
}

#[tokio::test]
async fn a_focal_points_day() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut server = PaksServer::new(root.path().join("paks"))?;
    fs::create_dir_all(&server.dir)?;
    let token = server.register("BTN")?;
    server.start()?;
    let pick =
        [fixture("order_notes_scripts.pptx"), fixture("three_pages.pdf"), data_file(root.path())?]
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("\n");
    let env = [("PAKS_DESK_E2E_PICK", pick)];
    with_drivers_env(&root.path().join("desk"), &env, async |drivers, app| {
        with_session(drivers, app, async |client: &Client| {
            first_day(client, &mut server, &token).await
        })
        .await?;
        with_session(drivers, app, async |client: &Client| after_reopening(client, &server).await)
            .await
    })
    .await
}
