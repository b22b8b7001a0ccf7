//! The console's HTML: one layout, plain forms and links (no script), labels on every control.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::html::escape;
use crate::http::paths;
use crate::http::public_site::html_response;
use crate::metadata::ReviewerSession;

/// The public pages' policy (a test checks it starts with theirs), and forms may only post to
/// this server, nobody may frame it.
pub const CONSOLE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE: &str = "body{font-family:sans-serif;max-width:62rem;margin:1rem auto;padding:0 1rem;\
line-height:1.5}header{display:flex;gap:1rem;align-items:center;border-bottom:1px solid #ccc;\
padding-bottom:.5rem}header form{margin-left:auto}.meta{color:#555}pre{white-space:pre-wrap;\
font-family:inherit}table{border-collapse:collapse;width:100%}th,td{text-align:left;\
padding:.25rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}label{display:block;\
font-weight:bold;margin-top:.5rem}textarea{width:100%;min-height:5rem}fieldset{margin:.5rem 0}\
.error{color:#a00;font-weight:bold}a:focus,button:focus,input:focus,select:focus,\
textarea:focus{outline:3px solid #1a5fb4;outline-offset:2px}.skip{position:absolute;left:-999px}\
.skip:focus{left:1rem;top:1rem;background:#fff}";

/// The hidden CSRF field of a form.
pub fn csrf_field(token: &str) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", escape(token))
}

/// A console page with `status`; `reviewer` adds the queue link and the sign-out button.
pub fn page(
    status: StatusCode,
    title: &str,
    reviewer: Option<&ReviewerSession>,
    body: &str,
) -> Response {
    let header_html = match reviewer {
        Some(r) => format!(
            "<header><a href=\"{queue}\">Queue</a><span class=\"meta\">Signed in as {email}</span>\
             <form method=\"post\" action=\"{sign_out}\">{csrf}<button type=\"submit\">Sign out\
             </button></form></header>",
            queue = paths::CONSOLE_QUEUE,
            email = escape(&r.reviewer_email),
            sign_out = paths::CONSOLE_SIGN_OUT,
            csrf = csrf_field(&r.csrf_token),
        ),
        None => String::new(),
    };
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} — PAKS reviewers' console</title><style>{STYLE}</style></head><body>\
         <a class=\"skip\" href=\"#main\">Skip to content</a>{header_html}\
         <main id=\"main\">{body}</main></body></html>\n",
        escape(title)
    );
    let mut res = html_response((status, Html(html)).into_response(), CONSOLE_CSP);
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

/// A page that only says what went wrong.
pub fn error_page(
    status: StatusCode,
    message: &str,
    reviewer: Option<&ReviewerSession>,
) -> Response {
    let body =
        format!("<h1>{}</h1><p class=\"error\" role=\"alert\">{}</p>", status, escape(message));
    page(status, "Error", reviewer, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::public_site::CSP;

    #[test]
    fn the_console_policy_is_the_public_one_made_stricter() {
        assert!(CONSOLE_CSP.starts_with(CSP), "{CONSOLE_CSP}");
        assert!(CONSOLE_CSP.contains("form-action 'self'"));
        assert!(!CONSOLE_CSP.contains("script-src"));
    }
}
