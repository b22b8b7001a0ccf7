//! Import benchmark: `cargo bench -p desk-core --bench import`. Attaches a 1 GB file and compares
//! with `cp` + `sha256sum` of the same file in the same run. Nothing here asserts a time.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use desk_core::Store;

const SIZE: usize = 1 << 30;

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn timed(program: &str, args: &[&std::ffi::OsStr]) -> Duration {
    let start = Instant::now();
    let status = Command::new(program).args(args).status().expect("run tool");
    assert!(status.success(), "{program} failed");
    start.elapsed()
}

fn main() {
    let dir =
        tempfile::tempdir_in(std::env::var_os("BENCH_DIR").unwrap_or_else(|| "/var/tmp".into()))
            .expect("temp dir");
    let source = dir.path().join("big.bin");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&source).expect("create"));
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut chunk = vec![0u8; 1 << 20];
        for _ in 0..SIZE / chunk.len() {
            for word in chunk.chunks_exact_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                word.copy_from_slice(&x.to_le_bytes());
            }
            file.write_all(&chunk).expect("write");
        }
        file.into_inner().expect("flush").sync_all().expect("sync");
    }
    // Warm the page cache equally for everyone.
    std::io::copy(&mut std::fs::File::open(&source).expect("open"), &mut std::io::sink())
        .expect("read");

    let copy = dir.path().join("copy.bin");
    let cp = timed("cp", &[source.as_os_str(), copy.as_os_str()]);
    let sync = timed("sync", &[]);
    let sha = timed("sha256sum", &[source.as_os_str()]);
    std::fs::remove_file(&copy).expect("remove");
    timed("sync", &[]);

    let store = Store::open(&dir.path().join("data")).expect("open");
    let case = store.create_case("Bench", Some("LAO")).expect("case");
    let start = Instant::now();
    store.import_attachment(case.id, &source).expect("import");
    let import = start.elapsed();

    let tools = cp + sha;
    let tools_synced = cp + sync + sha;
    println!("file: 1 GiB ({SIZE} bytes), page cache warm");
    println!("cp:            {:>8.3} s", cp.as_secs_f64());
    println!("sync after cp: {:>8.3} s", sync.as_secs_f64());
    println!("sha256sum:     {:>8.3} s", sha.as_secs_f64());
    println!(
        "cp + sha256sum:        {:>8.3} s  {:>7.0} MB/s",
        tools.as_secs_f64(),
        mb_per_s(SIZE, tools)
    );
    println!(
        "cp + sync + sha256sum: {:>8.3} s  {:>7.0} MB/s",
        tools_synced.as_secs_f64(),
        mb_per_s(SIZE, tools_synced)
    );
    println!(
        "import (copy+hash+fsync+rename): {:>8.3} s  {:>7.0} MB/s  = {:.2} x cp+sha256sum, {:.2} x with sync",
        import.as_secs_f64(),
        mb_per_s(SIZE, import),
        tools.as_secs_f64() / import.as_secs_f64(),
        tools_synced.as_secs_f64() / import.as_secs_f64()
    );
}
