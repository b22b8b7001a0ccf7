//! paks-server's fuzz targets on stable, as bounded tests (docs/fuzzing.md): each replays its
//! committed corpus (`fuzz/corpus/<target>/`) and then a fixed number of inputs mutated from it
//! with a fixed seed.

use paks_server::http::fuzzing;
use stable_fuzz::Target;

#[test]
fn tus_headers() {
    Target::new("tus_headers", 20_000).dictionary("tus").run(fuzzing::tus_headers);
}

#[test]
fn submission_request() {
    Target::new("submission_request", 5_000).dictionary("json").run(fuzzing::submission_request);
}
