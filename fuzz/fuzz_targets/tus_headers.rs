#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| paks_server::http::fuzzing::tus_headers(data));
