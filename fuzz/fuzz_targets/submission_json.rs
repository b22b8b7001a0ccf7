#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| paks_protocol::fuzzing::submission_json(data));
