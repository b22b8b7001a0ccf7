//! The text of written documents read back as their readers' tools see it: `pdftotext`
//! (poppler-utils) for a PDF, LibreOffice's converter for a Word document. For tests (feature
//! `read-back`), which prove that every script comes back out character for character.

use std::io;
use std::path::Path;
use std::process::Command;

use unicode_normalization::UnicodeNormalization;

/// Text with every space and line break removed, in NFC: what a reader sees, without the
/// breaks a layout adds (Lao, Khmer and Thai put no spaces between words).
pub fn visible(text: &str) -> String {
    text.nfc().filter(|c| !c.is_whitespace()).collect()
}

/// The first of `expected` that `extracted` does not hold character for character (compared as
/// `visible` text).
pub fn first_missing<'a>(extracted: &str, expected: &[&'a str]) -> Option<&'a str> {
    let got = visible(extracted);
    expected.iter().copied().find(|text| !got.contains(&visible(text)))
}

/// Fails naming the first expected text the extracted one lacks.
pub fn assert_contains_each(extracted: &str, expected: &[&str]) {
    if let Some(text) = first_missing(extracted, expected) {
        panic!(
            "the extracted text lacks {text:?}\n(whitespace-free, NFC) wanted {:?}\nin {:?}",
            visible(text),
            visible(extracted)
        );
    }
}

/// `pdftotext`'s text of a PDF, stopped after a minute.
pub fn pdf_text(pdf: &Path) -> io::Result<String> {
    let mut command = Command::new("timeout");
    command.args(["60", "pdftotext", "-enc", "UTF-8"]).arg(pdf).arg("-");
    run(command)
}

/// LibreOffice's plain text of a Word document, written beside it (`.txt`) with a LibreOffice
/// profile of its own in the same folder (two converters at once share none), stopped after
/// three minutes.
pub fn docx_text(docx: &Path) -> io::Result<String> {
    let dir = docx.parent().ok_or_else(|| io::Error::other("the document has no folder"))?;
    let profile = dir.join("lo-profile");
    let mut command = Command::new("timeout");
    command
        .args(["180", "soffice", "--headless", "--norestore"])
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--convert-to", "txt:Text (encoded):UTF8", "--outdir"])
        .arg(dir)
        .arg(docx);
    run(command)?;
    std::fs::read_to_string(docx.with_extension("txt"))
}

fn run(mut command: Command) -> io::Result<String> {
    let output = command.output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "{command:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doubled_or_dropped_mark_or_a_missing_text_is_named() {
        let extracted = "ລັດຖະບານ\nເອເລັກ  ໂຕຣນິກ\u{c}";
        assert_eq!(first_missing(extracted, &["ລັດຖະບານເອເລັກ", "ໂຕຣນິກ"]), None);
        assert_eq!(first_missing(extracted, &["ລັດຖະບານ", "ລດຖະບານ"]), Some("ລດຖະບານ"));
        assert_eq!(first_missing(extracted, &["ລັັດຖະບານ"]), Some("ລັັດຖະບານ"));
    }
}
