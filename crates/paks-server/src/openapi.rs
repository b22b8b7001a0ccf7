//! The OpenAPI 3.1 document of API v1, generated here so it cannot drift from the code.
//! `paks-server openapi` prints it; docs/openapi.json is that output (a test keeps it so).

use serde_json::{Value, json};

use crate::config::DEFAULT_MAX_UPLOAD;
use crate::http::paths;

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

fn json_body(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
    })
}

fn tus_header(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

fn tus_options(operation_id: &str) -> Value {
    json!({
        "operationId": operation_id, "summary": "tus capabilities", "security": [],
        "responses": { "204": { "description": "Capabilities", "headers": {
            "Tus-Version": { "schema": { "type": "string", "const": "1.0.0" } },
            "Tus-Extension": { "schema": { "type": "string", "const": "creation,creation-with-upload,expiration,checksum,termination" } },
            "Tus-Max-Size": { "schema": { "type": "integer", "default": DEFAULT_MAX_UPLOAD } },
            "Tus-Checksum-Algorithm": { "schema": { "type": "string", "const": "sha1,sha256" } }
        }}}
    })
}

fn case_list_parameters() -> Value {
    json!([
        { "name": "q", "in": "query", "schema": { "type": "string" }, "description": "Text search in the case's text values" },
        { "name": "country", "in": "query", "schema": { "type": "string" }, "description": "ISO 3166-1 alpha-3" },
        { "name": "mdg", "in": "query", "schema": { "type": "string" }, "description": "MDG target, e.g. 8.F" },
        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200, "default": 50 } },
        { "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0, "default": 0 } }
    ])
}

/// Issue 19: the public change feed and OAI-PMH.
fn public_feed_paths() -> Value {
    let oai = |method: &str| {
        json!({
            "operationId": format!("oai{method}"),
            "summary": "OAI-PMH 2.0 (Identify, ListMetadataFormats, ListSets, ListIdentifiers, ListRecords, GetRecord; oai_dc; sets country:XXX, mdg:N, sdg:N). See docs/server.md.",
            "security": [],
            "responses": { "200": { "description": "An OAI-PMH response (errors included, as the protocol wants)", "content": { "text/xml": {} } } }
        })
    };
    let mut get = oai("Get");
    get["parameters"] = json!([
        { "name": "verb", "in": "query", "required": true, "schema": { "type": "string" } },
        { "name": "metadataPrefix", "in": "query", "schema": { "type": "string" } },
        { "name": "identifier", "in": "query", "schema": { "type": "string" } },
        { "name": "set", "in": "query", "schema": { "type": "string" } },
        { "name": "from", "in": "query", "schema": { "type": "string" } },
        { "name": "until", "in": "query", "schema": { "type": "string" } },
        { "name": "resumptionToken", "in": "query", "schema": { "type": "string" } }
    ]);
    let mut post = oai("Post");
    post["requestBody"] = json!({ "content": { "application/x-www-form-urlencoded": {} } });
    json!({
        (paths::PUBLIC_CHANGES): { "get": {
            "operationId": "publicChanges",
            "summary": "Published cases changed after a cursor: published or updated (with the whole published case document) and withdrawn (tombstones), in order, paged",
            "security": [],
            "parameters": [
                { "name": "since", "in": "query", "schema": { "type": "string" }, "description": "Opaque cursor: `next_cursor` of the previous page; absent for the whole feed" },
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": crate::http::public_feed_max_limit(), "default": crate::http::public_feed_default_limit() } },
                { "name": "If-None-Match", "in": "header", "schema": { "type": "string" }, "description": "The ETag of the same request: 304 while the feed did not change" }
            ],
            "responses": {
                "200": {
                    "description": "A page of changes",
                    "headers": { "ETag": { "schema": { "type": "string" } } },
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PublicChangePage" } } }
                },
                "304": { "description": "Nothing changed since the page with this ETag" },
                "422": problem("`since` is not a cursor of this feed: read again without it")
            }
        }},
        (paths::OAI): { "get": get, "post": post }
    })
}

fn desk_path_parameters(last: &str, description: &str) -> Value {
    json!([
        { "name": "target", "in": "path", "required": true, "schema": { "type": "string", "enum": ["linux", "windows"] } },
        { "name": "arch", "in": "path", "required": true, "schema": { "type": "string", "enum": ["x86_64"] } },
        { "name": last, "in": "path", "required": true, "schema": { "type": "string" }, "description": description }
    ])
}

/// PAKS Desk's update feed: the answer Tauri's updater expects (docs/server.md, "Desk updates").
fn desk_update() -> Value {
    json!({ "get": {
        "operationId": "deskUpdate",
        "summary": "The newest PAKS Desk release for this platform, if newer than the desk's",
        "security": [],
        "parameters": desk_path_parameters("current_version", "The desk's semantic version"),
        "responses": {
            "200": { "description": "A newer release (Tauri updater's dynamic-server answer, plus size and sha256)",
                "content": { "application/json": { "schema": {
                    "type": "object",
                    "required": ["version", "notes", "pub_date", "url", "signature", "size", "sha256"],
                    "properties": {
                        "version": { "type": "string" },
                        "notes": { "type": "string" },
                        "pub_date": { "type": "string", "format": "date-time" },
                        "url": { "type": "string", "format": "uri", "description": "The release file (Range requests welcome)" },
                        "signature": { "type": "string", "description": "base64 of the minisign .sig file (tauri signer sign)" },
                        "size": { "type": "integer", "minimum": 0 },
                        "sha256": { "type": "string", "pattern": "^[0-9a-f]{64}$" }
                    }
                } } } },
            "204": { "description": "Nothing newer" },
            "422": problem("current_version is not a semantic version")
        }
    }})
}

fn desk_release_file() -> Value {
    json!({ "get": {
        "operationId": "deskReleaseFile",
        "summary": "A PAKS Desk release file; single byte ranges (Range, If-Range on the ETag) resume a cut download",
        "security": [],
        "parameters": desk_path_parameters("version", "The release's semantic version"),
        "responses": {
            "200": { "description": "The whole file (ETag: its quoted SHA-256; Accept-Ranges: bytes)" },
            "206": { "description": "The range asked for (Content-Range)" },
            "404": problem("No such release"),
            "416": problem("The range starts past the end (Content-Range: bytes */size)"),
            "422": problem("version is not a semantic version")
        }
    }})
}

/// The probes of load balancers and orchestrators (metrics are on their own address).
fn operations_paths() -> Value {
    let status = |description: &str| json!({ "description": description, "content": { "application/json": {} } });
    json!({
        (paths::HEALTHZ): { "get": {
            "operationId": "healthz", "summary": "Liveness: the process is up (nothing else is checked)", "security": [],
            "responses": { "200": status("Up") }
        }},
        (paths::READYZ): { "get": {
            "operationId": "readyz", "summary": "Readiness: the database answers and the upload storage takes files", "security": [],
            "responses": { "200": status("Ready"), "503": status("Not ready: which of database and storage failed") }
        }}
    })
}

pub fn document() -> Value {
    let mut doc = core_document();
    for more in [public_feed_paths(), operations_paths()] {
        if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), more) {
            paths.extend(more);
        }
    }
    if let (Some(paths), Value::Object(console)) = (doc["paths"].as_object_mut(), console_paths()) {
        paths.extend(console);
    }
    doc
}

/// The reviewers' web console: HTML pages and forms for a browser, signed in by a session
/// cookie (`paks_console_session`), every form carrying its CSRF token (docs/server.md).
fn console_paths() -> Value {
    let html =
        |description: &str| json!({ "description": description, "content": { "text/html": {} } });
    let see_other = |description: &str| {
        json!({ "description": description, "headers": {
            "Location": { "schema": { "type": "string" } }
        }})
    };
    let id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    let form = |fields: Value| {
        json!({ "required": true, "content": {
            "application/x-www-form-urlencoded": { "schema": { "type": "object", "properties": fields } }
        }})
    };
    let signed_in = "303 to the sign-in page without a live session";
    json!({
        (paths::CONSOLE): { "get": {
            "operationId": "console", "summary": "Redirects to the console's queue", "security": [],
            "responses": { "303": see_other("To the queue") }
        }},
        (paths::CONSOLE_QUEUE): { "get": {
            "operationId": "consoleQueue", "summary": "The queue of submissions, filtered (HTML)", "security": [],
            "parameters": [
                { "name": "country", "in": "query", "required": false, "schema": { "type": "string" } },
                { "name": "status", "in": "query", "required": false, "schema": { "type": "string" }, "description": "awaiting (default), any, or a submission state" },
                { "name": "mdg", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 8 } },
                { "name": "from", "in": "query", "required": false, "schema": { "type": "string", "format": "date" } },
                { "name": "to", "in": "query", "required": false, "schema": { "type": "string", "format": "date" } }
            ],
            "responses": { "200": html("The queue"), "303": see_other(signed_in), "400": html("A filter is not valid") }
        }},
        (paths::CONSOLE_SIGN_IN): {
            "get": {
                "operationId": "consoleSignInForm", "summary": "The sign-in form (sets the form's CSRF cookie)", "security": [],
                "responses": { "200": html("The form") }
            },
            "post": {
                "operationId": "consoleSignIn", "summary": "Sign in; 5 wrong passwords in a row lock the account for 15 minutes", "security": [],
                "requestBody": form(json!({ "csrf": { "type": "string" }, "email": { "type": "string" }, "password": { "type": "string" } })),
                "responses": {
                    "303": see_other("Signed in: to the queue, with the session cookie"),
                    "401": html("Wrong e-mail address or password, or the account is locked (one answer for all)"),
                    "403": html("Missing or wrong CSRF token")
                }
            }
        },
        (paths::CONSOLE_SIGN_OUT): { "post": {
            "operationId": "consoleSignOut", "summary": "Sign out (deletes the session)", "security": [],
            "requestBody": form(json!({ "csrf": { "type": "string" } })),
            "responses": { "303": see_other("To the sign-in page"), "403": html("Missing or wrong CSRF token") }
        }},
        (paths::CONSOLE_SUBMISSION): { "get": {
            "operationId": "consoleSubmission", "summary": "A submission: case, links, files, versions and what changed, audit log, decision forms (HTML)", "security": [],
            "parameters": [id],
            "responses": { "200": html("The submission"), "303": see_other(signed_in), "404": html("No such submission") }
        }},
        (paths::CONSOLE_FILE): { "get": {
            "operationId": "consoleFile", "summary": "Download a file of any submission", "security": [],
            "parameters": [id, { "name": "index", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 0 } }],
            "responses": { "200": { "description": "The file (Content-Disposition: attachment)" }, "303": see_other(signed_in), "404": html("No such file") }
        }},
        (paths::CONSOLE_DECISION): { "post": {
            "operationId": "consoleDecision", "summary": "Publish, request changes (comment) or reject (reason); recorded in the audit log", "security": [],
            "parameters": [id],
            "requestBody": form(json!({
                "csrf": { "type": "string" },
                "decision": { "type": "string", "enum": ["publish", "request_changes", "reject"] },
                "comment": { "type": "string" }
            })),
            "responses": {
                "303": see_other("Recorded: back to the submission"),
                "400": html("No decision, or no comment or reason"),
                "403": html("Missing or wrong CSRF token"),
                "404": html("No such submission")
            }
        }}
    })
}

fn core_document() -> Value {
    let schemas = paks_protocol::component_schemas();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "PAKS submission API",
            "version": "1.0.0",
            "summary": "Contributions of country case studies to the UN Public Administration Knowledge Space.",
            "description": "Files travel by tus 1.0.0 (https://tus.io/protocols/resumable-upload) at /api/v1/uploads; submissions are POSTed with an Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) and answered with an Ed25519-signed receipt. Every error is an RFC 9457 problem+json body whose `type` is a `urn:paks:problem:*` URI. See docs/server.md.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": {
            (paths::IDENTITY): { "get": {
                "operationId": "identity",
                "summary": "Server name, API version and public key; signs a challenge to prove it holds the key",
                "security": [],
                "parameters": [{ "name": "challenge", "in": "query", "required": false,
                    "description": "Fresh random text; the answer carries an Ed25519 signature over `paks-identity-v1\\n` + challenge.",
                    "schema": { "type": "string", "maxLength": 256 } }],
                "responses": {
                    "200": json_body("This is a PAKS server", "ServerIdentity"),
                    "422": problem("Bad challenge")
                }
            }},
            (paths::OPENAPI): { "get": {
                "operationId": "openapi", "summary": "This document", "security": [],
                "responses": { "200": { "description": "OpenAPI 3.1", "content": { "application/json": {} } } }
            }},
            (paths::UPLOADS): {
                "options": tus_options("tusOptions"),
                "post": {
                    "operationId": "tusCreate",
                    "summary": "tus creation (and creation-with-upload)",
                    "parameters": [tus_header("TusResumable"), tus_header("UploadLength"), tus_header("UploadMetadata"), tus_header("UploadChecksum")],
                    "requestBody": { "required": false, "content": { "application/offset+octet-stream": { "schema": { "type": "string", "contentMediaType": "application/octet-stream" } } } },
                    "responses": {
                        "201": { "description": "Created", "headers": {
                            "Location": { "schema": { "type": "string" }, "description": "/api/v1/uploads/{id}" },
                            "Upload-Expires": { "schema": { "type": "string" } },
                            "Upload-Offset": { "schema": { "type": "integer" }, "description": "With creation-with-upload" }
                        }},
                        "400": problem("Malformed tus header"),
                        "401": problem("Bad token"),
                        "412": problem("Tus-Resumable missing or not 1.0.0"),
                        "413": problem("Upload-Length above Tus-Max-Size, or past the focal point's quota of open uploads or their bytes (upload-quota-exceeded)"),
                        "415": problem("Body without Content-Type application/offset+octet-stream"),
                        "429": problem("Rate limited (Retry-After)"),
                        "460": problem("Checksum mismatch (creation-with-upload)"),
                        "503": problem("At the connection cap (server-busy, Retry-After)"),
                        "507": problem("The disk cannot hold the upload beside the open ones and the reserve (insufficient-storage)")
                    }
                }
            },
            (paths::UPLOAD): {
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
                "options": tus_options("tusOptionsOfUpload"),
                "head": {
                    "operationId": "tusHead", "summary": "Offset of an upload",
                    "parameters": [tus_header("TusResumable")],
                    "responses": {
                        "200": { "description": "Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires; Cache-Control: no-store" },
                        "404": { "description": "Unknown upload (or another focal point's)" },
                        "410": { "description": "Expired" },
                        "423": problem("A request holding the upload did not stop within 10 s")
                    }
                },
                "patch": {
                    "operationId": "tusPatch", "summary": "Append bytes at Upload-Offset",
                    "parameters": [tus_header("TusResumable"), tus_header("UploadOffset"), tus_header("UploadChecksum")],
                    "requestBody": { "required": true, "content": { "application/offset+octet-stream": { "schema": { "type": "string", "contentMediaType": "application/octet-stream" } } } },
                    "responses": {
                        "204": { "description": "Bytes kept; new Upload-Offset" },
                        "400": problem("Malformed header, or the body broke off (bytes received are kept unless a checksum was sent)"),
                        "404": problem("Unknown upload"),
                        "409": problem("Upload-Offset is not the upload's offset"),
                        "410": problem("Expired"),
                        "413": problem("Body past Upload-Length"),
                        "415": problem("Wrong Content-Type"),
                        "423": problem("Another PATCH is writing to this upload"),
                        "460": problem("Upload-Checksum mismatch; nothing kept"),
                        "507": problem("The disk filled up; nothing of this body kept (insufficient-storage)")
                    }
                },
                "delete": {
                    "operationId": "tusTerminate", "summary": "tus termination",
                    "parameters": [tus_header("TusResumable")],
                    "responses": {
                        "204": { "description": "Deleted" },
                        "404": problem("Unknown upload"),
                        "409": problem("The upload is part of a submission")
                    }
                }
            },
            (paths::SUBMISSIONS): { "post": {
                "operationId": "submit",
                "summary": "Submit a case document with its uploaded attachments",
                "parameters": [{ "name": "Idempotency-Key", "in": "header", "required": true,
                    "description": "Unique per submission attempt (RFC 8941 string, e.g. \"<uuid>\"). A retry with the same key and body gets the stored response.",
                    "schema": { "type": "string", "maxLength": 257 } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SubmissionRequest" } } } },
                "responses": {
                    "201": json_body("Received; the signed receipt", "Receipt"),
                    "400": problem("No Idempotency-Key, invalid UTF-8 or malformed JSON"),
                    "401": problem("Missing, unknown, expired or revoked token"),
                    "403": problem("Case for another country, or another token's upload"),
                    "409": problem("Same key still in progress, or this case version exists"),
                    "410": problem("An attached upload expired"),
                    "413": problem("Body too large"),
                    "422": problem("Same key with another body; unknown fields; wrong schema_version; rule broken; upload incomplete or not matching"),
                    "429": problem("Rate limited (Retry-After)")
                }
            }},
            (paths::BAGS): { "post": {
                "operationId": "submitBag",
                "summary": "Submit a hand-carried case: a BagIt (RFC 8493) zip bag made by PAKS Desk or any BagIt tool",
                "description": "The bag holds one top-level folder with bagit.txt, data/case.json (a CaseDocument), data/attachments/*, manifest-sha256.txt (or -sha512) and optionally tagmanifest-*.txt and bag-info.txt. It is verified complete and valid (every checksum, Payload-Oxum) and becomes a submission under the same rules as POST /api/v1/submissions. The bag-info field PAKS-Idempotency-Key (else `bag:<case_uid>:v<version>`) is the submission's idempotency key: the same bag sent again, or the same case version already submitted with the same text and files, gets the stored receipt.",
                "requestBody": { "required": true, "content": { "application/zip": { "schema": { "type": "string", "contentMediaType": "application/zip" } } } },
                "responses": {
                    "201": json_body("Received; the signed receipt (Idempotent-Replayed: true when this case version was already received with the same text and files)", "Receipt"),
                    "400": problem("The body broke off"),
                    "401": problem("Missing, unknown, expired or revoked token"),
                    "403": problem("Case for another country"),
                    "409": problem("Same key still in progress, or this case version exists with other content"),
                    "413": problem("Bag larger than Tus-Max-Size"),
                    "422": problem("Not a complete and valid case bag (invalid-bag: the detail names the entry and the fault), or a rule of the protocol broken"),
                    "429": problem("Rate limited (Retry-After)")
                }
            }},
            (paths::SUBMISSION): { "get": {
                "operationId": "submissionStatus",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
                "responses": {
                    "200": json_body("Status", "SubmissionStatus"),
                    "404": problem("No such submission, or another country's")
                }
            }},
            (paths::RECEIPT): { "get": {
                "operationId": "receiptOfVersion",
                "summary": "The signed receipt of a case version, however it arrived (online or a hand-carried bag)",
                "parameters": [
                    { "name": "case_uid", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } },
                    { "name": "version", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }
                ],
                "responses": {
                    "200": json_body("Receipt", "Receipt"),
                    "404": problem("PAKS holds no such version, or it is another country's")
                }
            }},
            (paths::CASES_JSON): { "get": {
                "operationId": "listCases", "summary": "Published cases (newest version of each)", "security": [],
                "parameters": case_list_parameters(),
                "responses": { "200": json_body("Published cases", "PublishedCaseList") }
            }},
            (paths::CASE_JSON): { "get": {
                "operationId": "getCase", "security": [],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
                "responses": { "200": json_body("A published case", "PublishedCase"), "404": problem("Not published") }
            }},
            (paths::HOME): { "get": {
                "operationId": "home", "summary": "Redirects to the list of published cases", "security": [],
                "responses": { "303": { "description": "See Other", "headers": {
                    "Location": { "schema": { "type": "string", "const": paths::CASES_PAGE } }
                }}}
            }},
            (paths::CASES_PAGE): { "get": {
                "operationId": "casesHtml", "summary": "HTML list of published cases (newest version of each)", "security": [],
                "parameters": case_list_parameters(),
                "responses": { "200": { "description": "HTML", "content": { "text/html": {} } } }
            }},
            (paths::CASE_PAGE): { "get": {
                "operationId": "caseHtml", "summary": "HTML page of a published case", "security": [],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
                "responses": { "200": { "description": "HTML", "content": { "text/html": {} } }, "404": problem("Not published") }
            }},
            (paths::CASE_FILE): { "get": {
                "operationId": "caseFile", "summary": "Download a file of a published case; single byte ranges (Range, If-Range on the ETag) resume a cut download", "security": [],
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } },
                    { "name": "index", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 0 } }
                ],
                "responses": {
                    "200": { "description": "The file (Content-Disposition: attachment; ETag: its quoted SHA-256; Accept-Ranges: bytes)" },
                    "206": { "description": "The range asked for (Content-Range)" },
                    "404": problem("No such file"),
                    "416": problem("The range starts past the end (Content-Range: bytes */size)")
                }
            }},
            (paths::DESK_UPDATE): desk_update(),
            (paths::DESK_RELEASE_FILE): desk_release_file()
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "API token printed once by `paks-server focal-point add`" } },
            "parameters": {
                "TusResumable": { "name": "Tus-Resumable", "in": "header", "required": true, "schema": { "type": "string", "const": "1.0.0" } },
                "UploadLength": { "name": "Upload-Length", "in": "header", "required": true, "schema": { "type": "integer", "minimum": 0 } },
                "UploadOffset": { "name": "Upload-Offset", "in": "header", "required": true, "schema": { "type": "integer", "minimum": 0 } },
                "UploadMetadata": { "name": "Upload-Metadata", "in": "header", "required": false, "schema": { "type": "string" }, "description": "key base64,... ; filename must be a plain file name" },
                "UploadChecksum": { "name": "Upload-Checksum", "in": "header", "required": false, "schema": { "type": "string" }, "description": "sha1 or sha256, then the base64 digest of this request's body" }
            },
            "schemas": schemas
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::document;

    const OPERATIONS: [&str; 8] =
        ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    #[test]
    fn the_document_describes_exactly_the_routed_methods_and_paths() {
        let routed: BTreeSet<(String, String)> = crate::http::endpoints()
            .into_iter()
            .map(|(method, path)| (method.as_str().to_ascii_lowercase(), path.to_owned()))
            .collect();
        let doc = document();
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                OPERATIONS
                    .iter()
                    .filter(|op| item.get(**op).is_some())
                    .map(|op| ((*op).to_owned(), path.clone()))
            })
            .collect();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty() && unrouted.is_empty(),
            "the router and the OpenAPI document (src/openapi.rs) disagree\n\
             routed but not documented: {undocumented:?}\n\
             documented but not routed: {unrouted:?}"
        );
    }
}
