//! The harness shared by the end-to-end tests: tauri-driver, sessions, waits, screenshots.
#![allow(dead_code)] // Each test file uses a part of the harness.

use std::error::Error;
use std::fs;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

pub type TestResult<T = ()> = Result<T, Box<dyn Error>>;

pub const WAIT: Duration = Duration::from_secs(20);

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn app_binary() -> PathBuf {
    binary_from("PAKS_DESK_APP", "paks-desk")
}

/// The process running the app binary `app` on `data_dir`: the app of an earlier test may
/// still be exiting, so the binary alone does not tell them apart.
pub fn app_pid(app: &Path, data_dir: &Path) -> Option<u32> {
    let wanted = fs::canonicalize(app).ok()?;
    let mut entry = b"PAKS_DESK_DATA_DIR=".to_vec();
    entry.extend_from_slice(data_dir.as_os_str().as_encoded_bytes());
    fs::read_dir("/proc").ok()?.flatten().find_map(|process| {
        let pid = process.file_name().to_string_lossy().parse::<u32>().ok()?;
        let exe = fs::read_link(format!("/proc/{pid}/exe")).ok()?;
        let environ = fs::read(format!("/proc/{pid}/environ")).ok()?;
        (exe == wanted && environ.split(|&b| b == 0).any(|var| var == entry)).then_some(pid)
    })
}

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

pub fn tauri_driver_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return Some(PathBuf::from(path));
    }
    find_on_path("tauri-driver").or_else(|| {
        let home = std::env::var_os("HOME")?;
        Some(PathBuf::from(home).join(".cargo/bin/tauri-driver")).filter(|p| p.is_file())
    })
}

/// A port nobody listens on now (others on this machine may use 4444).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

pub fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddrV4::new(Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_millis(200),
    )
    .is_ok()
}

/// tauri-driver and the WebKitWebDriver it starts. Dropping it stops both, test failed or not.
pub struct Drivers {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drivers {
    pub fn start(
        driver: &Path,
        data_dir: &Path,
        log: PathBuf,
        env: &[(&str, String)],
    ) -> TestResult<Self> {
        let (port, native_port) = (free_port()?, free_port()?);
        let log_file = fs::File::create(&log)?;
        let child = Command::new(driver)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            // tauri-driver passes its environment on to WebKitWebDriver and so to the app.
            .env("PAKS_DESK_DATA_DIR", data_dir)
            // WebKitWebDriver's screenshot never returns while WebKitGTK 2.50 draws on the CPU
            // (the app's default) under Xvfb, so the tests that take screenshots ask for the
            // GPU; `the_default_cpu_drawn_window_works` runs the default, without screenshots.
            .env("PAKS_DESK_GPU", "1")
            .envs(env.iter().map(|(k, v)| (*k, v)))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .map_err(|err| format!("could not start {}: {err}", driver.display()))?;
        let mut drivers = Drivers { child, port, log };
        let deadline = Instant::now() + WAIT;
        while !(listening(port) && listening(native_port)) {
            if let Some(status) = drivers.child.try_wait()? {
                return Err(
                    format!("tauri-driver exited ({status}):\n{}", drivers.log_text()).into()
                );
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "tauri-driver (port {port}) and WebKitWebDriver (port {native_port}) did not \
                     both listen within {WAIT:?}:\n{}",
                    drivers.log_text()
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(drivers)
    }

    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Drivers {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver, which would otherwise be
        // orphaned and keep its port.
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("tauri-driver ignored SIGTERM for 10 s; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn new_session(drivers: &Drivers, app: &Path) -> TestResult<Client> {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("wry"));
    capabilities.insert("tauri:options".into(), json!({ "application": app }));
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", drivers.port))
        .await
        .map_err(|err| {
            format!("could not open a WebDriver session: {err}\n{}", drivers.log_text())
        })?;
    Ok(client)
}

/// Runs `scenario` in a fresh session and always deletes the session (which closes the app).
pub async fn with_session<F>(drivers: &Drivers, app: &Path, scenario: F) -> TestResult
where
    F: AsyncFnOnce(&Client) -> TestResult,
{
    let client = new_session(drivers, app).await?;
    let outcome = scenario(&client).await;
    let closed = client.close().await;
    outcome?;
    closed.map_err(|err| format!("could not close the session: {err}"))?;
    Ok(())
}

/// Fails the test with `message` (never panics, so the session is still closed).
pub fn ensure(condition: bool, message: String) -> TestResult {
    if condition { Ok(()) } else { Err(message.into()) }
}

pub async fn find(client: &Client, test_id: &str) -> TestResult<Element> {
    let css = format!("[data-testid=\"{test_id}\"]");
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&css))
        .await
        .map_err(|err| format!("no element {css} within {WAIT:?}: {err}").into())
}

/// Waits for the first of several test ids to appear; returns which.
pub async fn first_of(client: &Client, test_ids: &[&str]) -> TestResult<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        for id in test_ids {
            let css = format!("[data-testid=\"{id}\"]");
            if client.find(Locator::Css(&css)).await.is_ok() {
                return Ok((*id).to_owned());
            }
        }
        if Instant::now() > deadline {
            let page = client.source().await.unwrap_or_default();
            return Err(
                format!("none of {test_ids:?} appeared within {WAIT:?}; page:\n{page}").into()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until exactly `wanted` elements carry `data-testid="test_id"`.
/// Polls `check` every quarter second until it holds, failing with `what` after `limit`.
pub async fn wait_until<F>(what: &str, limit: Duration, mut check: F) -> TestResult
where
    F: AsyncFnMut() -> TestResult<bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{what}: not within {limit:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every element with this `data-testid`, in document order.
pub async fn all(client: &Client, test_id: &str) -> TestResult<Vec<Element>> {
    Ok(client.find_all(Locator::Css(&format!("[data-testid=\"{test_id}\"]"))).await?)
}

pub async fn wait_for_count(client: &Client, test_id: &str, wanted: usize) -> TestResult {
    let deadline = Instant::now() + WAIT;
    let css = format!("[data-testid=\"{test_id}\"]");
    loop {
        let found = client.find_all(Locator::Css(&css)).await?.len();
        if found == wanted {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{found} elements {test_id}, wanted {wanted}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn wait_for_attr(element: &Element, attr: &str, wanted: &str) -> TestResult {
    let deadline = Instant::now() + WAIT;
    loop {
        let value = element.attr(attr).await?;
        if value.as_deref() == Some(wanted) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{attr} stayed {value:?}, wanted {wanted:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn screenshot(client: &Client, name: &str) -> TestResult {
    // WebKitWebDriver captures the last painted frame: let the page paint what the DOM now says.
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 250)));",
            vec![],
        )
        .await?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    fs::create_dir_all(&dir)?;
    fs::write(dir.join(format!("{name}.png")), client.screenshot().await?)?;
    Ok(())
}

pub async fn choose(client: &Client, select_test_id: &str, value: &str) -> TestResult {
    let select = find(client, select_test_id).await?;
    select.select_by_value(value).await?;
    Ok(())
}

/// The app binary and tauri-driver, or what to do to get them (the test fails, never skips).
pub fn preflight() -> TestResult<(PathBuf, PathBuf)> {
    let app = app_binary();
    if !app.is_file() {
        return Err(format!(
            "the app binary {} is missing. Build it first:\n  (cd ui && npm ci && npm run build)\n  \
             cargo build -p paks-desk\n(or set PAKS_DESK_APP to its path)",
            app.display()
        )
        .into());
    }
    let Some(driver) = tauri_driver_binary() else {
        return Err("tauri-driver is missing: cargo install tauri-driver --locked \
                    (or set TAURI_DRIVER to its path)"
            .into());
    };
    if find_on_path("WebKitWebDriver").is_none() {
        return Err("WebKitWebDriver is missing: apt-get install webkit2gtk-driver".into());
    }
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Err("no display: run the test under a virtual one, \
                    e.g. xvfb-run -a cargo test -p paks-desk-e2e"
            .into());
    }
    Ok((app, driver))
}

/// One app window at a time: the tests of this file run one after the other.
pub static ONE_APP_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Starts the drivers with the app's data folder at `data_dir`, runs `scenarios`, stops them.
pub async fn with_drivers<F>(data_dir: &Path, scenarios: F) -> TestResult
where
    F: AsyncFnOnce(&Drivers, &Path) -> TestResult,
{
    with_drivers_env(data_dir, &[], scenarios).await
}

/// As [`with_drivers`], with more environment for the app.
pub async fn with_drivers_env<F>(
    data_dir: &Path,
    env: &[(&str, String)],
    scenarios: F,
) -> TestResult
where
    F: AsyncFnOnce(&Drivers, &Path) -> TestResult,
{
    let (app, driver) = preflight()?;
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let logs = tempfile::tempdir()?;
    let drivers = Drivers::start(&driver, data_dir, logs.path().join("tauri-driver.log"), env)?;
    let result = scenarios(&drivers, &app).await;
    if result.is_err() {
        eprintln!("--- tauri-driver log ---\n{}", drivers.log_text());
    }
    // Stop the drivers (and so the app) before the data folder goes.
    drop(drivers);
    result
}

pub async fn type_into(client: &Client, test_id: &str, text: &str) -> TestResult {
    let field = find(client, test_id).await?;
    field.clear().await?;
    field.send_keys(text).await?;
    Ok(())
}

pub async fn saved(client: &Client) -> TestResult {
    wait_for_attr(&find(client, "save-state").await?, "data-state", "saved").await
}

/// The sections PAKS requires and a link to MDG 8.F with its note, each saved.
pub async fn fill_required_sections(client: &Client) -> TestResult {
    for (field, text) in [
        ("case-summary", "Businesses register online in one day instead of ninety."),
        ("case-problem", "Registering a business took ninety days and eight offices."),
        ("case-solution", "One online window shared by the ministries concerned."),
        ("case-results", "Registration now takes one day; informal businesses registered."),
    ] {
        type_into(client, field, text).await?;
        saved(client).await?;
    }
    choose(client, "mdg-goal", "8").await?;
    choose(client, "mdg-target", "8.F").await?;
    type_into(client, "mdg-note", "Online public services make ICT benefits available.").await?;
    find(client, "mdg-link-submit").await?.click().await?;
    find(client, "mdg-link").await?;
    Ok(())
}

/// `paks-desk-cli`, to prepare a data folder as the app would leave it.
pub fn desk_cli_binary() -> PathBuf {
    binary_from("PAKS_DESK_CLI", "paks-desk-cli")
}

/// The path in `variable`, else the debug build of `name` in the build folder.
fn binary_from(variable: &str, name: &str) -> PathBuf {
    std::env::var_os(variable).map(PathBuf::from).unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target"));
        target.join("debug").join(name)
    })
}

/// Runs `paks-desk-cli --data DATA ARGS…` (token in a file, not a keyring); returns what it
/// printed, or its error output as the failure.
pub fn desk_cli(data: &Path, args: &[&str]) -> TestResult<String> {
    let out = Command::new(desk_cli_binary())
        .env("PAKS_DESK_KEYRING", "off")
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .map_err(|e| format!("could not run {}: {e}", desk_cli_binary().display()))?;
    if !out.status.success() {
        return Err(
            format!("paks-desk-cli {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn server_binary() -> PathBuf {
    binary_from("PAKS_SERVER_BIN", "paks-server")
}

/// The reference server, run as its operator would.
pub struct PaksServer {
    pub dir: PathBuf,
    pub port: u16,
    child: Option<Child>,
    starts: u32,
}

impl PaksServer {
    pub fn new(dir: PathBuf) -> TestResult<Self> {
        let bin = server_binary();
        if !bin.is_file() {
            return Err(format!("{} is missing: cargo build -p paks-server", bin.display()).into());
        }
        Ok(Self { dir, port: free_port()?, child: None, starts: 0 })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn operator(&self, args: &[&str]) -> TestResult<String> {
        let out = Command::new(server_binary()).args(args).arg("--data").arg(&self.dir).output()?;
        if !out.status.success() {
            return Err(format!(
                "paks-server {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    pub fn register(&self, country: &str) -> TestResult<String> {
        let out = self.operator(&[
            "focal-point",
            "add",
            "--country",
            country,
            "--name",
            "Tashi Dorji",
            "--email",
            "tdorji@example.bt",
        ])?;
        out.lines()
            .map(str::trim)
            .find(|line| line.starts_with("paks_"))
            .map(str::to_owned)
            .ok_or_else(|| format!("no token in {out:?}").into())
    }

    pub fn start(&mut self) -> TestResult {
        self.starts += 1;
        let log = fs::File::create(self.dir.join(format!("server-{}.log", self.starts)))?;
        let child = Command::new(server_binary())
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--data")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        while !listening(self.port) {
            if Instant::now() > deadline {
                return Err(format!("paks-server did not listen on {} in time", self.port).into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = rustix::process::Pid::from_child(&child);
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            let _ = child.wait();
        }
    }
}

impl Drop for PaksServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A focal point's first-run profile: name, institution, email, country (ISO code); saved.
pub async fn fill_profile(client: &Client, who: [&str; 3], country: &str) -> TestResult {
    let [name, institution, email] = who;
    find(client, "profile-name").await?.send_keys(name).await?;
    find(client, "profile-institution").await?.send_keys(institution).await?;
    find(client, "profile-email").await?.send_keys(email).await?;
    choose(client, "profile-country", country).await?;
    find(client, "profile-save").await?.click().await?;
    Ok(())
}

/// axe-core's script, from `npm ci` in tests/e2e (see package.json there).
fn axe_script() -> TestResult<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/axe-core/axe.min.js");
    fs::read_to_string(&path).map_err(|err| {
        format!("{}: {err}\ninstall axe-core first: (cd tests/e2e && npm ci)", path.display())
            .into()
    })
}

/// Runs axe-core over the window as it shows now and fails, naming each rule and the elements,
/// on any violation of impact "serious" or "critical". `screen` names the screen in the failure.
pub async fn check_accessibility(client: &Client, screen: &str) -> TestResult {
    let loaded = client.execute("return typeof window.axe === 'object';", vec![]).await?;
    if loaded != json!(true) {
        client.execute(&format!("{}\nreturn true;", axe_script()?), vec![]).await?;
    }
    // Polled rather than awaited through `execute_async`: a run can outlast the script timeout.
    client
        .execute(
            "window.__axeOutcome = null;
             axe.run(document, { resultTypes: ['violations'] }).then(
               (results) => {
                 window.__axeOutcome = {
                   violations: results.violations
                     .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => ({
                       id: v.id,
                       impact: v.impact,
                       help: v.help,
                       targets: v.nodes.map((node) => node.target.join(' ')),
                     })),
                 };
               },
               (error) => { window.__axeOutcome = { error: String(error) }; },
             );",
            vec![],
        )
        .await?;
    let deadline = Instant::now() + WAIT;
    let outcome = loop {
        let outcome = client.execute("return window.__axeOutcome;", vec![]).await?;
        if !outcome.is_null() {
            break outcome;
        }
        if Instant::now() > deadline {
            return Err(format!("axe-core did not finish on {screen} within {WAIT:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if let Some(error) = outcome.get("error") {
        return Err(format!("axe-core failed on {screen}: {error}").into());
    }
    let violations = outcome["violations"].as_array().cloned().unwrap_or_default();
    let listed: Vec<String> = violations
        .iter()
        .map(|v| {
            let targets: Vec<&str> = v["targets"]
                .as_array()
                .map(|targets| targets.iter().filter_map(|t| t.as_str()).collect())
                .unwrap_or_default();
            format!(
                "  {} ({}): {}\n    {}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or(""),
                targets.join("\n    ")
            )
        })
        .collect();
    ensure(
        listed.is_empty(),
        format!("accessibility violations on {screen}:\n{}", listed.join("\n")),
    )
}
