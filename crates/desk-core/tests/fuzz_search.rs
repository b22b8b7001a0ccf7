//! desk-core's search fuzz target on stable, as a bounded test (docs/fuzzing.md): it replays its
//! committed corpus (`fuzz/corpus/search_query/`) and then a fixed number of inputs mutated from
//! it with a fixed seed, against a real store.

use desk_core::search::fuzzing;
use stable_fuzz::Target;

#[test]
fn search_query() {
    Target::new("search_query", 3_000).dictionary("search").run(fuzzing::search_query);
}
