#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! The reviewers' web console of paks-server in real headless Chromium, driven by WebDriver
//! (Debian's `chromium` and `chromium-driver`): a wrong password, sign-in from the keyboard, the
//! queue, publishing one case and requesting changes on another, rejecting a third, and
//! `paks-desk-cli status` showing each decision on the desk that sent them.
//!
//! The console's cookies are always `Secure`; Chromium keeps Secure cookies from
//! `http://127.0.0.1` (a loopback origin is a secure context), so the test needs no TLS.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

mod common;
use common::ok_without_keyring as ok;

const WAIT: Duration = Duration::from_secs(20);
const REVIEWER: &str = "ana.reviewer@example.org";
const PASSWORD: &str = "a long reviewer password";

fn new_case(data: &Path, title: &str) -> String {
    let id = ok(data, &["case", "new", "--title", title, "--country", "LAO"]).trim().to_owned();
    for (field, value) in [
        ("summary", "Taxes online."),
        ("problem", "Queues."),
        ("solution", "A portal."),
        ("results", "Shorter queues."),
    ] {
        ok(data, &["case", "set", &id, field, value]);
    }
    ok(data, &["case", "link", &id, "--mdg", "8.F", "--note", "Online services"]);
    id
}

fn desk_status(data: &Path, case: &str) -> serde_json::Value {
    serde_json::from_str(&ok(data, &["status", case, "--json"])).unwrap()
}

/// `chromedriver` on a free loopback port, stopped when dropped.
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian: chromium-driver; scripts/setup-debian.sh test)");
        let deadline = Instant::now() + WAIT;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen within {WAIT:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
        ChromeDriver { child, port }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn chromium(driver: &ChromeDriver, profile: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display())
            ]
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session in Chromium")
}

async fn text_of(browser: &Client, css: &str) -> String {
    browser.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

/// Signs in by typing into the form and pressing Enter in the password field.
async fn sign_in(browser: &Client, password: &str) {
    let email = browser.wait().at_most(WAIT).for_element(Locator::Id("email")).await.unwrap();
    email.clear().await.unwrap();
    email.send_keys(REVIEWER).await.unwrap();
    let field = browser.find(Locator::Id("password")).await.unwrap();
    field.send_keys(&format!("{password}{}", char::from(Key::Enter))).await.unwrap();
}

async fn wait_for_path(browser: &Client, path: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let url = browser.current_url().await.unwrap();
        if url.path() == path {
            return;
        }
        assert!(Instant::now() < deadline, "still on {url}, not {path}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn reviewers_decide_in_chromium_and_the_desk_sees_each_decision() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server_dir = tempfile::tempdir().unwrap();
    let state: paks_server::http::SharedState =
        Arc::new(paks_server::open_state(paks_server::Config::new(server_dir.path())).unwrap());
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(paks_server::serve_state(listener, state.clone(), std::future::pending()));
    paks_server::reviewers::add(&*state.meta, REVIEWER, PASSWORD).unwrap();
    let (_, token) = paks_server::operator::add_focal_point(
        &*state.meta,
        "LAO",
        "Phoxay",
        "phoxay@mtc.gov.la",
        Some(30),
    )
    .unwrap();

    let desk = tempfile::tempdir().unwrap();
    let data = desk.path();
    ok(
        data,
        &[
            "profile",
            "set",
            "--name",
            "Phoxay Vongsa",
            "--institution",
            "MTC",
            "--email",
            "phoxay@mtc.gov.la",
            "--country",
            "LAO",
        ],
    );
    let cases = [
        new_case(data, "Lao e-tax"),
        new_case(data, "Lao one-stop shop"),
        new_case(data, "Lao village radio"),
    ];
    ok(data, &["connect", &url, "--token", &token]);
    for case in &cases {
        ok(data, &["submit", case]);
    }
    ok(data, &["sync", "--until-idle"]);
    let submissions: Vec<String> = cases
        .iter()
        .map(|c| desk_status(data, c)["submission_id"].as_str().unwrap().to_owned())
        .collect();

    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let browser = chromium(&driver, profile.path()).await;
        let outcome = async {
            browser.goto(&format!("{url}/console/")).await.unwrap();
            wait_for_path(&browser, "/console/sign-in").await;
            sign_in(&browser, "not the password at all").await;
            let error = text_of(&browser, "#sign-in-error").await;
            assert!(error.contains("Wrong e-mail address or password"), "{error}");

            sign_in(&browser, PASSWORD).await;
            wait_for_path(&browser, "/console/").await;
            let queue = text_of(&browser, "#queue").await;
            for title in ["Lao e-tax", "Lao one-stop shop", "Lao village radio"] {
                assert!(queue.contains(title), "{title} missing from the queue: {queue}");
            }

            let open = |id: &str| format!("a[href=\"/console/submissions/{id}\"]");
            browser
                .find(Locator::Css(&open(&submissions[0])))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            browser.find(Locator::Css("#publish button")).await.unwrap().click().await.unwrap();
            browser.wait().at_most(WAIT).for_element(Locator::Css("#audit")).await.unwrap();
            assert_eq!(text_of(&browser, "#status").await, "Published");

            browser.goto(&format!("{url}/console/")).await.unwrap();
            browser
                .find(Locator::Css(&open(&submissions[1])))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let comment = browser.find(Locator::Id("changes-comment")).await.unwrap();
            comment.send_keys("Please add the 2010 figures.").await.unwrap();
            browser
                .find(Locator::Css("#request-changes button"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            browser.wait().at_most(WAIT).for_element(Locator::Css("#audit")).await.unwrap();
            assert_eq!(text_of(&browser, "#status").await, "Changes requested");

            browser.goto(&format!("{url}/console/submissions/{}", submissions[2])).await.unwrap();
            let reason = browser.find(Locator::Id("reject-reason")).await.unwrap();
            reason.send_keys("Not a public administration case.").await.unwrap();
            browser.find(Locator::Css("#reject button")).await.unwrap().click().await.unwrap();
            browser.wait().at_most(WAIT).for_element(Locator::Css("#audit")).await.unwrap();
            assert_eq!(text_of(&browser, "#status").await, "Rejected");
            let audit = text_of(&browser, "#audit").await;
            assert!(audit.contains(REVIEWER) && audit.contains("rejected"), "{audit}");
        }
        .await;
        browser.close().await.unwrap();
        outcome
    });

    // The desk asks PAKS now instead of at its next review check.
    for case in &cases {
        ok(data, &["retry", case]);
    }
    ok(data, &["sync", "--until-idle"]);
    let published = desk_status(data, &cases[0]);
    assert_eq!(published["status"], "published", "{published}");
    let changes = desk_status(data, &cases[1]);
    assert_eq!(changes["status"], "changes_requested", "{changes}");
    assert_eq!(changes["review_comment"], "Please add the 2010 figures.");
    let rejected = desk_status(data, &cases[2]);
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    assert_eq!(rejected["review_comment"], "Not a public administration case.");
    let text = ok(data, &["status", &cases[2]]);
    assert!(text.contains("Reviewer: Not a public administration case."), "{text}");
}
