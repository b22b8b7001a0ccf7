//! desk-extract's fuzz targets on stable, as bounded tests (docs/fuzzing.md): each replays its
//! committed corpus (`fuzz/corpus/<target>/`: the fixtures, and every input a fuzzer found
//! failing) and then a fixed number of inputs mutated from it with a fixed seed.

use std::time::Duration;

use desk_extract::fuzzing;
use stable_fuzz::Target;

#[test]
fn detect() {
    Target::new("detect", 1_500).dictionary("office").max_len(64 * 1024).run(fuzzing::detect);
}

#[test]
fn pptx() {
    Target::new("pptx", 600).dictionary("office").run(fuzzing::pptx);
}

#[test]
fn docx() {
    Target::new("docx", 600).dictionary("office").run(fuzzing::docx);
}

#[test]
fn xlsx() {
    Target::new("xlsx", 600).dictionary("office").run(fuzzing::xlsx);
}

#[test]
fn odf() {
    Target::new("odf", 400).dictionary("office").run(fuzzing::odf);
}

#[test]
fn pdf() {
    Target::new("pdf", 400)
        .dictionary("pdf")
        .input_timeout(Duration::from_secs(30))
        .time_cap(Duration::from_secs(30))
        .run(fuzzing::pdf);
}
