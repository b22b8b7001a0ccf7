//! A focal point's day against the real reference PAKS server: first run, connect, an
//! incomplete case refused with what is missing, the case filled in and linked to MDG 8.F, a real
//! deck and a real PDF attached, a word found on one slide, the case submitted while PAKS is
//! down, PAKS back, progress, the app closed and reopened mid-sending, the receipt, the operator
//! publishes with the server's CLI, the app shows "published". Screenshots of each main screen go
//! to `tests/e2e/screenshots`.
//!
//! The day runs in English, in Russian and in Chinese (the app started with the system's
//! language set to them: the first run must start in it), and in the pseudo-locale `en-XA`, where
//! every screen is searched for visible text that does not come from the message catalogs.
//!
//! The native file dialog cannot be driven through WebDriver: in debug builds the app takes the
//! files to attach from `PAKS_DESK_E2E_PICK` instead (see `attachment_pick`). Everything else is
//! the real app, the real server and real files.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use fantoccini::{Client, Locator};

const TITLE: &str = "Online business registration in Bhutan";
/// Sending is capped so progress can be seen: 800 kbit/s is 100 kB/s.
const CAP_KBPS: &str = "800";
const SLOW: Duration = Duration::from_secs(120);

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("crates/desk-extract/tests/fixtures").join(name)
}

async fn progress_percent(client: &Client) -> TestResult<Option<u32>> {
    let Some(bar) = all(client, "progress").await?.into_iter().next() else { return Ok(None) };
    Ok(bar.attr("data-percent").await?.and_then(|p| p.parse().ok()))
}

/// The words the day checks, in the language it runs in.
struct Language {
    /// `LANGUAGE` of the app's process; the first run starts in the system's language.
    system: &'static str,
    /// What `<html lang>` must say.
    tag: &'static str,
    /// Prefix of the screenshots' names ("" for English).
    prefix: &'static str,
    connected: &'static str,
    summary: &'static str,
    mdg: &'static str,
    three_slides: &'static str,
    slide_two: &'static str,
    published: &'static str,
}

const ENGLISH: Language = Language {
    system: "en_US",
    tag: "en",
    prefix: "",
    connected: "Connected",
    summary: "Summary",
    mdg: "MDG",
    three_slides: "3 slides",
    slide_two: "slide 2",
    published: "Published",
};

const RUSSIAN: Language = Language {
    system: "ru_RU",
    tag: "ru",
    prefix: "ru-",
    connected: "Подключено",
    summary: "Краткое описание",
    mdg: "ЦРТ",
    three_slides: "3 слайда",
    slide_two: "слайд 2",
    published: "Опубликован",
};

const CHINESE: Language = Language {
    system: "zh_CN",
    tag: "zh-Hans",
    prefix: "zh-",
    connected: "已连接到",
    summary: "摘要",
    mdg: "千年发展目标",
    three_slides: "3 张幻灯片",
    slide_two: "第 2 张幻灯片",
    published: "已发布",
};

/// English accented, as `ui/src/lib/pseudo.ts` shows it.
const PSEUDO: Language = Language {
    system: "en_US",
    tag: "en-XA",
    prefix: "pseudo-",
    connected: "Çöññéçţéð",
    summary: "Šûɱɱáŕý",
    mdg: "ṀÐĜ",
    three_slides: "3 šļíðéš",
    slide_two: "šļíðé 2",
    published: "Þûƀļíšĥéð",
};

/// Text on the screen, and in its placeholders, labels and titles, that is Latin and not
/// pseudo-localised: none should be left in `en-XA` but user data and proper names, which the UI
/// marks `translate="no"`. The pseudo-locale formats numbers, dates and units as Russian (no Latin
/// letters), so a size or date not formatted through `Intl` stands out too.
const LEAKS: &str = r#"
const accented = /[\u00C0-\u024F\u1E00-\u1EFF]/;
const latin = /[A-Za-z]/;
const leaks = [];
const exempt = (el) => !el || el.closest('[translate="no"], script, style, noscript, template');
const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const judge = (text, el, where) => {
  const t = text.trim();
  if (t === '' || !latin.test(t) || accented.test(t)) return;
  leaks.push(`${where} "${t}" in <${el.tagName.toLowerCase()} ${el.getAttribute('data-testid') ?? el.className ?? ''}>`);
};
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const el = walker.currentNode.parentElement;
  if (exempt(el) || !visible(el)) continue;
  judge(walker.currentNode.nodeValue, el, 'text');
}
for (const el of document.body.querySelectorAll('[placeholder], [aria-label], [title]')) {
  if (exempt(el) || !visible(el)) continue;
  for (const name of ['placeholder', 'aria-label', 'title']) {
    if (el.hasAttribute(name)) judge(el.getAttribute(name), el, name);
  }
}
return [...new Set(leaks)];
"#;

/// A screenshot of the screen as it is; in the pseudo-locale, first the search for leaked text.
async fn screen(client: &Client, language: &Language, name: &str) -> TestResult {
    screenshot(client, &format!("{}{name}", language.prefix)).await?;
    if language.tag == "en-XA" {
        let leaks = client.execute(LEAKS, vec![]).await?;
        let leaks: Vec<String> = serde_json::from_value(leaks)?;
        ensure(
            leaks.is_empty(),
            format!("{name}: text not from the catalogs:\n  {}", leaks.join("\n  ")),
        )?;
    }
    Ok(())
}

async fn first_day(
    client: &Client,
    language: &Language,
    server: &mut PaksServer,
    token: &str,
) -> TestResult {
    // First run: the profile, in the system's language (or the pseudo-locale a tester chose).
    find(client, "profile-form").await?;
    if language.tag == "en-XA" {
        client
            .execute(
                "localStorage.setItem('paks-desk.locale', 'en-XA'); location.reload();",
                vec![],
            )
            .await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        find(client, "profile-form").await?;
    }
    // The system's languages arrive from the Rust side just after the first paint.
    let wanted = serde_json::json!(language.tag);
    let spoken = wait_until("the first run to speak the system's language", WAIT, async || {
        Ok(client.execute("return document.documentElement.lang;", vec![]).await? == wanted)
    })
    .await;
    if spoken.is_err() {
        let lang = client.execute("return document.documentElement.lang;", vec![]).await?;
        return Err(format!("the first run speaks {lang}, not {}", language.tag).into());
    }
    screen(client, language, "00-profile").await?;
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
    ensure(connected.contains(language.connected), format!("connecting says {connected:?}"))?;
    type_into(client, "bandwidth", CAP_KBPS).await?;
    find(client, "save-settings").await?.click().await?;
    find(client, "settings-saved").await?;
    wait_for_attr(&find(client, "connectivity").await?, "data-state", "online").await?;
    screen(client, language, "07-settings").await?;
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
        refused.contains(language.summary) && refused.contains(language.mdg),
        format!("the refusal does not name the missing summary and MDG link: {refused:?}"),
    )?;
    screen(client, language, "08-submit-refused").await?;
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
        files_text.contains("order_notes_scripts.pptx")
            && files_text.contains(language.three_slides),
        format!("the deck is not shown with its slides: {files_text:?}"),
    )?;
    client
        .execute("document.querySelector('[data-testid=\"attachments\"]').scrollIntoView()", vec![])
        .await?;
    screen(client, language, "09-attachments").await?;
    check_accessibility(client, "the case editor with attachments").await?;

    // A word that is only on the deck's second slide.
    find(client, "back-to-list").await?.click().await?;
    type_into(client, "search", "Alpha").await?;
    let hit = find(client, "search-hit").await?;
    let place = hit.find(Locator::Css("[data-testid=\"search-place\"]")).await?.text().await?;
    ensure(place.contains(language.slide_two), format!("the hit is placed at {place:?}"))?;
    screen(client, language, "10-search").await?;
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
    screen(client, language, "11-queued").await?;

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
    screen(client, language, "12-sending").await?;
    Ok(())
}

/// Reopened mid-sending: it carries on from what PAKS confirmed, then the receipt, then review.
async fn after_reopening(client: &Client, language: &Language, server: &PaksServer) -> TestResult {
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
    screen(client, language, "13-receipt").await?;
    check_accessibility(client, "the case editor with a receipt").await?;

    server.operator(&["review", "publish", receipt_id.trim()])?;
    find(client, "check-status").await?.click().await?;
    wait_until("the app to show published", WAIT, async || {
        Ok(find(client, "review-state").await?.attr("data-state").await?.as_deref()
            == Some("published"))
    })
    .await?;
    screen(client, language, "14-published").await?;
    find(client, "back-to-list").await?.click().await?;
    let status = find(client, "case-status").await?.text().await?;
    ensure(status.contains(language.published), format!("the case list shows {status:?}"))?;
    screen(client, language, "15-list").await?;
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

async fn day_in(language: &Language) -> TestResult {
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
    let env = [
        ("PAKS_DESK_E2E_PICK", pick),
        ("LANGUAGE", language.system.to_owned()),
        ("LANG", format!("{}.UTF-8", language.system)),
        // The webview's own storage (where the UI keeps the chosen language) starts empty, as
        // on a first run, instead of what an earlier run left in the user's data folder.
        ("XDG_DATA_HOME", root.path().join("xdg").display().to_string()),
    ];
    with_drivers_env(&root.path().join("desk"), &env, async |drivers, app| {
        with_session(drivers, app, async |client: &Client| {
            first_day(client, language, &mut server, &token).await
        })
        .await?;
        with_session(drivers, app, async |client: &Client| {
            after_reopening(client, language, &server).await
        })
        .await
    })
    .await
}

#[tokio::test]
async fn a_focal_points_day() -> TestResult {
    day_in(&ENGLISH).await
}

#[tokio::test]
async fn a_focal_points_day_in_russian() -> TestResult {
    day_in(&RUSSIAN).await
}

#[tokio::test]
async fn a_focal_points_day_in_chinese() -> TestResult {
    day_in(&CHINESE).await
}

/// Every screen of the day in the pseudo-locale: any visible text not from the catalogs fails.
#[tokio::test]
async fn the_pseudo_locale_day_shows_no_text_outside_the_catalogs() -> TestResult {
    day_in(&PSEUDO).await
}
