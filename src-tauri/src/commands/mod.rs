//! The commands the UI invokes. Each is thin: state and arguments in, one call into a crate,
//! a `CommandError` out. They are `async` so Tauri runs them off the main (UI) thread.

pub mod attachments;
pub mod backups;
pub mod cases;
pub mod catalog;
pub mod handcarry;
pub mod library;
pub mod profile;
pub mod publication;
pub mod revisions;
pub mod search;
pub mod sync;
pub mod updates;
pub mod window;

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{CommandError, CommandResult};

/// Why the store could not be opened at start-up, if it could not (the UI shows it); cleared
/// once a backup put in its place opened.
#[derive(Default)]
pub struct Startup(Mutex<Option<CommandError>>);

impl Startup {
    pub fn failed(err: CommandError) -> Self {
        Self(Mutex::new(Some(err)))
    }

    pub fn error(&self) -> Option<CommandError> {
        self.lock().clone()
    }

    /// Runs `repair` only while the start-up error stands (one at a time); its success clears
    /// the error.
    pub fn repair<T>(&self, repair: impl FnOnce() -> CommandResult<T>) -> CommandResult<T> {
        let mut error = self.lock();
        if error.is_none() {
            return Err(CommandError::new(
                "store_open",
                "PAKS Desk's data is open and sound: a backup is put back only when it could not \
                 be opened. To go back to a backup anyway, close PAKS Desk and run \
                 'paks-desk-cli backup restore'.",
            ));
        }
        let repaired = repair()?;
        *error = None;
        Ok(repaired)
    }

    fn lock(&self) -> MutexGuard<'_, Option<CommandError>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[tauri::command]
pub async fn startup_error(startup: tauri::State<'_, Startup>) -> Result<Option<CommandError>, ()> {
    Ok(startup.error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repair_runs_only_while_the_start_up_error_stands_and_its_success_clears_it() {
        let healthy = Startup::default();
        let refused = healthy.repair(|| Ok(()));
        assert_eq!(refused.map_err(|err| err.code), Err("store_open".to_owned()));

        let damaged = Startup::failed(CommandError::new("database_damaged", "damaged"));
        let failed: CommandResult<()> = damaged.repair(|| Err(CommandError::new("no_backup", "")));
        assert_eq!(failed.map_err(|err| err.code), Err("no_backup".to_owned()));
        assert_eq!(damaged.error().map(|err| err.code).as_deref(), Some("database_damaged"));

        assert_eq!(damaged.repair(|| Ok(7)), Ok(7));
        assert_eq!(damaged.error(), None);
        assert!(damaged.repair(|| Ok(())).is_err(), "a second repair is refused");
    }
}
