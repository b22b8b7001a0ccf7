//! The body of desk-core's search fuzz target, shared by cargo-fuzz (`fuzz/fuzz_targets/`) and the
//! stable test (`tests/fuzz_search.rs`). See docs/fuzzing.md.

use super::query::Parsed;
use crate::case::{CaseField, CaseFilter};
use crate::store::Store;

/// A real store (one per thread, in a scratch folder) holding cases in several scripts and one
/// case whose summary each input rewrites.
struct Scratch {
    store: Store,
    case_id: i64,
}

thread_local! {
    static SCRATCH: Scratch = Scratch::open();
}

impl Scratch {
    fn open() -> Self {
        let thread = std::thread::current().id();
        let dir = std::env::temp_dir()
            .join(format!("paks-fuzz-search-{}-{thread:?}", std::process::id()));
        let store = match Store::open(&dir) {
            Ok(store) => store,
            Err(e) => panic!("the scratch store in {} does not open: {e}", dir.display()),
        };
        let texts = [
            ("LAO", "ການລົງທະບຽນເກີດທາງອອນລາຍ ໃນນະຄອນຫຼວງວຽງຈັນ"),
            ("CHN", "电子政务服务平台 让公民在线办理"),
            ("THA", "ระบบลงทะเบียนออนไลน์ของรัฐบาล"),
            ("BTN", "Mobile birth registration: the e-government portal of Bhutan"),
        ];
        for (country, summary) in texts {
            let made = store
                .create_case(summary, Some(country))
                .and_then(|case| store.set_field(case.id, CaseField::Summary, summary));
            if let Err(e) = made {
                panic!("the scratch store cannot hold a case: {e}");
            }
        }
        let case_id = match store.create_case("Rewritten by every input", Some("NPL")) {
            Ok(case) => case.id,
            Err(e) => panic!("the scratch store cannot hold a case: {e}"),
        };
        Self { store, case_id }
    }
}

/// `query NUL text`: `text` becomes the scratch case's summary, then `query` is searched. Any
/// query is text to FTS5, never syntax: the search answers, whatever the bytes. A query of one
/// plain ASCII word finds the case whose summary holds that word.
pub fn search_query(data: &[u8]) {
    let (query, text) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], Some(&data[nul + 1..])),
        None => (data, None),
    };
    let query = String::from_utf8_lossy(query);
    let parsed = Parsed::parse(&query);
    for term in parsed.long_unspaced.iter().chain(&parsed.short_unspaced) {
        assert!(!term.is_empty(), "an empty unspaced term from {query:?}");
    }
    SCRATCH.with(|scratch| {
        let saved = text.map(|text| {
            let text = String::from_utf8_lossy(text);
            let saved = scratch.store.set_field(scratch.case_id, CaseField::Summary, &text);
            (text.into_owned(), saved.is_ok())
        });
        let hits = match scratch.store.search(&query, &CaseFilter::default()) {
            Ok(hits) => hits,
            Err(e) => panic!("the search for {query:?} failed: {e}"),
        };
        let Some((text, true)) = saved else { return };
        let [word] = parsed.words.as_slice() else { return };
        let plain = word.bytes().all(|b| b.is_ascii_alphanumeric());
        if !plain || !parsed.long_unspaced.is_empty() || !parsed.short_unspaced.is_empty() {
            return;
        }
        // Cut only at ASCII separators: the index's tokenizer keeps every mark (`M*`) inside a
        // word, `is_token_char` only those of our scripts, so a non-ASCII neighbour may belong to
        // the word (found by cargo-fuzz: "0" beside a Thai mark).
        let holds_word = text
            .split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric())
            .any(|t| t.eq_ignore_ascii_case(word));
        if holds_word {
            assert!(
                hits.iter().any(|hit| hit.case_id == scratch.case_id),
                "{word:?} is a word of the summary, but the search does not find it"
            );
        }
    });
}
