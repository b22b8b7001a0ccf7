//! A damaged store in the real window: the app names the damage instead of opening the store,
//! lists the backups, puts the chosen one back and opens on the cases it holds; the damaged file
//! is kept aside, byte for byte.

mod common;
#[path = "../../../crates/desk-core/tests/support/damage.rs"]
mod damage;

use std::fs;

use common::*;
use fantoccini::{Client, Locator};

const CASES: usize = 20;

#[tokio::test]
async fn a_damaged_store_is_put_back_from_a_backup_in_the_window() -> TestResult {
    let data = tempfile::tempdir()?;
    let dir = data.path().join("data");
    let profile = [
        ["profile", "set"],
        ["--name", "Karma Wangchuk"],
        ["--institution", "GovTech Agency"],
        ["--email", "kwangchuk@example.bt"],
        ["--country", "BTN"],
    ];
    desk_cli(&dir, profile.as_flattened())?;
    for n in 0..CASES {
        let id = desk_cli(
            &dir,
            &["case", "new", "--title", &format!("Druk e-Service {n}"), "--country", "BTN"],
        )?;
        let summary = "One window for the services of every ministry. ".repeat(20);
        desk_cli(&dir, &["case", "set", id.trim(), "summary", &summary])?;
    }
    desk_cli(&dir, &["backup", "now"])?;
    let db = dir.join("paks-desk.sqlite3");
    damage::damage_store_file(&db)?;
    let damaged = fs::read(&db)?;

    with_drivers(&dir, async |drivers, app| {
        with_session(drivers, app, async |client: &Client| {
            let screen = find(client, "store-damaged").await?;
            let code = screen.attr("data-code").await?;
            ensure(code.as_deref() == Some("database_damaged"), format!("code {code:?}"))?;
            let items = client.find_all(Locator::Css("[data-testid=\"backup-item\"]")).await?;
            let mut manual = None;
            for item in items {
                if item
                    .attr("data-name")
                    .await?
                    .is_some_and(|name| name.ends_with("-manual.sqlite3"))
                {
                    manual = Some(item);
                }
            }
            let manual = manual.ok_or("the backup made on request is not listed")?;
            screenshot(client, "08-store-damaged").await?;
            check_accessibility(client, "the restore-backup screen").await?;
            manual.find(Locator::Css("[data-testid=\"backup-restore\"]")).await?.click().await?;
            wait_for_count(client, "case-list-item", CASES).await?;
            let first = find(client, "case-list-item").await?.text().await?;
            ensure(first.contains("Druk e-Service"), format!("the first row shows {first:?}"))?;
            // The restored store works: a new case is saved in it.
            find(client, "new-case").await?.click().await?;
            find(client, "case-title").await?.send_keys("After the restore").await?;
            saved(client).await
        })
        .await?;
        // And opens as usual on the next start.
        with_session(drivers, app, async |client: &Client| {
            wait_for_count(client, "case-list-item", CASES + 1).await
        })
        .await
    })
    .await?;

    let aside: Vec<_> = fs::read_dir(&dir)?
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().contains("before-restore"))
        .filter(|entry| fs::read(entry.path()).is_ok_and(|bytes| bytes == damaged))
        .collect();
    ensure(aside.len() == 1, format!("{} copies of the damaged file kept aside", aside.len()))
}
