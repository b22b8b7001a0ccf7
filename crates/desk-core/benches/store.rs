//! Store benchmarks: `cargo bench -p desk-core --bench store`. Figures go to the README; nothing
//! here asserts a time.

use std::time::{Duration, Instant};

use desk_core::{CaseField, CaseFilter, Store};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let case = store.create_case("Bench", Some("LAO")).expect("case");

    let text = "Households in remote districts register births by SMS. ".repeat(20);
    let mut saves = Vec::with_capacity(2000);
    for n in 0..2000 {
        let field = [CaseField::Summary, CaseField::Problem, CaseField::Solution][n % 3];
        let value = format!("{text}{n}");
        let start = Instant::now();
        store.set_field(case.id, field, &value).expect("save");
        saves.push(start.elapsed());
    }
    saves.sort();
    println!(
        "field save (synchronous=FULL, 2000 saves of ~1.1 KB): p50 {}  p99 {}  max {}",
        ms(percentile(&saves, 0.5)),
        ms(percentile(&saves, 0.99)),
        ms(*saves.last().expect("samples"))
    );
    drop(store);

    let big = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(big.path()).expect("open");
        for n in 0..10_000 {
            let case = store.create_case(&format!("Case {n}"), Some("NPL")).expect("case");
            if n % 10 == 0 {
                store.set_field(case.id, CaseField::Summary, &text).expect("save");
            }
        }
    }
    let start = Instant::now();
    let store = Store::open(big.path()).expect("open");
    let page =
        store.list_cases(&CaseFilter { limit: Some(50), ..CaseFilter::default() }).expect("list");
    let cold = start.elapsed();
    assert_eq!(page.len(), 50);
    let mut warm = Vec::new();
    for _ in 0..50 {
        let start = Instant::now();
        store.list_cases(&CaseFilter { limit: Some(50), ..CaseFilter::default() }).expect("list");
        warm.push(start.elapsed());
    }
    warm.sort();
    println!(
        "open a store of 10,000 cases and list the first page of 50: {}  (listing again: p50 {})",
        ms(cold),
        ms(percentile(&warm, 0.5))
    );
}
