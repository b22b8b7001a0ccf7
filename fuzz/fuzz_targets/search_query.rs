#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| desk_core::search::fuzzing::search_query(data));
