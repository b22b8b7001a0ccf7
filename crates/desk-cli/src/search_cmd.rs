//! `search`: the same search as the app's search box.

use std::process::ExitCode;

use clap::Args;
use desk_core::Store;

use crate::output;

#[derive(Args)]
pub struct SearchArgs {
    /// Words to find; any characters are searched as text.
    query: String,
    #[arg(long)]
    json: bool,
    /// ISO 3166-1 alpha-3, e.g. LAO.
    #[arg(long)]
    country: Option<String>,
    /// An MDG goal ("8") or target ("8.F").
    #[arg(long)]
    mdg: Option<String>,
    /// draft, queued, submitted, under_review, published, changes_requested, rejected
    #[arg(long)]
    status: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Also search the library of published cases (its hits are marked [library]).
    #[arg(long)]
    library: bool,
}

pub fn run(store: &Store, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let library = if args.library {
        let filter = crate::library_cmd::filter_of(
            args.country.clone(),
            args.mdg.clone(),
            None,
            args.limit,
        )?;
        store.search_library(&args.query, &filter)?
    } else {
        Vec::new()
    };
    let filter = crate::case_cmd::filter_of(args.country, args.status, args.mdg, args.limit)?;
    let hits = store.search(&args.query, &filter)?;
    if args.json {
        if args.library {
            output::json(&serde_json::json!({ "own": hits, "library": library }))?;
        } else {
            output::json(&hits)?;
        }
    } else if hits.is_empty() && library.is_empty() {
        println!("Nothing found.");
    } else {
        for hit in hits {
            println!(
                "{:>5}  {}  ({})\n       {}",
                hit.case_id,
                hit.case_title,
                hit.place.describe(),
                output::snippet(&hit.snippet)
            );
        }
        library.iter().for_each(crate::library_cmd::print_hit);
    }
    Ok(ExitCode::SUCCESS)
}
