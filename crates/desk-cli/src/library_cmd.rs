//! `library`: the region's published cases, kept on this desk to read offline.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use desk_core::{LibraryFilter, LibraryHit, Store};
use desk_sync::library::{
    DOWNLOAD_WHILE_WAITING, LibrarySyncOptions, fetch_library_file_text, open_library_file,
    public_client, sync_library,
};

use crate::output;

#[derive(Subcommand)]
pub enum LibraryCommand {
    /// Fetches what PAKS published, changed or withdrew since the last sync, then the text of
    /// the published files not read yet (each downloaded once, smallest first).
    Sync {
        /// Only the cases' own text: no file is downloaded.
        #[arg(long)]
        no_file_text: bool,
        /// Larger files are not downloaded for their text (they still open on demand).
        #[arg(long, default_value_t = 20)]
        file_text_max_mb: u64,
        #[arg(long)]
        json: bool,
    },
    /// Searches the published cases (offline).
    Search(SearchArgs),
    /// A published case: its goals, sections and files.
    Show {
        /// The library id (from `search`) or the case uid.
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Downloads a file of a published case (resuming a cut download) and prints its path.
    OpenFile {
        /// The library id or case uid.
        id: String,
        /// The file's name or number (from `show`).
        file: String,
    },
    /// Published cases like one of yours: the same MDG/SDG targets or words.
    Like {
        /// Your case's id.
        case: i64,
        #[arg(long, default_value_t = 10)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// How many cases the library holds, and the disk its opened files take.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Shows or sets the most disk (MB) opened files may take; over it the least recently
    /// opened go first. The cases' text is always kept.
    StorageCap { megabytes: Option<u64> },
}

#[derive(Args)]
pub struct SearchArgs {
    /// Words to find; any characters are searched as text.
    query: String,
    /// ISO 3166-1 alpha-3, e.g. LAO.
    #[arg(long)]
    country: Option<String>,
    /// An MDG goal ("8") or target ("8.F").
    #[arg(long)]
    mdg: Option<String>,
    /// An SDG goal ("16") or target ("16.6").
    #[arg(long)]
    sdg: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long)]
    json: bool,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

pub fn run(store: &Store, command: LibraryCommand) -> anyhow::Result<ExitCode> {
    match command {
        LibraryCommand::Sync { no_file_text, file_text_max_mb, json } => {
            let file_text = (!no_file_text).then_some(file_text_max_mb.saturating_mul(1 << 20));
            sync(store, file_text, json)
        }
        LibraryCommand::Search(args) => search(store, args),
        LibraryCommand::Show { id, json } => show(store, &id, json),
        LibraryCommand::OpenFile { id, file } => open_file(store, &id, &file),
        LibraryCommand::Like { case, limit, json } => like(store, case, limit, json),
        LibraryCommand::Status { json } => status(store, json),
        LibraryCommand::StorageCap { megabytes: Some(megabytes) } => {
            let dropped = store.set_library_storage_cap_mb(megabytes)?;
            println!(
                "Opened library files may take {megabytes} MB; {} dropped to fit.",
                dropped.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        LibraryCommand::StorageCap { megabytes: None } => {
            let state = store.library_state()?;
            println!(
                "Opened library files may take {} MB; they take {} bytes now.",
                state.storage_cap_bytes >> 20,
                state.stored_file_bytes
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn sync(store: &Store, file_text_max: Option<u64>, json: bool) -> anyhow::Result<ExitCode> {
    let (client, key) = public_client(store)?;
    let options = LibrarySyncOptions::default();
    let rt = runtime()?;
    let report = rt.block_on(sync_library(store, &client, key.as_deref(), &options, |r| {
        if !json {
            println!(
                "page {}: {} published, {} withdrawn so far",
                r.pages, r.published, r.withdrawn
            );
        }
    }))?;
    let files = match file_text_max {
        Some(max) => Some(rt.block_on(fetch_library_file_text(
            store,
            &client,
            &crate::attach_cmd::worker()?,
            &DOWNLOAD_WHILE_WAITING,
            max,
        ))?),
        None => None,
    };
    if json {
        output::json(&serde_json::json!({ "feed": report, "file_text": files }))?;
    } else {
        let state = store.library_state()?;
        println!(
            "The library is up to date: {} cases ({} published or changed, {} withdrawn, {} bytes read).",
            state.cases, report.published, report.withdrawn, report.bytes
        );
        if let Some(files) = files {
            println!(
                "Text of {} published files indexed ({} without text, {} bytes downloaded).",
                files.indexed, files.without_text, files.bytes
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn filter_of(
    country: Option<String>,
    mdg: Option<String>,
    sdg: Option<String>,
    limit: u32,
) -> anyhow::Result<LibraryFilter> {
    let own = crate::case_cmd::filter_of(country, None, mdg, limit)?;
    let sdg = sdg.map(|s| s.trim().to_owned());
    if let Some(id) = &sdg {
        let catalog = desk_core::catalog::sdg();
        let known = catalog.target(id).is_some() || catalog.goals.iter().any(|g| g.id == *id);
        if !known {
            anyhow::bail!("'{id}' is not an SDG goal or target (e.g. 16 or 16.6)");
        }
    }
    Ok(LibraryFilter { country: own.country, mdg: own.mdg, sdg, limit: Some(limit), offset: None })
}

pub(crate) fn print_hit(hit: &LibraryHit) {
    println!(
        "{:>5}  {}  {} ({}) [library]\n       {}",
        hit.library_case_id,
        hit.country,
        hit.case_title,
        hit.place.describe(),
        output::snippet(&hit.snippet)
    );
}

fn search(store: &Store, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let filter = filter_of(args.country, args.mdg, args.sdg, args.limit)?;
    let hits = store.search_library(&args.query, &filter)?;
    if args.json {
        output::json(&hits)?;
    } else if hits.is_empty() {
        println!("Nothing found in the library.");
    } else {
        hits.iter().for_each(print_hit);
    }
    Ok(ExitCode::SUCCESS)
}

fn show(store: &Store, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let case = store.library_case(id)?;
    if json {
        output::json(&case)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} (library {}, case {} v{})", case.title, case.id, case.case_uid, case.version);
    println!("{}, {} — published {}", case.country, case.language, case.published_at);
    if !case.mdg_targets.is_empty() {
        println!("MDG targets: {}", case.mdg_targets.join(", "));
    }
    if !case.sdg_targets.is_empty() {
        println!("SDG targets: {}", case.sdg_targets.join(", "));
    }
    for section in &case.sections {
        println!("\n{}\n{}", section.field.label(), section.text);
    }
    if !case.files.is_empty() {
        println!("\nFiles:");
    }
    for f in &case.files {
        let here = if f.stored { ", on this computer" } else { "" };
        println!("  {}. {} ({} bytes{here})", f.position, f.name, f.size);
    }
    Ok(ExitCode::SUCCESS)
}

fn open_file(store: &Store, id: &str, file: &str) -> anyhow::Result<ExitCode> {
    let file = store.library_file(id, file)?;
    let (client, _) = public_client(store)?;
    let path = runtime()?.block_on(open_library_file(
        store,
        &client,
        &file,
        &DOWNLOAD_WHILE_WAITING,
        |_| {},
    ))?;
    if !store.library_file_text_read(&file.sha256)?
        && let Err(err) = store.read_library_file_text(&file, &path, &crate::attach_cmd::worker()?)
    {
        eprintln!("Warning: its text could not be read for search ({err}).");
    }
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn like(store: &Store, case: i64, limit: u32, json: bool) -> anyhow::Result<ExitCode> {
    let cases = store.library_like(case, limit)?;
    if json {
        output::json(&cases)?;
    } else if cases.is_empty() {
        println!("No published case is like this one yet (sync the library first).");
    } else {
        for c in cases {
            let mut why = c.shared_targets.join(", ");
            if c.shares_words {
                why.push_str(if why.is_empty() { "shared words" } else { ", shared words" });
            }
            println!("{:>5}  {}  {}  ({why})", c.library_case_id, c.country, c.case_title);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn status(store: &Store, json: bool) -> anyhow::Result<ExitCode> {
    let state = store.library_state()?;
    if json {
        output::json(&state)?;
    } else {
        println!(
            "{} published cases; opened files take {} of {} bytes.{}",
            state.cases,
            state.stored_file_bytes,
            state.storage_cap_bytes,
            state
                .synced_at
                .map(|t| format!(" Last synced {}.", output::time(t)))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
