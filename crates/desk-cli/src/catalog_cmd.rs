use std::process::ExitCode;

use clap::Subcommand;
use desk_core::catalog;

use crate::output;

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// MDG goals, targets and indicators (official wording, 15 January 2008).
    Mdg {
        #[arg(long)]
        json: bool,
    },
    /// SDG goals and targets.
    Sdg {
        #[arg(long)]
        json: bool,
    },
    /// ESCAP members and associate members with LDC / LLDC / SIDS flags.
    Countries {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: CatalogCommand) -> anyhow::Result<ExitCode> {
    match command {
        CatalogCommand::Mdg { json: true } => output::json(catalog::mdg())?,
        CatalogCommand::Mdg { json: false } => {
            let mdg = catalog::mdg();
            for goal in &mdg.goals {
                println!("Goal {}: {}", goal.id, goal.title);
                for target in &goal.targets {
                    println!("  {} {}", target.id, target.text);
                    for indicator in mdg.indicators_of(target) {
                        println!("      {} {}", indicator.id, indicator.text);
                    }
                }
            }
        }
        CatalogCommand::Sdg { json: true } => output::json(catalog::sdg())?,
        CatalogCommand::Sdg { json: false } => {
            for goal in &catalog::sdg().goals {
                println!("SDG {}: {}", goal.id, goal.title);
                for target in &goal.targets {
                    println!("  {} {}", target.id, target.text);
                }
            }
        }
        CatalogCommand::Countries { json: true } => output::json(catalog::countries())?,
        CatalogCommand::Countries { json: false } => {
            for c in catalog::countries() {
                let flags: Vec<&str> = [(c.ldc, "LDC"), (c.lldc, "LLDC"), (c.sids, "SIDS")]
                    .into_iter()
                    .filter_map(|(on, name)| on.then_some(name))
                    .collect();
                println!("{} {:<45} {}", c.iso3, c.name, flags.join(" "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
