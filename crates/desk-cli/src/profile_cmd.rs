use std::process::ExitCode;

use clap::Subcommand;
use desk_core::{Profile, Store};

use crate::output;

#[derive(Subcommand)]
pub enum ProfileCommand {
    /// Sets the focal point's profile (all of it).
    Set {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long)]
        institution: String,
        #[arg(long)]
        email: String,
        /// ISO 3166-1 alpha-3, e.g. LAO.
        #[arg(long)]
        country: String,
    },
    /// Shows the profile.
    Show {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(store: &Store, command: ProfileCommand) -> anyhow::Result<ExitCode> {
    match command {
        ProfileCommand::Set { name, title, institution, email, country } => {
            let saved = store.set_profile(&Profile { name, title, institution, email, country })?;
            println!(
                "Profile saved: {} <{}>, {}, {}",
                saved.name, saved.email, saved.institution, saved.country
            );
        }
        ProfileCommand::Show { json } => match store.profile()? {
            Some(profile) if json => output::json(&profile)?,
            Some(p) => {
                println!("{}\n{}\n{}\n{}\n{}", p.name, p.title, p.institution, p.email, p.country)
            }
            None => {
                eprintln!("No profile yet: run `paks-desk-cli profile set ...`.");
                return Ok(ExitCode::from(1));
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}
