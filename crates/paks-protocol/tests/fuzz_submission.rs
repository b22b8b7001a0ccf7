//! paks-protocol's fuzz target on stable, as a bounded test (docs/fuzzing.md): it replays its
//! committed corpus (`fuzz/corpus/submission_json/`) and then a fixed number of inputs mutated
//! from it with a fixed seed.

use paks_protocol::fuzzing;
use stable_fuzz::Target;

#[test]
fn submission_json() {
    Target::new("submission_json", 5_000).dictionary("json").run(fuzzing::submission_json);
}
