//! The `.deb` as a focal point gets it: installed with apt, the installed `/usr/bin/paks-desk`
//! (not the build folder's) makes a case with a deck whose words it finds, is restarted and finds
//! the case again; the package removed, its files are gone and the user's data folder stays.
//!
//! Needs root or sudo (apt-get) and the package from `scripts/build-installers.sh --debug` (debug builds
//! take their attachments from `PAKS_DESK_E2E_PICK`), or the one named by `PAKS_DESK_DEB`.
//! Whoever else installs the package on this machine takes the same lock file first.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::*;
use fantoccini::{Client, Locator};

const PACKAGE: &str = "paks-desk";
const INSTALLED_APP: &str = "/usr/bin/paks-desk";
const TITLE: &str = "Lao e-Tax: ອາກອນ online";
/// What the package puts on the machine, beside the app.
const INSTALLED_FILES: [&str; 6] = [
    "/usr/bin/paks-desk",
    "/usr/bin/paks-desk-cli",
    "/usr/bin/paks-desk-extract-worker",
    "/usr/share/applications/PAKS Desk.desktop",
    "/usr/share/metainfo/org.un-paks.desk.metainfo.xml",
    "/usr/share/icons/hicolor/48x48/apps/paks-desk.png",
];

fn deb_path() -> PathBuf {
    std::env::var_os("PAKS_DESK_DEB").map(PathBuf::from).unwrap_or_else(|| {
        let conf = fs::read_to_string(workspace_root().join("src-tauri/tauri.conf.json"))
            .unwrap_or_default();
        let version = serde_json::from_str::<serde_json::Value>(&conf)
            .ok()
            .and_then(|conf| conf["version"].as_str().map(str::to_owned))
            .unwrap_or_default();
        workspace_root().join(format!("dist/debug/paks-desk_{version}_amd64.deb"))
    })
}

/// The lock held by everything that installs this package (a test of updates does too).
fn lock_path() -> PathBuf {
    std::env::var_os("PAKS_DESK_DEB_LOCK").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target"))
            .join("paks-desk-deb.lock")
    })
}

/// apt-get, through sudo when the test does not run as root (as `scripts/setup-debian.sh`).
fn apt_get(args: &[&str]) -> TestResult {
    let mut command = if rustix::process::getuid().is_root() {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    let out = command
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["-y", "-q", "-o", "DPkg::Lock::Timeout=600"])
        .args(args)
        .output()
        .map_err(|err| format!("could not run apt-get: {err}"))?;
    ensure(
        out.status.success(),
        format!(
            "apt-get {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Removes the package however the test ends, so a failed run leaves no app in /usr/bin.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        if Path::new(INSTALLED_APP).exists()
            && let Err(err) = apt_get(&["remove", PACKAGE])
        {
            eprintln!("could not remove the package: {err}");
        }
    }
}

fn installed_cli(data: &Path, args: &[&str]) -> TestResult<String> {
    let out = Command::new("/usr/bin/paks-desk-cli")
        .env("PAKS_DESK_KEYRING", "off")
        .arg("--data")
        .arg(data)
        .args(args)
        .output()?;
    ensure(out.status.success(), format!("paks-desk-cli {args:?}: {out:?}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn first_launch(client: &Client) -> TestResult {
    find(client, "profile-form").await?;
    fill_profile(
        client,
        ["Souksavanh Phommachanh", "Ministry of Technology", "sp@example.la"],
        "LAO",
    )
    .await?;
    find(client, "new-case").await?.click().await?;
    type_into(client, "case-title", TITLE).await?;
    saved(client).await?;
    // Read by the installed app re-executed as its own extraction worker.
    find(client, "attach-files").await?.click().await?;
    let file = find(client, "attachment").await?;
    let deadline = Instant::now() + WAIT;
    let status = loop {
        let status = file.attr("data-status").await?.unwrap_or_default();
        if status != "pending" || Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    ensure(status == "indexed", format!("the deck's status is {status:?}, not indexed"))?;
    find(client, "back-to-list").await?.click().await?;
    type_into(client, "search", "Alpha").await?;
    let hit = find(client, "search-hit").await?;
    let place = hit.find(Locator::Css("[data-testid=\"search-place\"]")).await?.text().await?;
    ensure(place.contains("slide 2"), format!("the hit is placed at {place:?}"))
}

async fn after_restart(client: &Client) -> TestResult {
    wait_for_count(client, "case-list-item", 1).await?;
    let row = find(client, "case-list-item").await?.text().await?;
    ensure(row.contains(TITLE), format!("the case list shows {row:?}"))
}

#[tokio::test]
async fn the_deb_installs_runs_from_usr_bin_and_uninstalls_keeping_the_data() -> TestResult {
    let deb = deb_path();
    ensure(
        deb.is_file(),
        format!(
            "{} is missing: scripts/build-installers.sh --debug (or set PAKS_DESK_DEB)",
            deb.display()
        ),
    )?;
    let Some(driver) = tauri_driver_binary() else {
        return Err("tauri-driver is missing: cargo install tauri-driver --locked".into());
    };
    let lock = fs::File::create(lock_path())?;
    lock.lock()?;

    let started = Instant::now();
    let _installed = Installed;
    apt_get(&["install", "--reinstall", &deb.display().to_string()])?;
    eprintln!("apt-get install of {} took {:?}", deb.display(), started.elapsed());
    for file in INSTALLED_FILES {
        ensure(Path::new(file).is_file(), format!("the package did not install {file}"))?;
    }

    // The app's own default data folder under a private home, not PAKS_DESK_DATA_DIR.
    let home = tempfile::tempdir()?;
    let data = home.path().join("share/paks-desk");
    let env = [
        ("PAKS_DESK_DATA_DIR", String::new()),
        ("XDG_DATA_HOME", home.path().join("share").display().to_string()),
        ("XDG_CONFIG_HOME", home.path().join("config").display().to_string()),
        ("XDG_CACHE_HOME", home.path().join("cache").display().to_string()),
        (
            "PAKS_DESK_E2E_PICK",
            workspace_root()
                .join("crates/desk-extract/tests/fixtures/order_notes_scripts.pptx")
                .display()
                .to_string(),
        ),
    ];
    {
        let _one = ONE_APP_AT_A_TIME.lock().await;
        let logs = tempfile::tempdir()?;
        let drivers = Drivers::start(&driver, &data, logs.path().join("tauri-driver.log"), &env)?;
        let app = Path::new(INSTALLED_APP);
        let ran = async {
            with_session(&drivers, app, async |client: &Client| first_launch(client).await).await?;
            with_session(&drivers, app, async |client: &Client| after_restart(client).await).await
        }
        .await;
        if ran.is_err() {
            eprintln!("--- tauri-driver log ---\n{}", drivers.log_text());
        }
        ran?;
    }
    let listed = installed_cli(&data, &["case", "list"])?;
    ensure(listed.contains(TITLE), format!("the installed CLI lists {listed:?}"))?;

    apt_get(&["remove", PACKAGE])?;
    for file in INSTALLED_FILES {
        ensure(!Path::new(file).exists(), format!("{file} is still there after the removal"))?;
    }
    ensure(
        data.join("paks-desk.sqlite3").is_file(),
        format!("the data folder {} went with the package", data.display()),
    )?;
    let kept = desk_cli(&data, &["case", "list"])?;
    ensure(kept.contains(TITLE), format!("the kept data folder lists {kept:?}"))
}
