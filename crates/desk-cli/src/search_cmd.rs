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
}

pub fn run(store: &Store, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let filter = crate::case_cmd::filter_of(args.country, args.status, args.mdg, args.limit)?;
    let hits = store.search(&args.query, &filter)?;
    if args.json {
        output::json(&hits)?;
    } else if hits.is_empty() {
        println!("Nothing found.");
    } else {
        for hit in hits {
            let snippet: String = hit
                .snippet
                .iter()
                .map(|s| if s.hit { format!("[{}]", s.text) } else { s.text.clone() })
                .collect();
            println!(
                "{:>5}  {}  ({})\n       {}",
                hit.case_id,
                hit.case_title,
                hit.place.describe(),
                snippet.replace('\n', " ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
