#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| paks_bag::fuzzing::case_json(data));
