//! Search benchmark: `cargo bench -p desk-core --bench search`. 10,000 cases and 50,000 pages of
//! attachment text (English, Thai, Chinese); p50 and p99 per kind of query. Nothing here asserts
//! a time. `PAKS_BENCH_MANUALS=N` adds N whole manuals of 2,500 pages (3,000 characters each),
//! reporting the time and database growth of each, before measuring: the figures the
//! whole-document cap (`Limits::max_chars`) was chosen from.

use std::time::{Duration, Instant};

use desk_core::{CaseField, CaseFilter, Framework, LinkInput, Store};
use desk_extract::{DocKind, Extraction, Outcome, TextUnit};

const CASES: usize = 10_000;
const FILES: usize = 5_000;
const PAGES_PER_FILE: u32 = 10;

const EN: &[&str] = &[
    "government",
    "service",
    "citizens",
    "online",
    "portal",
    "registration",
    "district",
    "ministry",
    "digital",
    "identity",
    "payment",
    "mobile",
    "health",
    "school",
    "records",
    "village",
    "province",
    "training",
    "officials",
    "access",
    "network",
    "broadband",
    "data",
    "open",
    "budget",
    "procurement",
    "tax",
    "license",
    "land",
    "court",
    "agriculture",
    "weather",
    "disaster",
    "election",
    "census",
    "statistics",
    "survey",
    "pension",
    "water",
];
const TH: &[&str] = &[
    "รัฐบาล",
    "ระบบ",
    "ประชาชน",
    "บริการ",
    "ออนไลน์",
    "อิเล็กทรอนิกส์",
    "จังหวัด",
    "กระทรวง",
    "ข้อมูล",
    "การศึกษา",
    "สุขภาพ",
    "ชุมชน",
];
const ZH: &[&str] = &[
    "电子", "政务", "公共", "服务", "平台", "效率", "数据", "居民", "办理", "网上", "部门", "改革",
    "城市", "农村", "教育", "医疗",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as usize
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.next() % words.len()]
    }
}

fn text(rng: &mut Rng, chars: usize) -> String {
    let lang = rng.next() % 10;
    let mut out = String::with_capacity(chars * 3);
    while out.chars().count() < chars {
        match lang {
            0 => out.push_str(rng.pick(TH)),
            1 => out.push_str(rng.pick(ZH)),
            _ => {
                out.push_str(rng.pick(EN));
                out.push(' ');
            }
        }
        if lang < 2 && rng.next().is_multiple_of(8) {
            out.push(' ');
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    // PAKS_BENCH_KEEP=DIR keeps the built store there (and searches it again, unbuilt, when it
    // is there already), for looking into it or comparing changes to the search code.
    let kept = std::env::var_os("PAKS_BENCH_KEEP").map(std::path::PathBuf::from);
    let reuse = kept.as_deref().is_some_and(|k| k.join("paks-desk.sqlite3").exists());
    let store = Store::open(kept.as_deref().unwrap_or(dir.path())).expect("open");
    if !reuse {
        build(&store);
    }
    let manuals = std::env::var("PAKS_BENCH_MANUALS").ok().and_then(|n| n.parse().ok());
    if let Some(count) = manuals {
        add_manuals(&store, count);
    }
    measure(&store);
}

fn build(store: &Store) {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let countries = ["LAO", "THA", "BTN", "NPL", "KIR", "KHM", "MMR", "CHN"];
    let started = Instant::now();
    let mut ids = Vec::with_capacity(CASES);
    for n in 0..CASES {
        let country = countries[n % countries.len()];
        let case =
            store.create_case(&format!("Case {n} {}", rng.pick(EN)), Some(country)).expect("case");
        store.set_field(case.id, CaseField::Summary, &text(&mut rng, 600)).expect("summary");
        ids.push(case.id);
    }
    println!("built {CASES} cases in {:.1} s", started.elapsed().as_secs_f64());

    let started = Instant::now();
    let files = tempfile::tempdir().expect("temp dir");
    for n in 0..FILES {
        let case = ids[rng.next() % ids.len()];
        record_file(store, files.path(), case, &format!("file{n}"), PAGES_PER_FILE, 1500, &mut rng);
    }
    println!(
        "built {} pages in {} files in {:.1} s; database {} MB",
        FILES as u32 * PAGES_PER_FILE,
        FILES,
        started.elapsed().as_secs_f64(),
        std::fs::metadata(store.db_path()).map(|m| m.len() >> 20).unwrap_or(0)
    );
}

/// Attaches a file of `pages` pages of `chars` characters each to `case`, its text recorded as
/// the worker would record it.
fn record_file(
    store: &Store,
    dir: &std::path::Path,
    case: i64,
    name: &str,
    pages: u32,
    chars: usize,
    rng: &mut Rng,
) {
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, format!("%PDF-1.4 bench file {name}")).expect("write");
    let sha = store.import_attachment(case, &path).expect("import").attachment.sha256;
    let units: Vec<TextUnit> = (1..=pages)
        .map(|number| TextUnit {
            number,
            label: "page".into(),
            text: text(rng, chars),
            notes: None,
        })
        .collect();
    let total = units.iter().map(|u| u.text.chars().count() as u64).sum();
    let mut extraction = Extraction::without_text(
        DocKind::Pdf,
        "bench",
        Outcome::Indexed { pages, chars: total, unit: "page".into() },
    );
    extraction.units = units;
    store.record_extraction(&sha, &extraction).expect("record");
}

const MANUAL_PAGES: u32 = 2_500;
const MANUAL_PAGE_CHARS: usize = 3_000;

fn add_manuals(store: &Store, count: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let files = tempfile::tempdir().expect("temp dir");
    let case = store.create_case("Manuals", Some("NPL")).expect("case").id;
    for n in 0..count {
        let before = std::fs::metadata(store.db_path()).map(|m| m.len()).unwrap_or(0);
        let started = Instant::now();
        let name = format!("manual{n}-{}", rng.next());
        record_file(store, files.path(), case, &name, MANUAL_PAGES, MANUAL_PAGE_CHARS, &mut rng);
        let after = std::fs::metadata(store.db_path()).map(|m| m.len()).unwrap_or(0);
        println!(
            "manual {n}: {MANUAL_PAGES} pages, {} characters recorded in {:.1} s; database +{} MB",
            MANUAL_PAGES as usize * MANUAL_PAGE_CHARS,
            started.elapsed().as_secs_f64(),
            after.saturating_sub(before) >> 20
        );
    }
    // What a filter's tokens cost to keep: linking the case to a target rewrites the tokens of
    // every page of its files (migration 0006), once per transaction.
    let link = LinkInput {
        framework: Framework::Mdg,
        target: "8.F".into(),
        indicator: None,
        note: "bench".into(),
    };
    let started = Instant::now();
    store.link_goal(case, &link).expect("link");
    println!(
        "linking the manuals' case to MDG 8.F (its {} pages' filter tokens rewritten): {:.1} s",
        count * MANUAL_PAGES as usize,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    store
        .set_field(case, CaseField::Summary, "manuals of the national ICT programme")
        .expect("field");
    println!("then saving a field of that case: {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
}

fn measure(store: &Store) {
    let groups: &[(&str, &[&str])] = &[
        (
            "Latin",
            &["government", "biometric", "digital identity", "census survey pension", "procure"],
        ),
        ("Thai", &["รัฐบาล", "ประชาชน", "อิเล็กทรอนิกส์", "ระบบ บริการ"]),
        ("Chinese", &["政务", "公共服务", "效率", "电子政务平台", "服"]),
        ("Latin + filter", &["government", "digital identity", "procure"]),
        ("Thai + filter", &["รัฐบาล", "ระบบ บริการ"]),
        ("Chinese + filter", &["政务", "服"]),
    ];
    for (name, queries) in groups {
        // The manuals are in a Nepal case: a Lao filter keeps none of their pages.
        let filter = if name.ends_with("+ filter") {
            CaseFilter { country: Some("LAO".into()), ..CaseFilter::default() }
        } else {
            CaseFilter::default()
        };
        let mut times = Vec::new();
        let mut by_query: Vec<Vec<Duration>> = vec![Vec::new(); queries.len()];
        let mut hits = 0;
        for _ in 0..40 {
            for (i, q) in queries.iter().enumerate() {
                let start = Instant::now();
                hits += store.search(q, &filter).expect("search").len();
                times.push(start.elapsed());
                by_query[i].push(start.elapsed());
            }
        }
        times.sort();
        let slowest: Vec<String> = queries
            .iter()
            .zip(&mut by_query)
            .map(|(q, t)| {
                t.sort();
                format!("{q} {}", ms(percentile(t, 0.5)))
            })
            .collect();
        println!("  median per query: {}", slowest.join(", "));
        println!(
            "{name:<15} {} queries ({:?}): p50 {}  p99 {}  max {}  ({} hits/query)",
            times.len(),
            queries,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().expect("samples")),
            hits / times.len()
        );
    }
}
