#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
//! The reviewers' web console against the real server over HTTP: sign-in, lock-out, CSRF,
//! cookie flags, the queue's filters, decisions in the audit log and seen by the desk's status
//! endpoint, downloads, versions and what changed. The browser test is tests/console_browser.rs.

mod common;

use std::time::Duration;

use common::*;
use paks_protocol::{Receipt, SubmissionState, SubmissionStatus};
use paks_server::reviewers;
use reqwest::{Client, Response};

const EMAIL: &str = "ana.reviewer@example.org";
const PASSWORD: &str = "a long reviewer password";

/// A browser's view of the console: no redirects followed, cookies kept by hand.
struct Browser {
    client: Client,
    base: String,
    session: Option<String>,
    sign_in_cookie: Option<String>,
}

fn set_cookie(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("{name}=")))
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned()
}

/// An HTML form's body (application/x-www-form-urlencoded).
fn form_body(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                b => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// The first CSRF field of a page.
fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    html[start..].split('"').next().unwrap().to_owned()
}

impl Browser {
    fn new(s: &TestServer) -> Self {
        let _ = test_client();
        let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { client, base: s.url.clone(), session: None, sign_in_cookie: None }
    }

    fn cookies(&self) -> String {
        [
            self.session.as_ref().map(|v| format!("paks_console_session={v}")),
            self.sign_in_cookie.as_ref().map(|v| format!("paks_console_sign_in={v}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ")
    }

    async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookies())
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookies())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(form))
            .send()
            .await
            .unwrap()
    }

    /// Opens the sign-in form; returns its CSRF token.
    async fn open_sign_in(&mut self) -> String {
        let res = self.get("/console/sign-in").await;
        assert_eq!(res.status(), 200);
        if let Some(c) = set_cookie(&res, "paks_console_sign_in") {
            self.sign_in_cookie = Some(cookie_value(&c));
        }
        csrf_of(&res.text().await.unwrap())
    }

    async fn try_sign_in(&mut self, email: &str, password: &str) -> Response {
        let csrf = self.open_sign_in().await;
        let res = self
            .post("/console/sign-in", &[("csrf", &csrf), ("email", email), ("password", password)])
            .await;
        if let Some(c) = set_cookie(&res, "paks_console_session") {
            self.session = Some(cookie_value(&c));
        }
        res
    }

    async fn sign_in(&mut self) {
        let res = self.try_sign_in(EMAIL, PASSWORD).await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    }

    async fn page(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.text().await.unwrap()
    }

    /// Posts a decision with the CSRF token of the submission's page.
    async fn decide(&self, id: impl std::fmt::Display, decision: &str, comment: &str) -> Response {
        let page = self.page(&format!("/console/submissions/{id}")).await;
        let csrf = csrf_of(&page);
        self.post(
            &format!("/console/submissions/{id}/decision"),
            &[("csrf", &csrf), ("decision", decision), ("comment", comment)],
        )
        .await
    }
}

fn add_reviewer(s: &TestServer) {
    reviewers::add(&*s.state.meta, EMAIL, PASSWORD).unwrap();
}

async fn submit(s: &TestServer, token: &str, country: &str, mdg: &str) -> Receipt {
    let mut case = sample_case(country);
    case.mdg_links[0].target = mdg.into();
    case.title = format!("{country} case on MDG {mdg}");
    let res = s.submit(token, &uuid::Uuid::new_v4().to_string(), &request_json(&case, &[])).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn status_seen_by_the_desk(s: &TestServer, token: &str, id: uuid::Uuid) -> SubmissionStatus {
    let res = s
        .client
        .get(s.u(&format!("/api/v1/submissions/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn sign_in_gives_a_strict_session_cookie_and_a_wrong_password_the_same_answer_as_no_account()
{
    let s = TestServer::start().await;
    add_reviewer(&s);
    let mut b = Browser::new(&s);

    let res = b.get("/console/").await;
    assert_eq!(res.status(), 303, "no session: to the sign-in page");
    assert_eq!(res.headers()["location"], "/console/sign-in");

    let wrong = b.try_sign_in(EMAIL, "not the password at all").await;
    assert_eq!(wrong.status(), 401);
    assert!(set_cookie(&wrong, "paks_console_session").is_none());
    let wrong = wrong.text().await.unwrap();
    assert!(wrong.contains("Wrong e-mail address or password"), "{wrong}");
    let unknown = b.try_sign_in("nobody@example.org", "not the password at all").await;
    assert_eq!(unknown.status(), 401);
    let unknown = unknown.text().await.unwrap();
    assert_eq!(
        wrong.replace(EMAIL, "E"),
        unknown.replace("nobody@example.org", "E"),
        "an unknown address and a wrong password are answered alike"
    );

    let res = b.try_sign_in(&EMAIL.to_uppercase(), PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/console/");
    let cookie = set_cookie(&res, "paks_console_session").unwrap();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.split("; ").any(|f| f == flag), "{flag} missing from {cookie}");
    }
    let token = cookie_value(&cookie);
    assert_eq!(token.len(), 48, "paks_ and 32 random bytes");
    let stored = s.state.meta.reviewer_session(&paks_server::auth::token_sha256(&token)).unwrap();
    assert_eq!(stored.unwrap().reviewer_email, EMAIL, "only the token's hash is stored");
    assert!(s.state.meta.reviewer_session(&token).unwrap().is_none());

    let res = b.get("/console/").await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.starts_with("default-src 'none'") && !csp.contains("script"), "{csp}");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let page = res.text().await.unwrap();
    assert!(page.contains("Signed in as ana.reviewer@example.org"));
    assert!(!page.contains("<script"));
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_the_lockout_then_it_opens_again() {
    let s = TestServer::start_with(|c| c.console_lockout = Duration::from_secs(3)).await;
    add_reviewer(&s);
    reviewers::add(&*s.state.meta, "other@example.org", PASSWORD).unwrap();
    let mut b = Browser::new(&s);
    for _ in 0..reviewers::MAX_FAILED_SIGN_INS {
        assert_eq!(b.try_sign_in(EMAIL, "wrong password!!").await.status(), 401);
    }
    let locked = b.try_sign_in(EMAIL, PASSWORD).await;
    assert_eq!(locked.status(), 401, "locked: even the right password is refused");
    assert!(b.session.is_none());
    let other = b.try_sign_in("other@example.org", PASSWORD).await;
    assert_eq!(other.status(), 303, "the lock is per account");
    b.session = None;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(b.try_sign_in(EMAIL, PASSWORD).await.status(), 303, "the lock-out ended");
    let me = s.state.meta.reviewer_credentials(EMAIL).unwrap().unwrap().reviewer;
    assert_eq!((me.failed_sign_ins, me.locked_until), (0, None), "a sign-in forgets failures");
}

#[tokio::test]
async fn forms_without_their_csrf_token_are_refused_and_sign_out_ends_the_session() {
    let s = TestServer::start().await;
    add_reviewer(&s);
    let fp = s.focal_point("LAO");
    let r = submit(&s, &fp, "LAO", "1.A").await;
    let mut b = Browser::new(&s);

    b.open_sign_in().await;
    let no_token = b.post("/console/sign-in", &[("email", EMAIL), ("password", PASSWORD)]).await;
    assert_eq!(no_token.status(), 403);
    let forged = b
        .post(
            "/console/sign-in",
            &[("csrf", "paks_forged"), ("email", EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert!(set_cookie(&forged, "paks_console_session").is_none());

    b.sign_in().await;
    let path = format!("/console/submissions/{}/decision", r.submission_id);
    let res = b.post(&path, &[("decision", "publish")]).await;
    assert_eq!(res.status(), 403);
    let res = b.post(&path, &[("csrf", "paks_forged"), ("decision", "publish")]).await;
    assert_eq!(res.status(), 403);
    // Another session's token is not this session's.
    let mut other = Browser::new(&s);
    other.sign_in().await;
    let others_token = csrf_of(&other.page("/console/").await);
    let res = b.post(&path, &[("csrf", &others_token), ("decision", "publish")]).await;
    assert_eq!(res.status(), 403);
    let stored = s.state.meta.submission(r.submission_id).unwrap().unwrap();
    assert_eq!(stored.state, SubmissionState::Received, "nothing was decided");
    assert!(s.state.meta.review_audit(None).unwrap().is_empty());

    assert_eq!(b.post("/console/sign-out", &[]).await.status(), 403);
    assert_eq!(b.get("/console/").await.status(), 200, "still signed in");
    let csrf = csrf_of(&b.page("/console/").await);
    let res = b.post("/console/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);
    assert!(set_cookie(&res, "paks_console_session").unwrap().contains("Max-Age=0"));
    let res = b.get("/console/").await;
    assert_eq!(res.status(), 303, "the old cookie opens nothing once signed out");
    assert_eq!(other.get("/console/").await.status(), 200, "other sessions stay");
}

#[tokio::test]
async fn an_idle_session_expires() {
    let s = TestServer::start_with(|c| c.console_idle_timeout = Duration::from_secs(1)).await;
    add_reviewer(&s);
    let mut b = Browser::new(&s);
    b.sign_in().await;
    assert_eq!(b.get("/console/").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(b.get("/console/").await.status(), 303);
    let hash = paks_server::auth::token_sha256(b.session.as_deref().unwrap());
    assert!(s.state.meta.reviewer_session(&hash).unwrap().is_none(), "deleted when found expired");
}

fn rows(page: &str) -> Vec<&str> {
    page.split("<tr class=\"submission\"").skip(1).collect()
}

#[tokio::test]
async fn the_queue_filters_by_country_status_mdg_goal_and_date() {
    let s = TestServer::start().await;
    add_reviewer(&s);
    let lao = s.focal_point("LAO");
    let ken = s.focal_point("KEN");
    let a = submit(&s, &lao, "LAO", "1.A").await;
    let b_ = submit(&s, &ken, "KEN", "3.A").await;
    let c = submit(&s, &lao, "LAO", "3.A").await;
    paks_server::operator::set_state(
        &*s.state.meta,
        c.submission_id,
        SubmissionState::Published,
        None,
    )
    .unwrap();
    let mut b = Browser::new(&s);
    b.sign_in().await;

    let all_awaiting = b.page("/console/").await;
    assert_eq!(rows(&all_awaiting).len(), 2, "published ones wait for nothing");
    assert!(all_awaiting.contains(&a.submission_id.to_string()));
    assert!(all_awaiting.contains(&b_.submission_id.to_string()));
    let any = b.page("/console/?status=any").await;
    assert_eq!(rows(&any).len(), 3);
    let published = b.page("/console/?status=published").await;
    assert_eq!(rows(&published).len(), 1);
    assert!(published.contains(&c.submission_id.to_string()));
    let lao_only = b.page("/console/?status=any&country=lao").await;
    assert_eq!(rows(&lao_only).len(), 2);
    assert!(!lao_only.contains(&b_.submission_id.to_string()));
    let goal3 = b.page("/console/?status=any&mdg=3").await;
    assert_eq!(rows(&goal3).len(), 2);
    assert!(!goal3.contains(&a.submission_id.to_string()));
    let today = &a.received_at[..10];
    assert_eq!(
        rows(&b.page(&format!("/console/?status=any&from={today}&to={today}")).await).len(),
        3
    );
    assert_eq!(rows(&b.page("/console/?status=any&from=2999-01-01").await).len(), 0);
    assert_eq!(rows(&b.page("/console/?status=any&to=2000-01-01").await).len(), 0);
    for bad in ["country=LA0", "mdg=9", "status=lost", "from=2026-13-01"] {
        assert_eq!(b.get(&format!("/console/?{bad}")).await.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn decisions_reach_the_desk_and_the_audit_log_with_who_when_and_why() {
    let s = TestServer::start().await;
    add_reviewer(&s);
    let fp = s.focal_point("LAO");
    let to_publish = submit(&s, &fp, "LAO", "1.A").await;
    let to_change = submit(&s, &fp, "LAO", "2.A").await;
    let to_reject = submit(&s, &fp, "LAO", "3.A").await;
    let mut b = Browser::new(&s);
    b.sign_in().await;

    let res = b.decide(to_change.submission_id, "request_changes", "  ").await;
    assert_eq!(res.status(), 400, "requesting changes needs a comment");
    let res = b.decide(to_reject.submission_id, "reject", "").await;
    assert_eq!(res.status(), 400, "rejecting needs a reason");
    assert!(s.state.meta.review_audit(None).unwrap().is_empty());

    let res = b.decide(to_publish.submission_id, "publish", "").await;
    assert_eq!(res.status(), 303);
    let res = b.decide(to_change.submission_id, "request_changes", "Add the 2010 figures.").await;
    assert_eq!(res.status(), 303);
    let res =
        b.decide(to_reject.submission_id, "reject", "Not a public administration case.").await;
    assert_eq!(res.status(), 303);

    let seen = status_seen_by_the_desk(&s, &fp, to_publish.submission_id).await;
    assert_eq!(seen.state, SubmissionState::Published);
    assert!(seen.public_url.is_some());
    let seen = status_seen_by_the_desk(&s, &fp, to_change.submission_id).await;
    assert_eq!(seen.state, SubmissionState::ChangesRequested);
    assert_eq!(seen.reviewer_comment.as_deref(), Some("Add the 2010 figures."));
    let seen = status_seen_by_the_desk(&s, &fp, to_reject.submission_id).await;
    assert_eq!(seen.state, SubmissionState::Rejected);
    assert_eq!(seen.reviewer_comment.as_deref(), Some("Not a public administration case."));

    let audit = s.state.meta.review_audit(None).unwrap();
    let summary: Vec<(uuid::Uuid, &str, &str, Option<&str>)> = audit
        .iter()
        .map(|a| (a.submission_id, a.actor.as_str(), a.action.as_str(), a.comment.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (to_publish.submission_id, EMAIL, "published", None),
            (to_change.submission_id, EMAIL, "changes_requested", Some("Add the 2010 figures.")),
            (to_reject.submission_id, EMAIL, "rejected", Some("Not a public administration case.")),
        ]
    );
    assert!(audit.iter().all(|a| a.at.starts_with(&to_publish.received_at[..4])));
    let page = b.page(&format!("/console/submissions/{}", to_reject.submission_id)).await;
    assert!(page.contains("Not a public administration case."));
    assert!(page.contains("<dd id=\"status\">Rejected</dd>"));

    // The operator's command line is in the same log, as `cli`.
    paks_server::operator::set_state(
        &*s.state.meta,
        to_change.submission_id,
        SubmissionState::UnderReview,
        None,
    )
    .unwrap();
    let one = s.state.meta.review_audit(Some(to_change.submission_id)).unwrap();
    assert_eq!(one.len(), 2);
    assert_eq!((one[1].actor.as_str(), one[1].action.as_str()), ("cli", "under_review"));
}

#[tokio::test]
async fn files_download_byte_equal_as_attachments_and_only_when_signed_in() {
    let s = TestServer::start().await;
    add_reviewer(&s);
    let fp = s.focal_point("LAO");
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let att = s.upload(&fp, "rapport final é.pdf", &bytes).await;
    let case = sample_case("LAO");
    let res = s.submit(&fp, "files-1", &request_json(&case, &[att])).await;
    assert_eq!(res.status(), 201);
    let r: Receipt = res.json().await.unwrap();
    let path = format!("/console/submissions/{}/files/0", r.submission_id);

    let mut b = Browser::new(&s);
    assert_eq!(b.get(&path).await.status(), 303, "not signed in");
    b.sign_in().await;
    let page = b.page(&format!("/console/submissions/{}", r.submission_id)).await;
    assert!(page.contains(&format!("href=\"{path}\"")), "the page links the file");
    let res = b.get(&path).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename*=UTF-8''rapport%20final%20%C3%A9.pdf"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[..]);
    assert_eq!(
        b.get(&format!("/console/submissions/{}/files/1", r.submission_id)).await.status(),
        404
    );
}

#[tokio::test]
async fn a_new_version_shows_its_earlier_versions_and_what_changed() {
    let s = TestServer::start().await;
    add_reviewer(&s);
    let fp = s.focal_point("LAO");
    let v1 = sample_case("LAO");
    let res = s.submit(&fp, "v1", &request_json(&v1, &[])).await;
    let r1: Receipt = res.json().await.unwrap();
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.replaces = Some(r1.submission_id);
    v2.title = "Business registration, second edition".into();
    v2.mdg_links[0].note = "Internet users per 100 people".into();
    let res = s.submit(&fp, "v2", &request_json(&v2, &[])).await;
    assert_eq!(res.status(), 201);
    let r2: Receipt = res.json().await.unwrap();

    let mut b = Browser::new(&s);
    b.sign_in().await;
    let page = b.page(&format!("/console/submissions/{}", r2.submission_id)).await;
    assert!(page.contains(&format!("href=\"/console/submissions/{}\"", r1.submission_id)));
    let changes = page.split("id=\"changes\"").nth(1).expect("a table of changes");
    let changed: Vec<&str> = changes
        .split("<th scope=\"row\">")
        .skip(1)
        .map(|row| row.split('<').next().unwrap())
        .collect();
    assert_eq!(changed, ["mdg_links[0].note", "title"]);
    assert!(changes.contains("One-stop e-service portal for business registration"));
    assert!(changes.contains("Business registration, second edition"));
    assert!(page.contains("Internet users per 100 people"), "the MDG link's note is shown");
    assert!(page.contains("SDG target 16.6"));
}

/// `paks-server …` on a data folder, `stdin` written to it; returns (success, stdout, stderr).
fn operator_cli(data: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_paks-server"))
        .args(args)
        .args(["--data", data.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[tokio::test]
async fn the_operator_adds_reviewers_from_stdin_rejects_and_prints_the_audit_log() {
    let s = TestServer::start().await;
    let data = s.dir.path();
    let (added, _, err) = operator_cli(data, &["reviewer", "add", "--email", EMAIL], "too short\n");
    assert!(!added && err.contains("at least 12 characters"), "{err}");
    let (added, out, err) =
        operator_cli(data, &["reviewer", "add", "--email", EMAIL], &format!("{PASSWORD}\n"));
    assert!(added, "{err}");
    assert!(out.contains(EMAIL), "{out}");
    let (again, _, _) =
        operator_cli(data, &["reviewer", "add", "--email", EMAIL], &format!("{PASSWORD}\n"));
    assert!(!again, "one account per address");
    let (_, list, _) = operator_cli(data, &["reviewer", "list"], "");
    assert!(list.contains(EMAIL) && list.contains("active"), "{list}");
    let stored = s.state.meta.reviewer_credentials(EMAIL).unwrap().unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"), "only the Argon2id hash is kept");
    assert!(!stored.password_hash.contains(PASSWORD));

    let mut b = Browser::new(&s);
    b.sign_in().await;
    let fp = s.focal_point("LAO");
    let r = submit(&s, &fp, "LAO", "1.A").await;
    let id = r.submission_id.to_string();
    let (ok, _, err) =
        operator_cli(data, &["review", "reject", &id, "--reason", "Out of scope."], "");
    assert!(ok, "{err}");
    assert_eq!(
        status_seen_by_the_desk(&s, &fp, r.submission_id).await.state,
        SubmissionState::Rejected
    );
    assert_eq!(b.decide(&id, "publish", "").await.status(), 303);
    let (_, audit, _) = operator_cli(data, &["review", "audit", "--submission", &id], "");
    let lines: Vec<Vec<&str>> = audit.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "{audit}");
    assert_eq!(lines[0][1..], ["cli", id.as_str(), "rejected", "Out of scope."]);
    assert_eq!(lines[1][1..], [EMAIL, id.as_str(), "published", ""]);

    let (removed, _, _) = operator_cli(data, &["reviewer", "remove", "--email", EMAIL], "");
    assert!(removed);
    assert_eq!(b.get("/console/").await.status(), 303, "its session ended with it");
    let (_, audit, _) = operator_cli(data, &["review", "audit"], "");
    assert_eq!(audit.lines().count(), 2, "its decisions stay in the log");
}
