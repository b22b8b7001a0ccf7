//! Every path the server routes, written once: the router, the OpenAPI document and the URLs
//! the server hands out all take them from here.

use std::fmt::Display;

pub const IDENTITY: &str = "/api/v1/identity";
pub const OPENAPI: &str = "/api/v1/openapi.json";
pub const UPLOADS: &str = "/api/v1/uploads";
pub const UPLOAD: &str = "/api/v1/uploads/{id}";
pub const SUBMISSIONS: &str = "/api/v1/submissions";
pub const SUBMISSION: &str = "/api/v1/submissions/{id}";
pub const RECEIPT: &str = "/api/v1/receipts/{case_uid}/{version}";
pub const BAGS: &str = "/api/v1/bags";
pub const CASES_JSON: &str = "/api/v1/cases";
pub const CASE_JSON: &str = "/api/v1/cases/{id}";
// PAKS Desk's update feed (crate::desk_releases).
pub const DESK_UPDATE: &str = "/api/v1/desk/updates/{target}/{arch}/{current_version}";
pub const DESK_RELEASE_FILE: &str = "/api/v1/desk/releases/{target}/{arch}/{version}";
pub const HOME: &str = "/";
pub const CASES_PAGE: &str = "/cases";
pub const CASE_PAGE: &str = "/cases/{id}";
pub const CASE_FILE: &str = "/cases/{id}/files/{index}";

// The reviewers' web console (http::console); its cookies are scoped to CONSOLE.
pub const CONSOLE: &str = "/console";
pub const CONSOLE_QUEUE: &str = "/console/";
pub const CONSOLE_SIGN_IN: &str = "/console/sign-in";
pub const CONSOLE_SIGN_OUT: &str = "/console/sign-out";
pub const CONSOLE_SUBMISSION: &str = "/console/submissions/{id}";
pub const CONSOLE_FILE: &str = "/console/submissions/{id}/files/{index}";
pub const CONSOLE_DECISION: &str = "/console/submissions/{id}/decision";

// Issue 19: the public change feed and the OAI-PMH endpoint.
pub const PUBLIC_CHANGES: &str = "/api/v1/public/changes";
pub const OAI: &str = "/oai";

// Operations: liveness and readiness probes (metrics are on their own address).
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";

/// `template` with its `{name}` segments replaced by `values`, in order.
pub fn url(template: &str, values: &[&dyn Display]) -> String {
    let mut values = values.iter();
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{')
                && let Some(value) = values.next()
            {
                value.to_string()
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_fills_the_templates_segments_in_order() {
        assert_eq!(url(CASE_FILE, &[&"abc", &3]), "/cases/abc/files/3");
        assert_eq!(url(UPLOAD, &[&"u1"]), "/api/v1/uploads/u1");
        assert_eq!(url(HOME, &[]), "/");
    }
}
