//! Library benchmark: `cargo bench -p desk-core --bench library`. Stores 5,000 published cases
//! as the sync does (pages of 50, each in one transaction with its cursor), then 50 changes,
//! and searches the user's own 2,000 cases (before the library is stored and after) and the
//! library, unfiltered and filtered by a country, an MDG target and an SDG goal: p50 and p99. Nothing here asserts a time. (Bytes over the network are the sync's:
//! see `docs/performance.md`.)

use std::time::{Duration, Instant};

use desk_core::{CaseField, CaseFilter, LibraryFilter, Store};
use paks_protocol::{
    CaseDocument, FocalPointContact, MdgLink, PublicChange, PublicChangeKind, PublishedCase,
    SdgLink,
};
use uuid::Uuid;

const OWN_CASES: usize = 2_000;
const LIBRARY_CASES: usize = 5_000;
const PAGE: usize = 50;

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
    "budget",
    "procurement",
    "tax",
    "license",
    "land",
    "court",
    "agriculture",
    "weather",
];
const LO: &[&str] = &["ລັດຖະບານ", "ບໍລິການ", "ປະຊາຊົນ", "ທຸລະກິດ", "ອອນລາຍ", "ເອເລັກໂຕຣນິກ"];
const ZH: &[&str] = &["政务", "服务", "公共", "效率", "平台", "电子", "政府", "数据"];
const COUNTRIES: &[&str] = &["LAO", "THA", "BTN", "NPL", "KIR", "KHM", "MMR", "CHN"];

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

fn text(rng: &mut Rng, words: usize) -> String {
    let script = rng.next() % 10;
    let mut out = String::new();
    for _ in 0..words {
        match script {
            0 => out.push_str(rng.pick(LO)),
            1 => out.push_str(rng.pick(ZH)),
            _ => out.push_str(rng.pick(EN)),
        }
        if script > 1 || rng.next().is_multiple_of(6) {
            out.push(' ');
        }
    }
    out
}

fn published(rng: &mut Rng, n: usize, version: u32) -> PublicChange {
    let uid = Uuid::from_u128(n as u128 + 1);
    let case = CaseDocument {
        schema_version: 1,
        case_uid: uid,
        version,
        replaces: (version > 1).then(Uuid::new_v4),
        language: "en".into(),
        title: format!("Published case {n} {}", rng.pick(EN)),
        country: COUNTRIES[n % COUNTRIES.len()].into(),
        summary: text(rng, 120),
        problem: text(rng, 200),
        solution: text(rng, 300),
        results: text(rng, 200),
        lessons_learned: text(rng, 200),
        mdg_links: vec![MdgLink {
            target: ["8.F", "1.A", "3.A", "6.C"][n % 4].into(),
            indicator: None,
            note: String::new(),
        }],
        sdg_links: vec![SdgLink { target: ["16.6", "9.c", "17.8"][n % 3].into(), note: None }],
        focal_point: FocalPointContact {
            name: "Focal point".into(),
            title: String::new(),
            institution: "Ministry".into(),
            email: "fp@example.org".into(),
        },
        ..CaseDocument::default()
    };
    PublicChange {
        cursor: String::new(),
        case_uid: uid,
        kind: PublicChangeKind::Published,
        changed_at: "2026-12-01T00:00:00Z".into(),
        case: Some(PublishedCase {
            submission_id: Uuid::new_v4(),
            published_at: "2026-12-01T00:00:00Z".into(),
            html_url: format!("/cases/{uid}"),
            case,
            files: Vec::new(),
        }),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn store_pages(
    store: &Store,
    changes: Vec<PublicChange>,
    first_cursor: usize,
) -> (Duration, usize) {
    let mut bytes = 0;
    let started = Instant::now();
    for (p, page) in changes.chunks(PAGE).enumerate() {
        let mut page = page.to_vec();
        for (i, change) in page.iter_mut().enumerate() {
            change.cursor = (first_cursor + p * PAGE + i + 1).to_string();
        }
        bytes += serde_json::to_vec(&page).expect("json").len();
        let next = page.last().map(|c| c.cursor.clone()).unwrap_or_default();
        store.store_library_page(&page, &next).expect("page");
    }
    (started.elapsed(), bytes)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for n in 0..OWN_CASES {
        let case = store
            .create_case(&format!("Case {n} {}", rng.pick(EN)), Some(COUNTRIES[n % 8]))
            .expect("case");
        store.set_field(case.id, CaseField::Summary, &text(&mut rng, 120)).expect("summary");
    }

    // The user's own search before the library exists: the figure the library must not spoil.
    let mut before = Vec::new();
    let hits_before = time_queries(&mut before, |q| store.search(q, &CaseFilter::default()));

    let changes: Vec<PublicChange> =
        (0..LIBRARY_CASES).map(|n| published(&mut rng, n, 1)).collect();
    let (took, bytes) = store_pages(&store, changes, 0);
    println!(
        "stored {LIBRARY_CASES} published cases in pages of {PAGE}: {:.1} s, {} MB of feed JSON; database {} MB",
        took.as_secs_f64(),
        bytes >> 20,
        std::fs::metadata(store.db_path()).map(|m| m.len() >> 20).unwrap_or(0)
    );
    let changes: Vec<PublicChange> =
        (0..50).map(|n| published(&mut rng, n * 97 % LIBRARY_CASES, 2)).collect();
    let (took, bytes) = store_pages(&store, changes, LIBRARY_CASES);
    println!("then 50 changes: {} ms, {} kB of feed JSON", took.as_millis(), bytes >> 10);

    let mut own = Vec::new();
    let mut library = Vec::new();
    let hits_own = time_queries(&mut own, |q| store.search(q, &CaseFilter::default()));
    let hits_library =
        time_queries(&mut library, |q| store.search_library(q, &LibraryFilter::default()));
    let mut filtered = Vec::new();
    let filters = [
        LibraryFilter { country: Some("LAO".into()), ..LibraryFilter::default() },
        LibraryFilter { mdg: Some("8.F".into()), ..LibraryFilter::default() },
        LibraryFilter { sdg: Some("16".into()), ..LibraryFilter::default() },
    ];
    let hits_filtered: usize = filters
        .iter()
        .map(|filter| time_queries(&mut filtered, |q| store.search_library(q, filter)))
        .sum();
    for (name, times, hits) in [
        ("own cases, no library", &mut before, hits_before),
        ("own cases, library loaded", &mut own, hits_own),
        ("library", &mut library, hits_library),
        ("library, filtered", &mut filtered, hits_filtered),
    ] {
        times.sort();
        println!(
            "{name:<26} {} queries ({QUERIES:?}): p50 {}  p99 {}  max {}  ({} hits/query)",
            times.len(),
            ms(percentile(times, 0.5)),
            ms(percentile(times, 0.99)),
            ms(*times.last().expect("samples")),
            hits / times.len()
        );
    }
}

const QUERIES: [&str; 6] = ["government", "digital identity", "ທຸລະກິດ", "政务", "服", "tax portal"];

/// Runs every query 40 times into `times`; returns the hits found in all.
fn time_queries<T>(
    times: &mut Vec<Duration>,
    search: impl Fn(&str) -> desk_core::Result<Vec<T>>,
) -> usize {
    let mut hits = 0;
    for _ in 0..40 {
        for q in QUERIES {
            let start = Instant::now();
            hits += search(q).expect("search").len();
            times.push(start.elapsed());
        }
    }
    hits
}
