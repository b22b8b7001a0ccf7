//! paks-bag's fuzz targets on stable, as bounded tests (docs/fuzzing.md): each replays its
//! committed corpus (`fuzz/corpus/<target>/`) and then a fixed number of inputs mutated from it
//! with a fixed seed.

use paks_bag::fuzzing;
use stable_fuzz::Target;

#[test]
fn bag() {
    let scratch = tempfile::tempdir().unwrap();
    Target::new("bag", 600).dictionary("bag").run(move |data| fuzzing::bag(data, scratch.path()));
}

#[test]
fn case_json() {
    Target::new("case_json", 3_000).dictionary("json").run(fuzzing::case_json);
}
