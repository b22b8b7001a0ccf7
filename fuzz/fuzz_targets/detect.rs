#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stable_fuzz::abort_on_escaping_panic(|| desk_extract::fuzzing::detect(data));
});
