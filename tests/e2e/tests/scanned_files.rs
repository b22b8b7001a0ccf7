//! Scanned files in the real app: a photographed form is read by OCR in the background and a
//! word of it is found, the hit saying it was read from the scan; a long scanned PDF shows how
//! many of its pages OCR has read, and "Stop" ends the reading, keeping the file. The scans are
//! made by the test: text set by `pango-view`, an image-only PDF by `img2pdf`
//! (`scripts/setup-debian.sh test` installs both and Tesseract).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use fantoccini::{Client, Locator};

const LONG_SCAN_PAGES: usize = 20;

fn run(program: &str, args: &[&std::ffi::OsStr]) -> TestResult {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program} (scripts/setup-debian.sh test installs it): {e}"))?;
    ensure(
        out.status.success(),
        format!("{program} failed: {}", String::from_utf8_lossy(&out.stderr)),
    )
}

/// `text` set at 300 dpi, as a PNG picture.
fn picture(dir: &Path, name: &str, text: &str) -> TestResult<PathBuf> {
    let png = dir.join(format!("{name}.png"));
    run(
        "pango-view",
        &[
            "--font=DejaVu Sans 14".as_ref(),
            "--dpi=300".as_ref(),
            "--margin=60".as_ref(),
            "--width=500".as_ref(),
            "-q".as_ref(),
            "-o".as_ref(),
            png.as_os_str(),
            format!("--text={text}").as_ref(),
        ],
    )?;
    Ok(png)
}

/// An image-only PDF of `LONG_SCAN_PAGES` scanned pages, each naming its number.
fn long_scan(dir: &Path) -> TestResult<PathBuf> {
    let mut pngs = Vec::new();
    for n in 1..=LONG_SCAN_PAGES {
        pngs.push(picture(dir, &format!("licence{n}"), &format!("Fisheries licence, page {n}"))?);
    }
    let pdf = dir.join("fisheries licences.pdf");
    // pango-view writes no resolution into the PNG; without it img2pdf assumes 96 dpi.
    let mut args: Vec<&std::ffi::OsStr> = vec!["--imgsize".as_ref(), "300dpix300dpi".as_ref()];
    args.extend(pngs.iter().map(|p| p.as_os_str()));
    args.extend(["-o".as_ref(), pdf.as_os_str()]);
    run("img2pdf", &args)?;
    Ok(pdf)
}

/// The attachment named `name`, if listed.
async fn attachment(
    client: &Client,
    name: &str,
) -> TestResult<Option<fantoccini::elements::Element>> {
    for file in all(client, "attachment").await? {
        if file.text().await?.contains(name) {
            return Ok(Some(file));
        }
    }
    Ok(None)
}

async fn status_of(client: &Client, name: &str) -> TestResult<Option<String>> {
    match attachment(client, name).await? {
        Some(file) => Ok(file.attr("data-status").await?),
        None => Ok(None),
    }
}

async fn scans(client: &Client) -> TestResult {
    fill_profile(client, ["Mere Tuilagi", "Ministry of Agriculture", "mere@example.fj"], "FJI")
        .await?;
    find(client, "new-case").await?.click().await?;
    type_into(client, "case-title", "Irrigation and fisheries permits in Fiji").await?;
    saved(client).await?;
    find(client, "attach-files").await?.click().await?;

    // The form is read first (one file at a time), then the long scan shows its progress.
    wait_until("the photographed form read by OCR", Duration::from_secs(60), async || {
        Ok(status_of(client, "photographed form.png").await?.as_deref() == Some("indexed"))
    })
    .await?;
    let mut shown = String::new();
    wait_until("the long scan's OCR progress", Duration::from_secs(90), async || {
        let Some(progress) = all(client, "attachment-ocr").await?.into_iter().next() else {
            return Ok(false);
        };
        shown = progress.text().await?;
        Ok(!shown.contains("Reading the scan: 0 of") && shown.contains(" of 20 pages read"))
    })
    .await?;
    screenshot(client, "13-ocr-progress").await?;
    check_accessibility(client, "the case editor while a scan is read").await?;

    find(client, "attachment-ocr-stop").await?.click().await?;
    wait_until("the long scan to stop being read", Duration::from_secs(30), async || {
        let status = status_of(client, "fisheries licences.pdf").await?;
        Ok(status.is_some_and(|s| s != "pending"))
    })
    .await?;
    let status = status_of(client, "fisheries licences.pdf").await?;
    ensure(
        status.as_deref() == Some("no_text_layer"),
        format!("after stopping ({shown:?}), the scan is {status:?}, not kept unread"),
    )?;
    ensure(
        all(client, "attachment-ocr").await?.is_empty(),
        "the progress is still shown after the reading stopped".into(),
    )?;

    find(client, "back-to-list").await?.click().await?;
    type_into(client, "search", "irrigation").await?;
    let mut places = Vec::new();
    wait_until("the scanned word found", WAIT, async || {
        places.clear();
        for hit in all(client, "search-hit").await? {
            let place = hit.find(Locator::Css("[data-testid=\"search-place\"]")).await?;
            places.push(place.text().await?);
        }
        Ok(!places.is_empty())
    })
    .await?;
    ensure(
        places.iter().any(|p| {
            p.starts_with("photographed form.png, page 1, read from the scan (OCR, ")
                && p.ends_with("% sure)")
        }),
        format!("no hit says it was read from the scan: {places:?}"),
    )?;
    screenshot(client, "14-search-read-from-the-scan").await?;
    Ok(())
}

#[tokio::test]
async fn a_scan_is_read_in_the_background_with_progress_and_can_be_stopped() -> TestResult {
    let root = tempfile::tempdir()?;
    let form =
        picture(root.path(), "photographed form", "Irrigation permits register, Western Division")?;
    let pick = [form, long_scan(root.path())?]
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let env = [("PAKS_DESK_E2E_PICK", pick)];
    with_drivers_env(&root.path().join("desk"), &env, async |drivers, app| {
        with_session(drivers, app, async |client: &Client| scans(client).await).await
    })
    .await
}
