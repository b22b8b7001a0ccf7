//! The reviewers' web console under `/console`: sign-in, the queue of submissions, a page per
//! submission with its files, earlier versions and what changed, and the decisions (publish,
//! request changes, reject), each recorded in the audit log. Plain server-rendered HTML under
//! the public pages' CSP made stricter; no script.

mod diff;
mod pages;
mod session;

use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use paks_protocol::{CaseDocument, SubmissionState};
use serde::Deserialize;
use time::macros::format_description;
use uuid::Uuid;

use super::route_table::RouteTable;
use super::{ProblemResponse, SharedState, blocking, paths, public_site};
use crate::error::Error;
use crate::html::escape;
use crate::metadata::{AuditEntry, SubmissionRecord};
use crate::{operator, reviewers};
use pages::{csrf_field, error_page, page};
use session::{SESSION_COOKIE, SIGN_IN_COOKIE, SignedIn, cookie, same_secret, set_cookie};

/// Form bodies are a few fields and a comment.
const MAX_FORM_BYTES: usize = 64 * 1024;
/// How long the sign-in form's token lives.
const SIGN_IN_FORM_SECS: u64 = 3600;
/// Earlier (or later) versions followed from one submission.
const MAX_VERSIONS_SHOWN: usize = 100;
const MDG_GOALS: u8 = 8;

pub fn routes() -> RouteTable {
    RouteTable::new()
        .get(paths::CONSOLE, || async { Redirect::to(paths::CONSOLE_QUEUE) })
        .get(paths::CONSOLE_QUEUE, queue)
        .get(paths::CONSOLE_SIGN_IN, sign_in_form)
        .post(paths::CONSOLE_SIGN_IN, sign_in)
        .post(paths::CONSOLE_SIGN_OUT, sign_out)
        .get(paths::CONSOLE_SUBMISSION, submission_page)
        .get(paths::CONSOLE_FILE, download)
        .post(paths::CONSOLE_DECISION, decide)
        .wrap(|r| r.layer(DefaultBodyLimit::max(MAX_FORM_BYTES)))
}

/// Internal failures as a console page, logged like the API's.
fn failed(e: Error) -> Response {
    tracing::error!(error = %e, "console request failed");
    error_page(StatusCode::INTERNAL_SERVER_ERROR, "The server failed; try again.", None)
}

fn forbidden(signed_in: Option<&SignedIn>) -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "This form is out of date or did not come from this console. Go back, reload the page \
         and send it again.",
        signed_in.map(|s| &s.session),
    )
}

fn sign_in_body(csrf: &str, email: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| {
            format!("<p class=\"error\" role=\"alert\" id=\"sign-in-error\">{}</p>", escape(e))
        })
        .unwrap_or_default();
    format!(
        "<h1>PAKS reviewers' console</h1>{error}\
         <form method=\"post\" action=\"{action}\">{csrf}\
         <label for=\"email\">E-mail address</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required \
         value=\"{email}\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required>\
         <p><button type=\"submit\">Sign in</button></p></form>",
        action = paths::CONSOLE_SIGN_IN,
        csrf = csrf_field(csrf),
        email = escape(email),
    )
}

/// The sign-in form, with a fresh form token in its cookie unless the browser holds one.
async fn sign_in_form(headers: HeaderMap) -> Response {
    let (token, fresh) = match cookie(&headers, SIGN_IN_COOKIE) {
        Some(t) => (t, false),
        None => match crate::auth::new_token() {
            Ok(t) => (t, true),
            Err(e) => return failed(e),
        },
    };
    let mut res = page(StatusCode::OK, "Sign in", None, &sign_in_body(&token, "", None));
    if fresh {
        res.headers_mut()
            .append(header::SET_COOKIE, set_cookie(SIGN_IN_COOKIE, &token, SIGN_IN_FORM_SECS));
    }
    res
}

#[derive(Deserialize)]
struct SignInForm {
    csrf: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn sign_in(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let Some(form_token) = cookie(&headers, SIGN_IN_COOKIE) else {
        return forbidden(None);
    };
    if !same_secret(form.csrf.as_deref(), &form_token) {
        return forbidden(None);
    }
    let st = state.clone();
    let (email, password) = (form.email.clone(), form.password);
    let now = crate::clock::now().unix_timestamp();
    let opened =
        blocking(move || reviewers::sign_in(&*st.meta, &st.config, &email, &password, now)).await;
    match opened {
        Ok(Some(opened)) => {
            let lifetime = state.config.console_session_lifetime.as_secs();
            let mut res = Redirect::to(paths::CONSOLE_QUEUE).into_response();
            let h = res.headers_mut();
            h.append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &opened.token, lifetime));
            h.append(header::SET_COOKIE, set_cookie(SIGN_IN_COOKIE, "", 0));
            res
        }
        Ok(None) => {
            let message = format!(
                "Wrong e-mail address or password. After {} failed attempts in a row the account \
                 is locked for {} minutes.",
                reviewers::MAX_FAILED_SIGN_INS,
                state.config.console_lockout.as_secs().div_ceil(60)
            );
            let body = sign_in_body(&form_token, &form.email, Some(&message));
            page(StatusCode::UNAUTHORIZED, "Sign in", None, &body)
        }
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn sign_out(
    State(state): State<SharedState>,
    signed_in: SignedIn,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !same_secret(form.csrf.as_deref(), &signed_in.session.csrf_token) {
        return forbidden(Some(&signed_in));
    }
    let token = signed_in.token;
    if let Err(e) = blocking(move || reviewers::sign_out(&*state.meta, &token)).await {
        return failed(e);
    }
    let mut res = Redirect::to(paths::CONSOLE_SIGN_IN).into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    res
}

#[derive(Debug, Default, Deserialize)]
struct QueueParams {
    country: Option<String>,
    status: Option<String>,
    mdg: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The queue's filters, checked. `states` empty: every state.
struct QueueFilter {
    country: Option<String>,
    status: String,
    states: Vec<SubmissionState>,
    mdg_goal: Option<u8>,
    from: Option<String>,
    to: Option<String>,
}

/// The status filter's choice when none is made: what still waits for a decision.
const AWAITING: &str = "awaiting";
const ANY: &str = "any";

fn queue_filter(p: QueueParams) -> Result<QueueFilter, String> {
    let given = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let country = given(p.country).map(|c| c.to_ascii_uppercase());
    if let Some(c) = &country
        && !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err("Country: give an ISO 3166-1 alpha-3 code, such as LAO.".into());
    }
    let status = given(p.status).unwrap_or_else(|| AWAITING.to_owned());
    let states = match status.as_str() {
        AWAITING => vec![SubmissionState::Received, SubmissionState::UnderReview],
        ANY => Vec::new(),
        other => vec![SubmissionState::parse(other).ok_or("Status: choose one from the list.")?],
    };
    let mdg_goal = given(p.mdg)
        .map(|g| g.parse::<u8>().ok().filter(|g| (1..=MDG_GOALS).contains(g)))
        .map(|g| g.ok_or("MDG goal: choose one from 1 to 8."))
        .transpose()?;
    let date = |d: Option<String>, what: &str| -> Result<Option<String>, String> {
        let Some(d) = given(d) else {
            return Ok(None);
        };
        time::Date::parse(&d, format_description!("[year]-[month]-[day]"))
            .map_err(|_| format!("{what}: give a date as YYYY-MM-DD."))?;
        Ok(Some(d))
    };
    Ok(QueueFilter {
        country,
        status,
        states,
        mdg_goal,
        from: date(p.from, "From")?,
        to: date(p.to, "To")?,
    })
}

impl QueueFilter {
    fn admits(&self, r: &SubmissionRecord) -> bool {
        let day = r.received_at.get(..10).unwrap_or_default();
        (self.states.is_empty() || self.states.contains(&r.state))
            && self.country.as_ref().is_none_or(|c| *c == r.country)
            && self.mdg_goal.is_none_or(|g| {
                let prefix = format!("{g}.");
                r.mdg_targets.iter().any(|t| t.starts_with(&prefix))
            })
            && self.from.as_deref().is_none_or(|from| day >= from)
            && self.to.as_deref().is_none_or(|to| day <= to)
    }
}

fn state_label(state: SubmissionState) -> &'static str {
    match state {
        SubmissionState::Received => "Received",
        SubmissionState::UnderReview => "Under review",
        SubmissionState::Published => "Published",
        SubmissionState::ChangesRequested => "Changes requested",
        SubmissionState::Rejected => "Rejected",
    }
}

const ALL_STATES: [SubmissionState; 5] = [
    SubmissionState::Received,
    SubmissionState::UnderReview,
    SubmissionState::Published,
    SubmissionState::ChangesRequested,
    SubmissionState::Rejected,
];

fn filter_form(f: &QueueFilter) -> String {
    let option = |value: &str, label: &str, chosen: bool| {
        format!(
            "<option value=\"{}\"{}>{}</option>",
            escape(value),
            if chosen { " selected" } else { "" },
            escape(label)
        )
    };
    let mut statuses = option(AWAITING, "Awaiting a decision", f.status == AWAITING);
    statuses.push_str(&option(ANY, "Any", f.status == ANY));
    for s in ALL_STATES {
        statuses.push_str(&option(s.as_str(), state_label(s), f.status == s.as_str()));
    }
    let mut goals = option("", "Any", f.mdg_goal.is_none());
    for g in 1..=MDG_GOALS {
        goals.push_str(&option(&g.to_string(), &format!("MDG {g}"), f.mdg_goal == Some(g)));
    }
    format!(
        "<form method=\"get\" action=\"{action}\" aria-label=\"Filters\"><fieldset>\
         <legend>Filters</legend>\
         <label for=\"country\">Country (ISO alpha-3)</label>\
         <input id=\"country\" name=\"country\" maxlength=\"3\" value=\"{country}\">\
         <label for=\"status\">Status</label><select id=\"status\" name=\"status\">{statuses}</select>\
         <label for=\"mdg\">MDG goal</label><select id=\"mdg\" name=\"mdg\">{goals}</select>\
         <label for=\"from\">Received from</label>\
         <input id=\"from\" name=\"from\" type=\"date\" value=\"{from}\">\
         <label for=\"to\">Received until</label>\
         <input id=\"to\" name=\"to\" type=\"date\" value=\"{to}\">\
         <p><button type=\"submit\">Filter</button></p></fieldset></form>",
        action = paths::CONSOLE_QUEUE,
        country = escape(f.country.as_deref().unwrap_or_default()),
        from = escape(f.from.as_deref().unwrap_or_default()),
        to = escape(f.to.as_deref().unwrap_or_default()),
    )
}

async fn queue(
    State(state): State<SharedState>,
    signed_in: SignedIn,
    params: Result<Query<QueueParams>, QueryRejection>,
) -> Response {
    let reviewer = Some(&signed_in.session);
    let filter = match params.map_err(|e| e.body_text()).and_then(|Query(p)| queue_filter(p)) {
        Ok(f) => f,
        Err(message) => return error_page(StatusCode::BAD_REQUEST, &message, reviewer),
    };
    let meta = state.meta.clone();
    let all = match blocking(move || meta.submissions(None)).await {
        Ok(all) => all,
        Err(e) => return failed(e),
    };
    let shown: Vec<&SubmissionRecord> = all.iter().filter(|r| filter.admits(r)).collect();
    let mut body = format!(
        "<h1>Submissions</h1>{}<p class=\"meta\" id=\"count\">{} submission(s)</p>",
        filter_form(&filter),
        shown.len()
    );
    body.push_str(
        "<table id=\"queue\"><caption>Submissions, oldest first</caption><thead><tr>\
         <th scope=\"col\">Received</th><th scope=\"col\">Country</th><th scope=\"col\">Case</th>\
         <th scope=\"col\">Version</th><th scope=\"col\">Status</th><th scope=\"col\">MDG targets\
         </th></tr></thead><tbody>",
    );
    for r in shown {
        body.push_str(&format!(
            "<tr class=\"submission\" data-state=\"{state}\"><td>{received}</td><td>{country}</td>\
             <td><a href=\"{href}\">{title}</a></td><td>{version}</td><td>{label}</td>\
             <td>{targets}</td></tr>",
            state = r.state.as_str(),
            received = escape(&r.received_at),
            country = escape(&r.country),
            href = paths::url(paths::CONSOLE_SUBMISSION, &[&r.id]),
            title = escape(&r.title),
            version = r.version,
            label = state_label(r.state),
            targets = escape(&r.mdg_targets.join(", ")),
        ));
    }
    body.push_str("</tbody></table>");
    page(StatusCode::OK, "Submissions", reviewer, &body)
}

/// A submission, the other versions of its case (oldest first, itself included) and the audit
/// entries of this submission.
struct SubmissionView {
    record: SubmissionRecord,
    versions: Vec<SubmissionRecord>,
    audit: Vec<AuditEntry>,
}

fn load_submission(state: &SharedState, id: Uuid) -> Result<Option<SubmissionView>, Error> {
    let meta = &*state.meta;
    let Some(record) = meta.submission(id)? else {
        return Ok(None);
    };
    let mut earlier = Vec::new();
    let mut next = record.replaces;
    while let Some(id) = next.filter(|_| earlier.len() < MAX_VERSIONS_SHOWN) {
        let Some(r) = meta.submission(id)? else { break };
        next = r.replaces;
        earlier.push(r);
    }
    earlier.reverse();
    let mut later = Vec::new();
    let mut next = record.replaced_by;
    while let Some(id) = next.filter(|_| later.len() < MAX_VERSIONS_SHOWN) {
        let Some(r) = meta.submission(id)? else { break };
        next = r.replaced_by;
        later.push(r);
    }
    let mut versions = earlier;
    versions.push(record.clone());
    versions.extend(later);
    let audit = meta.review_audit(Some(id))?;
    Ok(Some(SubmissionView { record, versions, audit }))
}

fn case_html(c: &CaseDocument) -> String {
    let mut body = String::from("<h2>Millennium Development Goals</h2><ul>");
    for l in &c.mdg_links {
        body.push_str(&format!(
            "<li>MDG target {}{}</li>",
            escape(&l.target),
            public_site::mdg_link_detail(l)
        ));
    }
    body.push_str("</ul>");
    body.push_str(&public_site::sdg_links_and_sections_html(c));
    body.push_str(&format!(
        "<h2>Institutions</h2><p>{}</p><h2>Partners</h2><p>{}</p><h2>Themes</h2><p>{}</p>\
         <h2>Focal point</h2><p>{}, {}, {}, {}</p>",
        escape(&c.institutions.join(", ")),
        escape(&c.partners.join(", ")),
        escape(&c.themes.join(", ")),
        escape(&c.focal_point.name),
        escape(&c.focal_point.title),
        escape(&c.focal_point.institution),
        escape(&c.focal_point.email),
    ));
    body
}

fn decision_forms(r: &SubmissionRecord, csrf: &str) -> String {
    let action = paths::url(paths::CONSOLE_DECISION, &[&r.id]);
    let csrf = csrf_field(csrf);
    format!(
        "<h2 id=\"decide\">Decision</h2>\
         <form method=\"post\" action=\"{action}\" id=\"publish\">{csrf}\
         <input type=\"hidden\" name=\"decision\" value=\"publish\">\
         <button type=\"submit\">Publish</button></form>\
         <form method=\"post\" action=\"{action}\" id=\"request-changes\">{csrf}\
         <input type=\"hidden\" name=\"decision\" value=\"request_changes\">\
         <label for=\"changes-comment\">What the focal point should change</label>\
         <textarea id=\"changes-comment\" name=\"comment\" required></textarea>\
         <button type=\"submit\">Request changes</button></form>\
         <form method=\"post\" action=\"{action}\" id=\"reject\">{csrf}\
         <input type=\"hidden\" name=\"decision\" value=\"reject\">\
         <label for=\"reject-reason\">Why it is rejected</label>\
         <textarea id=\"reject-reason\" name=\"comment\" required></textarea>\
         <button type=\"submit\">Reject</button></form>"
    )
}

fn submission_html(view: &SubmissionView, case: &CaseDocument, csrf: &str) -> String {
    let r = &view.record;
    let mut body = format!(
        "<h1>{title}</h1><dl class=\"meta\"><dt>Country</dt><dd>{country}</dd>\
         <dt>Government level</dt><dd>{level}</dd><dt>Version</dt><dd>{version}</dd>\
         <dt>Status</dt><dd id=\"status\">{status}</dd><dt>Received</dt><dd>{received}</dd>{comment}\
         </dl>",
        title = escape(&case.title),
        country = escape(&r.country),
        level = escape(&case.government_level),
        version = r.version,
        status = state_label(r.state),
        received = escape(&r.received_at),
        comment = r
            .reviewer_comment
            .as_deref()
            .map(|c| format!("<dt>Reviewer's comment</dt><dd id=\"comment\">{}</dd>", escape(c)))
            .unwrap_or_default(),
    );
    body.push_str(&decision_forms(r, csrf));
    body.push_str(&case_html(case));
    body.push_str("<h2>Files</h2>");
    if r.files.is_empty() {
        body.push_str("<p>No files.</p>");
    } else {
        body.push_str(
            "<table id=\"files\"><thead><tr><th scope=\"col\">File</th><th scope=\"col\">Type</th>\
             <th scope=\"col\">Bytes</th><th scope=\"col\">SHA-256</th></tr></thead><tbody>",
        );
        for (i, f) in r.files.iter().enumerate() {
            body.push_str(&format!(
                "<tr><td><a href=\"{}\" download>{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                paths::url(paths::CONSOLE_FILE, &[&r.id, &i]),
                escape(&f.name),
                escape(&f.media_type),
                f.size,
                escape(&f.sha256)
            ));
        }
        body.push_str("</tbody></table>");
    }
    body.push_str("<h2>Versions</h2><ol id=\"versions\">");
    for v in &view.versions {
        let label = format!(
            "Version {} — {} — received {}",
            v.version,
            state_label(v.state),
            v.received_at
        );
        if v.id == r.id {
            body.push_str(&format!("<li aria-current=\"page\">{} (this one)</li>", escape(&label)));
        } else {
            body.push_str(&format!(
                "<li><a href=\"{}\">{}</a></li>",
                paths::url(paths::CONSOLE_SUBMISSION, &[&v.id]),
                escape(&label)
            ));
        }
    }
    body.push_str("</ol>");
    if let Some(previous) = r.replaces.and_then(|p| view.versions.iter().find(|v| v.id == p)) {
        body.push_str(&changes_html(previous, r));
    }
    body.push_str("<h2>Audit log</h2>");
    if view.audit.is_empty() {
        body.push_str("<p>No decision yet.</p>");
    } else {
        body.push_str(
            "<table id=\"audit\"><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Who</th>\
             <th scope=\"col\">Decision</th><th scope=\"col\">Comment</th></tr></thead><tbody>",
        );
        for a in &view.audit {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&a.at),
                escape(&a.actor),
                escape(&a.action),
                escape(a.comment.as_deref().unwrap_or_default())
            ));
        }
        body.push_str("</tbody></table>");
    }
    body
}

fn changes_html(previous: &SubmissionRecord, current: &SubmissionRecord) -> String {
    let parse = |r: &SubmissionRecord| serde_json::from_str::<serde_json::Value>(&r.case_json);
    let (Ok(old), Ok(new)) = (parse(previous), parse(current)) else {
        return String::new();
    };
    let changes = diff::changed_fields(&old, &new);
    let mut html = format!("<h2>What changed since version {}</h2>", previous.version);
    if changes.is_empty() {
        html.push_str("<p>Nothing in the case changed.</p>");
        return html;
    }
    html.push_str(
        "<table id=\"changes\"><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Before\
         </th><th scope=\"col\">Now</th></tr></thead><tbody>",
    );
    let shown = |v: &Option<String>| match v {
        Some(v) => format!("<pre>{}</pre>", escape(v)),
        None => "<em>absent</em>".to_owned(),
    };
    for c in &changes {
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            escape(&c.path),
            shown(&c.old),
            shown(&c.new)
        ));
    }
    html.push_str("</tbody></table>");
    html
}

async fn submission_view(
    state: &SharedState,
    id: &str,
    signed_in: &SignedIn,
) -> Result<SubmissionView, Response> {
    let not_found = || {
        error_page(StatusCode::NOT_FOUND, "There is no such submission.", Some(&signed_in.session))
    };
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let st = state.clone();
    blocking(move || load_submission(&st, id)).await.map_err(failed)?.ok_or_else(not_found)
}

/// A page whose failures are pages too.
type PageResult = Result<Response, Response>;

async fn submission_page(
    State(state): State<SharedState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let view = submission_view(&state, &id, &signed_in).await?;
    let case = public_site::parse_case(&view.record).map_err(failed)?;
    let body = submission_html(&view, &case, &signed_in.session.csrf_token);
    Ok(page(StatusCode::OK, &case.title, Some(&signed_in.session), &body))
}

async fn download(
    State(state): State<SharedState>,
    signed_in: SignedIn,
    Path((id, index)): Path<(String, String)>,
    headers: HeaderMap,
) -> PageResult {
    let view = submission_view(&state, &id, &signed_in).await?;
    public_site::file_download(&state, &view.record, &index, &headers)
        .await
        .map_err(|problem| problem_page(problem, &signed_in))
}

fn problem_page(problem: ProblemResponse, signed_in: &SignedIn) -> Response {
    let status =
        StatusCode::from_u16(problem.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    error_page(status, &problem.problem.detail, Some(&signed_in.session))
}

#[derive(Deserialize)]
struct DecisionForm {
    csrf: Option<String>,
    #[serde(default)]
    decision: String,
    comment: Option<String>,
}

async fn decide(
    State(state): State<SharedState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    if !same_secret(form.csrf.as_deref(), &signed_in.session.csrf_token) {
        return forbidden(Some(&signed_in));
    }
    let reviewer = Some(&signed_in.session);
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(StatusCode::NOT_FOUND, "There is no such submission.", reviewer);
    };
    let decided = match form.decision.as_str() {
        "publish" => SubmissionState::Published,
        "request_changes" => SubmissionState::ChangesRequested,
        "reject" => SubmissionState::Rejected,
        _ => return error_page(StatusCode::BAD_REQUEST, "Choose a decision.", reviewer),
    };
    let comment = form.comment.filter(|_| decided != SubmissionState::Published);
    let (meta, actor) = (state.meta.clone(), signed_in.session.reviewer_email.clone());
    let outcome =
        blocking(move || operator::decide(&*meta, id, decided, comment.as_deref(), &actor)).await;
    match outcome {
        Ok(_) => Redirect::to(&paths::url(paths::CONSOLE_SUBMISSION, &[&id])).into_response(),
        Err(Error::Invalid(message)) => {
            error_page(StatusCode::BAD_REQUEST, &format!("Not recorded: {message}."), reviewer)
        }
        Err(Error::NotFound(_)) => {
            error_page(StatusCode::NOT_FOUND, "There is no such submission.", reviewer)
        }
        Err(e) => failed(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(status: &str, mdg: &str, from: &str) -> QueueParams {
        QueueParams {
            country: Some(" lao ".into()),
            status: Some(status.into()),
            mdg: Some(mdg.into()),
            from: Some(from.into()),
            to: None,
        }
    }

    #[test]
    fn queue_filters_are_checked_before_use() {
        let f = queue_filter(params("", "3", "2026-01-31")).unwrap();
        assert_eq!(f.country.as_deref(), Some("LAO"));
        assert_eq!(f.states, [SubmissionState::Received, SubmissionState::UnderReview]);
        assert_eq!(f.mdg_goal, Some(3));
        assert!(queue_filter(params("any", "", "")).unwrap().states.is_empty());
        assert!(queue_filter(params("rejected", "9", "")).is_err());
        assert!(queue_filter(params("nonsense", "", "")).is_err());
        assert!(queue_filter(params("", "", "2026-02-30")).is_err());
    }
}
