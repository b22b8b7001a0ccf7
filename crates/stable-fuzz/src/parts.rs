//! An input encoding for zip-based formats: `name NUL content NUL name NUL content …`, zipped
//! (stored, not compressed) before the parser sees it. Byte mutations of a zip hit its
//! compressed streams and checksums; mutations of this text hit the XML and the part names,
//! where our code is. An input that starts with `PK` is taken as a zip as it is.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// The zip the parser is given for `input`.
pub fn zip_for_input(input: &[u8]) -> Vec<u8> {
    if input.starts_with(b"PK") { input.to_vec() } else { zip_of_parts(input) }
}

/// Zips the parts of `input` (a part whose name repeats or cannot be written is left out).
pub fn zip_of_parts(input: &[u8]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut fields = input.split(|b| *b == 0);
    while let Some(name) = fields.next() {
        let content = fields.next().unwrap_or_default();
        let name = String::from_utf8_lossy(name);
        if name.is_empty() || zip.start_file(name.as_ref(), options).is_err() {
            continue;
        }
        // Writing to memory cannot fail short of memory itself.
        let _ = zip.write_all(content);
    }
    zip.finish().map(Cursor::into_inner).unwrap_or_default()
}

/// The parts encoding of a zip (the seeds are made from the test fixtures this way).
pub fn parts_of_zip(zip: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut archive = ZipArchive::new(Cursor::new(zip)).map_err(std::io::Error::other)?;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(std::io::Error::other)?;
        if entry.is_dir() {
            continue;
        }
        if !out.is_empty() {
            out.push(0);
        }
        out.extend_from_slice(entry.name_raw());
        out.push(0);
        entry.read_to_end(&mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_through_a_zip() {
        let parts = b"a.xml\0<a/>\0dir/b.txt\0hello".to_vec();
        let zip = zip_of_parts(&parts);
        assert!(zip.starts_with(b"PK"));
        assert_eq!(parts_of_zip(&zip).unwrap(), parts);
        assert_eq!(zip_for_input(&zip), zip);
    }
}
