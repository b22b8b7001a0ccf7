//! The focal points' own scripts: a case written in Lao, Khmer, Myanmar, Thai, Nepali
//! (Devanagari), Bengali, Mongolian Cyrillic, Dzongkha (Tibetan) and Chinese, in the editor, the
//! list and the search results. The screenshots (`scripts-*.png`) are for a person to check that
//! no glyph is missing (the README shows one); the test checks that fontconfig has a Noto font for
//! each script (what `scripts/setup-debian.sh test` installs) and that every script's text is
//! saved, listed and found.

mod common;

use common::*;
use fantoccini::{Client, Locator};

/// fontconfig's language tag for each script below, in the same order.
const FONTCONFIG_LANGS: [&str; 9] = ["lo", "km", "my", "th", "ne", "bn", "mn", "dz", "zh-cn"];

const SCRIPTS: [(&str, &str); 9] = [
    ("Lao", "ລັດຖະບານເອເລັກໂຕຣນິກ"),
    ("Khmer", "រដ្ឋាភិបាលអេឡិចត្រូនិក"),
    ("Myanmar", "အီလက်ထရောနစ်အစိုးရ"),
    ("Thai", "รัฐบาลอิเล็กทรอนิกส์"),
    ("Nepali", "विद्युतीय सरकार"),
    ("Bengali", "ইলেকট্রনিক সরকার"),
    ("Mongolian", "Цахим засаглал"),
    ("Dzongkha", "གློག་རིག་གཞུང་"),
    ("Chinese", "电子政务"),
];

async fn all_scripts(client: &Client) -> TestResult {
    fill_profile(client, ["Bounmy Phommasack", "Ministry of Technology", "b@example.la"], "LAO")
        .await?;
    find(client, "new-case").await?.click().await?;
    let title = format!("{} · {} · {}", SCRIPTS[0].1, SCRIPTS[6].1, SCRIPTS[8].1);
    type_into(client, "case-title", &title).await?;
    saved(client).await?;
    let summary: Vec<String> =
        SCRIPTS.iter().map(|(name, text)| format!("{name}: {text}")).collect();
    type_into(client, "case-summary", &summary.join(" · ")).await?;
    saved(client).await?;
    screenshot(client, "scripts-editor").await?;

    find(client, "back-to-list").await?.click().await?;
    let listed = find(client, "case-open").await?.text().await?;
    ensure(listed == title, format!("the list shows {listed:?}, not {title:?}"))?;
    screenshot(client, "scripts-list").await?;

    for (name, text) in SCRIPTS {
        type_into(client, "search", text).await?;
        // The results follow the typing: wait for a snippet holding the word.
        let deadline = std::time::Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            seen.clear();
            for snippet in
                client.find_all(Locator::Css("[data-testid=\"search-hit\"] .snippet")).await?
            {
                seen.push(snippet.text().await.unwrap_or_default());
            }
            if seen.iter().any(|s| s.contains(text)) {
                break;
            }
            ensure(
                std::time::Instant::now() < deadline,
                format!("searching {name} ({text}) finds only {seen:?}"),
            )?;
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }
    type_into(client, "search", SCRIPTS[0].1).await?;
    find(client, "search-hit").await?;
    screenshot(client, "scripts-search").await?;

    Ok(())
}

fn fonts_cover_every_script() -> TestResult {
    for (lang, (name, _)) in FONTCONFIG_LANGS.iter().zip(SCRIPTS) {
        let out = std::process::Command::new("fc-list")
            .arg(format!(":lang={lang}"))
            .arg("family")
            .output()?;
        let families = String::from_utf8_lossy(&out.stdout);
        ensure(
            families.contains("Noto"),
            format!(
                "no Noto font covers {name} (fc-list :lang={lang}); run scripts/setup-debian.sh test"
            ),
        )?;
    }
    Ok(())
}

#[tokio::test]
async fn a_case_in_every_focal_points_script_is_saved_listed_and_found() -> TestResult {
    fonts_cover_every_script()?;
    let data = tempfile::tempdir()?;
    // A fresh webview storage: the UI in English whatever language an earlier run left chosen.
    let env = [
        ("XDG_DATA_HOME", data.path().join("xdg").display().to_string()),
        ("LANGUAGE", "en_US".to_owned()),
    ];
    with_drivers_env(&data.path().join("data"), &env, async |drivers, app| {
        with_session(drivers, app, all_scripts).await
    })
    .await
}
