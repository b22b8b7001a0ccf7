//! Logs go to stderr and to a daily file in the platform's log folder (on Linux
//! `~/.local/share/org.un-paks.desk/logs`). `PAKS_DESK_LOG` (or `RUST_LOG`) sets the level,
//! e.g. `PAKS_DESK_LOG=debug`.

use std::io::IsTerminal;
use std::path::Path;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub fn init(log_dir: Option<&Path>) {
    let filter = std::env::var("PAKS_DESK_LOG")
        .ok()
        .and_then(|level| EnvFilter::try_new(level).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let file = log_dir
        .filter(|dir| std::fs::create_dir_all(dir).is_ok())
        .map(|dir| tracing_appender::rolling::daily(dir, "paks-desk.log"));
    let file_layer =
        file.map(|writer| tracing_subscriber::fmt::layer().with_ansi(false).with_writer(writer));
    // Fails only if a subscriber is already set (twice in one process); keep the first.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(std::io::stderr().is_terminal())
                .with_writer(std::io::stderr),
        )
        .with(file_layer)
        .try_init();
}
