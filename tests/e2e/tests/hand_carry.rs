//! Hand-carry in the real app: a case saved as a BagIt zip, then opened again as a new draft
//! beside the original (as a colleague's PAKS Desk would). The dialogs that choose the file are
//! replaced by `PAKS_DESK_E2E_SAVE_BAG` / `PAKS_DESK_E2E_OPEN_BAG` (debug builds only).

mod common;

use common::*;
use fantoccini::{Client, Locator};

const TITLE: &str = "Kiribati outer-island e-services";

async fn save_then_open(client: &Client) -> TestResult {
    find(client, "profile-form").await?;
    fill_profile(client, ["Teata Tekeraoi", "Ministry of ICT", "teata@example.ki"], "KIR").await?;
    find(client, "new-case").await?.click().await?;
    find(client, "case-title").await?.send_keys(TITLE).await?;
    saved(client).await?;
    fill_required_sections(client).await?;

    find(client, "export-bag").await?.click().await?;
    let saved = find(client, "bag-saved").await?.text().await?;
    ensure(saved.contains("case.zip"), format!("saving the bag says {saved:?}"))?;
    // Not connected to any PAKS: the bag is remembered as not received yet.
    let carried = find(client, "carried-bag").await?.text().await?;
    ensure(
        carried.contains("Version 1") && carried.contains("not at PAKS yet"),
        format!("the saved bag is listed as {carried:?}"),
    )?;
    client
        .execute("document.querySelector('[data-testid=\"hand-carry\"]').scrollIntoView()", vec![])
        .await?;
    screenshot(client, "15-hand-carry").await?;

    find(client, "back-to-list").await?.click().await?;
    find(client, "open-bag").await?.click().await?;
    let opened = find(client, "bag-opened").await?.text().await?;
    ensure(opened.contains("new draft"), format!("opening the bag says {opened:?}"))?;
    let rows = client.find_all(Locator::Css("[data-testid=\"case-list-item\"]")).await?;
    ensure(
        rows.len() == 2,
        format!("{} cases listed after opening the bag, wanted 2", rows.len()),
    )?;
    for row in rows {
        let text = row.text().await?;
        ensure(text.contains(TITLE), format!("a listed case reads {text:?}"))?;
    }
    Ok(())
}

#[tokio::test]
async fn a_case_saved_as_a_bag_opens_as_a_new_draft() -> TestResult {
    let root = tempfile::tempdir()?;
    let bag = root.path().join("case.zip").display().to_string();
    let env = [("PAKS_DESK_E2E_SAVE_BAG", bag.clone()), ("PAKS_DESK_E2E_OPEN_BAG", bag)];
    with_drivers_env(&root.path().join("desk"), &env, async |drivers, app| {
        with_session(drivers, app, save_then_open).await
    })
    .await
}
