//! "Export as PDF / Word" in the real app: a case in Lao and Khmer, made with `paks-desk-cli`,
//! exported from the editor; the documents the app wrote are read back with `pdftotext` and
//! LibreOffice. The save dialog is replaced by `PAKS_DESK_E2E_SAVE_DOCUMENT` (debug builds
//! only: the GTK dialog cannot be driven by WebDriver); the app adds the extension.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use fantoccini::Client;
use paks_publication::read_back::{docx_text, first_missing, pdf_text};

const LAO_TITLE: &str = "ລັດຖະບານເອເລັກໂຕຣນິກ ແຂວງຫຼວງພະບາງ";
const KHMER_SUMMARY: &str = "រដ្ឋាភិបាលអេឡិចត្រូនិចសម្រាប់សម្រេចគោលដៅអភិវឌ្ឍន៍សហស្សវត្សរ៍";

fn prepare(data: &Path) -> TestResult {
    let profile = [
        ["profile", "set"],
        ["--name", "Souk Phommachanh"],
        ["--institution", "Ministry of Technology and Communications"],
        ["--email", "souk@example.la"],
        ["--country", "LAO"],
    ];
    desk_cli(data, profile.as_flattened())?;
    let id = desk_cli(data, &["case", "new", "--title", LAO_TITLE, "--country", "LAO"])?;
    desk_cli(data, &["case", "set", id.trim(), "summary", KHMER_SUMMARY])?;
    Ok(())
}

/// Clicks `button`, waits for "Saved as …" naming `file`, and returns the document's text.
async fn export(client: &Client, button: &str, file: &Path) -> TestResult<String> {
    find(client, button).await?.click().await?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
    // Typesetting takes seconds in a debug build on a loaded machine.
    wait_until("the export says where it saved", Duration::from_secs(120), async || {
        if let Some(banner) = all(client, "error-banner").await?.first() {
            return Err(format!("the export failed: {}", banner.text().await?).into());
        }
        for saved in all(client, "document-saved").await? {
            if saved.text().await.is_ok_and(|text| text.contains(&name)) {
                return Ok(true);
            }
        }
        Ok(false)
    })
    .await?;
    let text = match file.extension().and_then(|e| e.to_str()) {
        Some("pdf") => pdf_text(file)?,
        _ => docx_text(file)?,
    };
    Ok(text)
}

#[tokio::test]
async fn a_case_is_exported_as_pdf_and_word_from_the_editor() -> TestResult {
    let root = tempfile::tempdir()?;
    let data = root.path().join("desk");
    prepare(&data)?;
    let out = root.path().join("out");
    std::fs::create_dir(&out)?;
    let env = [("PAKS_DESK_E2E_SAVE_DOCUMENT", out.join("case").display().to_string())];
    with_drivers_env(&data, &env, async |drivers, app| {
        with_session(drivers, app, async |client: &Client| {
            find(client, "case-open").await?.click().await?;
            let pdf = export(client, "export-pdf", &out.join("case.pdf")).await?;
            let docx = export(client, "export-docx", &out.join("case.docx")).await?;
            for (kind, text) in [("PDF", &pdf), ("Word", &docx)] {
                let missing = first_missing(text, &[LAO_TITLE, KHMER_SUMMARY, "Souk Phommachanh"]);
                ensure(
                    missing.is_none(),
                    format!("the {kind} document lacks {missing:?}: {text}"),
                )?;
            }
            check_accessibility(client, "the editor after an export").await
        })
        .await
    })
    .await
}
