use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::problem::FieldError;

/// The only case document schema version this protocol version accepts.
pub const CASE_SCHEMA_VERSION: u32 = 1;

const MAX_SHORT_TEXT: usize = 500;
const MAX_LONG_TEXT: usize = 100_000;
const MAX_LIST: usize = 100;

/// A country case study as submitted to PAKS.
///
/// Canonical form (what `case_sha256` hashes): `serde_json::to_vec` of this struct, that is
/// compact JSON with the fields in the order declared here, `replaces` always present (null
/// when absent), and strings escaped the serde_json way. Any client that re-serialises with
/// this type gets the same bytes as the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseDocument {
    /// Always [`CASE_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Stable identity of the case across its versions.
    pub case_uid: Uuid,
    /// 1 for the first submission, then one more for each new version.
    pub version: u32,
    /// Submission id of the version this one replaces; required when `version > 1`.
    #[serde(default)]
    pub replaces: Option<Uuid>,
    /// BCP 47 language tag of the text, e.g. `en`, `lo`, `fr`.
    pub language: String,
    pub title: String,
    /// ISO 3166-1 alpha-3 code, e.g. `LAO`.
    pub country: String,
    /// E.g. national, provincial, local.
    pub government_level: String,
    pub institutions: Vec<String>,
    pub partners: Vec<String>,
    pub start_year: Option<u16>,
    /// E.g. planned, pilot, implemented, scaled up.
    pub stage: String,
    pub themes: Vec<String>,
    pub summary: String,
    pub problem: String,
    pub solution: String,
    pub innovation: String,
    pub objectives: String,
    pub stakeholders: String,
    pub implementation: String,
    pub resources: String,
    pub ict_components: String,
    pub results: String,
    pub obstacles: String,
    pub sustainability: String,
    pub transferability: String,
    pub lessons_learned: String,
    pub related_policy: String,
    /// Free text with links to further material.
    pub links: String,
    pub mdg_links: Vec<MdgLink>,
    pub sdg_links: Vec<SdgLink>,
    pub focal_point: FocalPointContact,
}

/// A link from the case to a Millennium Development Goal target, e.g. target `8.F`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MdgLink {
    /// `<goal>.<letter>`, e.g. `8.F`.
    pub target: String,
    /// `<goal>.<number>`, e.g. `8.16`.
    #[serde(default)]
    pub indicator: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// A link to a Sustainable Development Goal target, e.g. `9.c` or `16.6`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SdgLink {
    pub target: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Who answers for the case in the submitting government.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FocalPointContact {
    pub name: String,
    pub title: String,
    pub institution: String,
    pub email: String,
}

/// Canonical bytes of a case document (see [`CaseDocument`]).
pub fn canonical_case_json(case: &CaseDocument) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(case)
}

/// Lower-case hex SHA-256 of the canonical case document: what a receipt's `case_sha256` is.
pub fn case_sha256(case: &CaseDocument) -> Result<String, serde_json::Error> {
    Ok(crate::sha256_hex(&canonical_case_json(case)?))
}

struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, pointer: &str, message: impl Into<String>) {
        self.errors.push(FieldError { pointer: pointer.to_owned(), message: message.into() });
    }

    fn line(&mut self, pointer: &str, value: &str, required: bool) {
        if required && value.trim().is_empty() {
            self.fail(pointer, "must not be empty");
        }
        if value.chars().count() > MAX_SHORT_TEXT {
            self.fail(pointer, format!("longer than {MAX_SHORT_TEXT} characters"));
        }
        if value.chars().any(char::is_control) {
            self.fail(pointer, "contains control characters");
        }
        if value.chars().any(crate::is_bidi_control) {
            self.fail(
                pointer,
                "contains invisible text-direction characters (such as U+202E), which can disguise what is shown",
            );
        }
    }

    fn text(&mut self, pointer: &str, value: &str) {
        if value.chars().count() > MAX_LONG_TEXT {
            self.fail(pointer, format!("longer than {MAX_LONG_TEXT} characters"));
        }
        if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
            self.fail(pointer, "contains control characters other than tab and newline");
        }
    }

    fn list(&mut self, pointer: &str, values: &[String]) {
        if values.len() > MAX_LIST {
            self.fail(pointer, format!("more than {MAX_LIST} entries"));
        }
        for (i, v) in values.iter().enumerate() {
            self.line(&format!("{pointer}/{i}"), v, true);
        }
    }
}

fn is_goal_target(s: &str, letter: fn(char) -> bool) -> bool {
    let Some((goal, rest)) = s.split_once('.') else { return false };
    !goal.is_empty()
        && goal.len() <= 2
        && goal.bytes().all(|b| b.is_ascii_digit())
        && !rest.is_empty()
        && rest.len() <= 2
        && rest.chars().all(letter)
}

/// A long text section of a case: its name in the document and the English heading the public
/// site gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextSection<'a> {
    pub name: &'static str,
    pub heading: &'static str,
    pub text: &'a str,
}

macro_rules! text_sections {
    ($document:expr, [$($name:ident => $heading:literal),* $(,)?], not_text: [$($other:ident),* $(,)?]) => {{
        // No `..`: a field added to the document does not compile until it is placed here.
        let CaseDocument { $($name,)* $($other: _,)* } = $document;
        [$(TextSection { name: stringify!($name), heading: $heading, text: $name }),*]
    }};
}

impl CaseDocument {
    /// The long text sections in reading order: what validation checks as text and what the
    /// public page shows under headings.
    pub fn text_sections(&self) -> [TextSection<'_>; 16] {
        text_sections!(
            self,
            [
                summary => "Summary",
                problem => "Problem",
                solution => "Solution",
                innovation => "Innovation",
                objectives => "Objectives",
                stakeholders => "Stakeholders",
                implementation => "Implementation",
                resources => "Resources",
                ict_components => "ICT components",
                results => "Results",
                obstacles => "Obstacles",
                sustainability => "Sustainability",
                transferability => "Transferability",
                lessons_learned => "Lessons learned",
                related_policy => "Related policy",
                links => "Links",
            ],
            not_text: [
                schema_version, case_uid, version, replaces, language, title, country,
                government_level, institutions, partners, start_year, stage, themes, mdg_links,
                sdg_links, focal_point,
            ]
        )
    }

    /// Checks every rule the server enforces beyond the JSON shape. Returns all failures,
    /// each with the JSON pointer of the offending field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut c = Checker { errors: Vec::new() };
        if self.schema_version != CASE_SCHEMA_VERSION {
            c.fail("/schema_version", format!("must be {CASE_SCHEMA_VERSION}"));
        }
        if self.version == 0 {
            c.fail("/version", "must be 1 or more");
        }
        match (self.version, self.replaces) {
            (1, Some(_)) => c.fail("/replaces", "version 1 replaces nothing"),
            (v, None) if v > 1 => {
                c.fail("/replaces", "a new version must name the submission it replaces")
            }
            _ => {}
        }
        let lang_ok = !self.language.is_empty()
            && self.language.len() <= 35
            && self
                .language
                .split('-')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !lang_ok {
            c.fail("/language", "must be a BCP 47 language tag such as en or lo");
        }
        c.line("/title", &self.title, true);
        if !(self.country.len() == 3 && self.country.bytes().all(|b| b.is_ascii_uppercase())) {
            c.fail("/country", "must be an ISO 3166-1 alpha-3 code in capitals, e.g. LAO");
        }
        c.line("/government_level", &self.government_level, false);
        c.list("/institutions", &self.institutions);
        c.list("/partners", &self.partners);
        if let Some(y) = self.start_year
            && !(1950..=2100).contains(&y)
        {
            c.fail("/start_year", "must be between 1950 and 2100");
        }
        c.line("/stage", &self.stage, false);
        c.list("/themes", &self.themes);
        for section in self.text_sections() {
            c.text(&format!("/{}", section.name), section.text);
        }
        if self.summary.trim().is_empty() {
            c.fail("/summary", "must not be empty");
        }
        if self.mdg_links.len() > MAX_LIST {
            c.fail("/mdg_links", format!("more than {MAX_LIST} entries"));
        }
        for (i, link) in self.mdg_links.iter().enumerate() {
            if !is_goal_target(&link.target, |ch| ch.is_ascii_uppercase()) {
                c.fail(&format!("/mdg_links/{i}/target"), "must look like 8.F");
            }
            if let Some(ind) = &link.indicator
                && !is_goal_target(ind, |ch| ch.is_ascii_digit())
            {
                c.fail(&format!("/mdg_links/{i}/indicator"), "must look like 8.16");
            }
            c.text(&format!("/mdg_links/{i}/note"), &link.note);
        }
        if self.sdg_links.len() > MAX_LIST {
            c.fail("/sdg_links", format!("more than {MAX_LIST} entries"));
        }
        for (i, link) in self.sdg_links.iter().enumerate() {
            if !is_goal_target(&link.target, |ch| ch.is_ascii_lowercase() || ch.is_ascii_digit()) {
                c.fail(&format!("/sdg_links/{i}/target"), "must look like 9.c or 16.6");
            }
            if let Some(note) = &link.note {
                c.text(&format!("/sdg_links/{i}/note"), note);
            }
        }
        let fp = &self.focal_point;
        c.line("/focal_point/name", &fp.name, true);
        c.line("/focal_point/title", &fp.title, false);
        c.line("/focal_point/institution", &fp.institution, true);
        c.line("/focal_point/email", &fp.email, true);
        if !fp.email.contains('@') {
            c.fail("/focal_point/email", "must be an e-mail address");
        }
        if c.errors.is_empty() { Ok(()) } else { Err(c.errors) }
    }
}
