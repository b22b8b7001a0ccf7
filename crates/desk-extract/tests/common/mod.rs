#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn worker() -> desk_extract::WorkerCommand {
    desk_extract::WorkerCommand::new(env!("CARGO_BIN_EXE_paks-desk-extract-worker"))
}

pub fn soffice_required() -> PathBuf {
    desk_extract::find_soffice().expect(
        "this test needs LibreOffice: apt-get install libreoffice-impress libreoffice-writer",
    )
}

pub fn write_ole(path: &std::path::Path, streams: &[&str]) {
    let mut file = cfb::create(path).expect("building a test file");
    for s in streams {
        use std::io::Write;
        let mut st = file.create_stream(format!("/{s}")).expect("building a test file");
        st.write_all(b"not really").expect("building a test file");
    }
    file.flush().expect("building a test file");
}

pub fn minimal_pptx(slides: &[&str]) -> Vec<(String, String)> {
    let mut ids = String::new();
    let mut rels = String::new();
    for i in 0..slides.len() {
        ids.push_str(&format!(r#"<p:sldId id="{}" r:id="rId{}"/>"#, 256 + i, i + 1));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide{}.xml"/>"#,
            i + 1,
            i + 1
        ));
    }
    let mut parts = vec![
        ("[Content_Types].xml".to_string(), r#"<Types><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>"#.to_string()),
        ("ppt/presentation.xml".to_string(), format!(r#"<p:presentation xmlns:p="p" xmlns:r="r"><p:sldIdLst>{ids}</p:sldIdLst></p:presentation>"#)),
        ("ppt/_rels/presentation.xml.rels".to_string(), format!("<Relationships>{rels}</Relationships>")),
    ];
    for (i, s) in slides.iter().enumerate() {
        parts.push((format!("ppt/slides/slide{}.xml", i + 1), s.to_string()));
    }
    parts
}

pub fn write_zip(path: &std::path::Path, parts: &[(String, String)]) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).expect("building a test file"));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in parts {
        zip.start_file(name.as_str(), opts).expect("building a test file");
        zip.write_all(body.as_bytes()).expect("building a test file");
    }
    zip.finish().expect("building a test file");
}
