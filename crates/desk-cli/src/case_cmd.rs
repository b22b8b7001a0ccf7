use std::ffi::OsString;
use std::io::Read;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use desk_core::{CaseField, CaseFilter, CaseStatus, Framework, LinkInput, Store, text_from_bytes};

use crate::output;

#[derive(Subcommand)]
pub enum CaseCommand {
    /// Creates a draft and prints its id.
    New {
        #[arg(long)]
        title: String,
        /// ISO 3166-1 alpha-3, e.g. LAO.
        #[arg(long)]
        country: Option<String>,
    },
    /// Saves one field. VALUE `-` reads the text from standard input.
    Set {
        id: i64,
        /// A field name, e.g. summary, lessons_learned (see `case fields`).
        field: String,
        value: OsString,
    },
    /// Links the case to an MDG or SDG target, with a note on how it contributes.
    Link(LinkArgs),
    /// Removes a goal link.
    Unlink {
        id: i64,
        #[arg(long, conflicts_with = "sdg", required_unless_present = "sdg")]
        mdg: Option<String>,
        #[arg(long)]
        sdg: Option<String>,
        #[arg(long)]
        indicator: Option<String>,
    },
    /// Shows a case.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Lists the newest version of each case.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        country: Option<String>,
        /// draft, queued, submitted, under_review, published, changes_requested, rejected
        #[arg(long)]
        status: Option<String>,
        /// An MDG goal ("8") or target ("8.F").
        #[arg(long)]
        mdg: Option<String>,
    },
    /// Says what is missing before the case can be submitted; exits 1 when incomplete.
    Check {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// The case's revisions, newest first.
    Revisions {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Brings a draft back to a revision (the current state is kept as a revision first).
    Restore { id: i64, revision: i64 },
    /// Marks the current state as a named revision.
    Checkpoint {
        id: i64,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Starts a new editable version of a submitted case.
    NewVersion { id: i64 },
    /// SDG targets suggested from the case's MDG targets (a reasoned mapping, not official).
    Suggest {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// The field names `case set` accepts.
    Fields,
}

#[derive(Args)]
pub struct LinkArgs {
    id: i64,
    /// An MDG target, e.g. 8.F.
    #[arg(long, conflicts_with = "sdg", required_unless_present = "sdg")]
    mdg: Option<String>,
    /// An SDG target, e.g. 9.c.
    #[arg(long)]
    sdg: Option<String>,
    /// An MDG indicator under the target, e.g. 8.16.
    #[arg(long)]
    indicator: Option<String>,
    /// How the case contributes to the target.
    #[arg(long, default_value = "")]
    note: String,
}

pub fn run(store: &Store, command: CaseCommand) -> anyhow::Result<ExitCode> {
    match command {
        CaseCommand::New { title, country } => {
            let case = store.create_case(&title, country.as_deref())?;
            println!("{}", case.id);
        }
        CaseCommand::Set { id, field, value } => {
            let field = CaseField::parse(&field)?;
            let saved = store.set_field(id, field, &value_text(value)?)?;
            let advice = field
                .limits()
                .advisory_words
                .map(|w| format!(" of {w} advised"))
                .unwrap_or_default();
            let unit = if saved.words == 1 { "word" } else { "words" };
            println!("Saved {} ({} {unit}{advice}).", field.label(), saved.words);
            if saved.advisory_exceeded {
                eprintln!(
                    "note: {} is longer than advised; it was saved all the same.",
                    field.label()
                );
            }
        }
        CaseCommand::Link(args) => {
            let (framework, target) = match (args.mdg, args.sdg) {
                (Some(target), _) => (Framework::Mdg, target),
                (None, Some(target)) => (Framework::Sdg, target),
                (None, None) => anyhow::bail!("give --mdg TARGET or --sdg TARGET"),
            };
            let input = LinkInput { framework, target, indicator: args.indicator, note: args.note };
            let case = store.link_goal(args.id, &input)?;
            println!(
                "Case {} links {} MDG and {} SDG targets.",
                case.id,
                case.mdg_links.len(),
                case.sdg_links.len()
            );
        }
        CaseCommand::Unlink { id, mdg, sdg, indicator } => {
            let (framework, target) = match (mdg, sdg) {
                (Some(target), _) => (Framework::Mdg, target),
                (None, Some(target)) => (Framework::Sdg, target),
                (None, None) => anyhow::bail!("give --mdg TARGET or --sdg TARGET"),
            };
            store.unlink_goal(id, framework, &target, indicator.as_deref())?;
            println!("Removed.");
        }
        CaseCommand::Show { id, json } => {
            let case = store.case(id)?;
            if json {
                output::json(&case)?;
            } else {
                println!(
                    "Case {} (version {}, {}), edited {}",
                    case.id,
                    case.version,
                    case.status.label(),
                    output::time(case.updated_at)
                );
                for field in CaseField::ALL {
                    let value = case.field(field);
                    if !value.is_empty() {
                        println!("\n{}:\n{}", field.label(), value);
                    }
                }
                for link in case.mdg_links.iter().chain(&case.sdg_links) {
                    let indicator = link
                        .indicator
                        .as_deref()
                        .map(|i| format!(" (indicator {i})"))
                        .unwrap_or_default();
                    println!(
                        "\n{} {}{}: {}",
                        link.framework.label(),
                        link.target,
                        indicator,
                        link.note
                    );
                }
            }
        }
        CaseCommand::List { json, country, status, mdg } => {
            let filter = filter_of(country, status, mdg, 10_000)?;
            let cases = store.list_cases(&filter)?;
            if json {
                output::json(&cases)?;
            } else {
                for c in cases {
                    println!(
                        "{:>5}  v{}  {:<3}  {:<18}  {}",
                        c.id,
                        c.version,
                        c.country,
                        c.status.label(),
                        c.title
                    );
                }
            }
        }
        CaseCommand::Check { id, json } => {
            let missing = store.case(id)?.missing();
            if json {
                output::json(&missing)?;
            } else if missing.is_empty() {
                println!("Case {id} is complete and can be submitted.");
            } else {
                println!("Case {id} cannot be submitted yet. Missing:");
                for item in &missing {
                    println!("  - {}: {}", item.label(), item.hint());
                }
            }
            if !missing.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        CaseCommand::Revisions { id, json } => {
            let revisions = store.revisions(id)?;
            if json {
                output::json(&revisions)?;
            } else {
                for r in revisions {
                    let changed: Vec<&str> = r.changed_fields.iter().map(|f| f.label()).collect();
                    println!(
                        "{:>5}  {}  {:+6} chars  {:?}  {}  {}",
                        r.id,
                        output::time(r.updated_at),
                        r.chars_delta,
                        r.kind,
                        r.label,
                        changed.join(", ")
                    );
                }
            }
        }
        CaseCommand::Restore { id, revision } => {
            store.restore_revision(id, revision)?;
            println!(
                "Case {id} restored to revision {revision}; the state before was kept as a revision."
            );
        }
        CaseCommand::Checkpoint { id, label } => {
            store.checkpoint(id, &label)?;
            println!("Checkpoint saved.");
        }
        CaseCommand::NewVersion { id } => {
            let case = store.new_version(id)?;
            println!("{}", case.id);
        }
        CaseCommand::Suggest { id, json } => {
            let suggestions = store.suggested_sdg_targets(id)?;
            if json {
                output::json(&suggestions)?;
            } else {
                println!("{}", desk_core::catalog::CROSSWALK_NOTICE);
                for s in suggestions {
                    println!("  SDG {} (from MDG {})", s.sdg_target, s.because_of.join(", "));
                }
            }
        }
        CaseCommand::Fields => {
            for field in CaseField::ALL {
                println!("{:<18} {}", field.column(), field.label());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A list or search filter from the command line; an unknown country, status or MDG goal or
/// target is an error rather than an empty result.
pub(crate) fn filter_of(
    country: Option<String>,
    status: Option<String>,
    mdg: Option<String>,
    limit: u32,
) -> anyhow::Result<CaseFilter> {
    let country = country.map(|c| c.trim().to_ascii_uppercase());
    if let Some(code) = &country
        && desk_core::catalog::country(code).is_none()
    {
        anyhow::bail!(
            "'{code}' is not an ESCAP country code (e.g. LAO, BTN, NPL; `catalog countries` lists them)"
        );
    }
    let mdg = mdg.map(|m| m.trim().to_ascii_uppercase());
    if let Some(id) = &mdg {
        let catalog = desk_core::catalog::mdg();
        let known = catalog.goals.iter().any(|g| g.id.eq_ignore_ascii_case(id))
            || catalog.target(id).is_some();
        if !known {
            anyhow::bail!(
                "'{id}' is not an MDG goal (1 to 8) or target (e.g. 8.F; `catalog mdg` lists them)"
            );
        }
    }
    let status = status.map(|s| parse_status(&s)).transpose()?;
    Ok(CaseFilter { country, status, mdg, limit: Some(limit), offset: None })
}

fn parse_status(text: &str) -> anyhow::Result<CaseStatus> {
    let json = format!("\"{}\"", text.trim().replace(' ', "_"));
    serde_json::from_str(&json).map_err(|_| {
        anyhow::anyhow!("'{text}' is not a status (draft, queued, submitted, under_review, published, changes_requested, rejected)")
    })
}

fn value_text(value: OsString) -> anyhow::Result<String> {
    if value == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        return Ok(text_from_bytes(bytes)?);
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Ok(text_from_bytes(value.into_vec())?)
    }
    #[cfg(not(unix))]
    {
        value
            .into_string()
            .map_err(|_| anyhow::anyhow!("the text is not valid Unicode; it was not saved"))
    }
}
