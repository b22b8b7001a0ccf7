//! OAI-PMH 2.0 (<https://www.openarchives.org/OAI/openarchivesprotocol.html>) over the public
//! change feed: one record per case that was ever published, `oai_dc` metadata, sets per
//! country, MDG goal and SDG goal, deleted records for withdrawn cases (kept: `persistent`),
//! and stateless resumption tokens that carry the feed position, so they never expire and
//! survive restarts.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use paks_protocol::CaseDocument;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use time::OffsetDateTime;
use time::macros::format_description;
use uuid::Uuid;

use super::public_site::parse_case;
use super::route_table::RouteTable;
use super::{SharedState, blocking, paths};
use crate::error::{Error, Result};
use crate::metadata::{FeedEntry, FeedQuery};

const OAI_NS: &str = "http://www.openarchives.org/OAI/2.0/";
const OAI_SCHEMA: &str =
    "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd";
const DC_PREFIX: &str = "oai_dc";
const OAI_DC_NS: &str = "http://www.openarchives.org/OAI/2.0/oai_dc/";
const OAI_DC_XSD: &str = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd";
const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
const ID_PREFIX: &str = "oai:paks:";
/// A resumption token is `v1!<after seq>!<cursor>!<from>!<until>!<set>!<verb>` in URL-safe
/// base64; this bounds what is decoded.
const MAX_TOKEN_LEN: usize = 512;

const MDG_GOALS: [&str; 8] = [
    "Eradicate extreme poverty and hunger",
    "Achieve universal primary education",
    "Promote gender equality and empower women",
    "Reduce child mortality",
    "Improve maternal health",
    "Combat HIV/AIDS, malaria and other diseases",
    "Ensure environmental sustainability",
    "Develop a global partnership for development",
];

const SDG_GOALS: [&str; 17] = [
    "No poverty",
    "Zero hunger",
    "Good health and well-being",
    "Quality education",
    "Gender equality",
    "Clean water and sanitation",
    "Affordable and clean energy",
    "Decent work and economic growth",
    "Industry, innovation and infrastructure",
    "Reduced inequalities",
    "Sustainable cities and communities",
    "Responsible consumption and production",
    "Climate action",
    "Life below water",
    "Life on land",
    "Peace, justice and strong institutions",
    "Partnerships for the goals",
];

pub fn routes() -> RouteTable {
    RouteTable::new().get(paths::OAI, oai_get).post(paths::OAI, oai_post)
}

/// The protocol's error codes (section 3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OaiError {
    BadArgument,
    BadResumptionToken,
    BadVerb,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoRecordsMatch,
}

impl OaiError {
    fn code(self) -> &'static str {
        match self {
            OaiError::BadArgument => "badArgument",
            OaiError::BadResumptionToken => "badResumptionToken",
            OaiError::BadVerb => "badVerb",
            OaiError::CannotDisseminateFormat => "cannotDisseminateFormat",
            OaiError::IdDoesNotExist => "idDoesNotExist",
            OaiError::NoRecordsMatch => "noRecordsMatch",
        }
    }
}

struct Fault {
    error: OaiError,
    message: String,
}

fn fault(error: OaiError, message: impl Into<String>) -> Fault {
    Fault { error, message: message.into() }
}

/// A whole failure of the request: a protocol error, or the server's own.
enum Failure {
    Oai(Fault),
    Server(Error),
}

impl From<Fault> for Failure {
    fn from(f: Fault) -> Self {
        Failure::Oai(f)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Server(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Identify,
    ListMetadataFormats,
    ListSets,
    ListIdentifiers,
    ListRecords,
    GetRecord,
}

impl Verb {
    fn parse(s: &str) -> Option<Verb> {
        Some(match s {
            "Identify" => Verb::Identify,
            "ListMetadataFormats" => Verb::ListMetadataFormats,
            "ListSets" => Verb::ListSets,
            "ListIdentifiers" => Verb::ListIdentifiers,
            "ListRecords" => Verb::ListRecords,
            "GetRecord" => Verb::GetRecord,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Verb::Identify => "Identify",
            Verb::ListMetadataFormats => "ListMetadataFormats",
            Verb::ListSets => "ListSets",
            Verb::ListIdentifiers => "ListIdentifiers",
            Verb::ListRecords => "ListRecords",
            Verb::GetRecord => "GetRecord",
        }
    }

    /// (required, optional) arguments besides `verb`; `resumptionToken` is exclusive.
    fn arguments(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Verb::Identify => (&[], &[]),
            Verb::ListMetadataFormats => (&[], &["identifier"]),
            Verb::ListSets => (&[], &["resumptionToken"]),
            Verb::ListIdentifiers | Verb::ListRecords => {
                (&["metadataPrefix"], &["from", "until", "set", "resumptionToken"])
            }
            Verb::GetRecord => (&["identifier", "metadataPrefix"], &[]),
        }
    }
}

/// A set of the repository: `country:LAO`, `mdg:1`, `sdg:16`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SetSpec {
    Country(String),
    Mdg(u8),
    Sdg(u8),
}

impl SetSpec {
    fn parse(s: &str) -> Option<SetSpec> {
        let (kind, value) = s.split_once(':')?;
        let goal = |max: u8| {
            value.parse::<u8>().ok().filter(|g| (1..=max).contains(g) && value == g.to_string())
        };
        match kind {
            "country" if value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase()) => {
                Some(SetSpec::Country(value.to_owned()))
            }
            "mdg" => goal(8).map(SetSpec::Mdg),
            "sdg" => goal(17).map(SetSpec::Sdg),
            _ => None,
        }
    }

    fn spec(&self) -> String {
        match self {
            SetSpec::Country(c) => format!("country:{c}"),
            SetSpec::Mdg(g) => format!("mdg:{g}"),
            SetSpec::Sdg(g) => format!("sdg:{g}"),
        }
    }
}

/// Where a list request stands: what the harvester asked for and how far it has read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListPosition {
    after_seq: u64,
    /// Records handed out before this page (the token's `cursor`).
    cursor: u64,
    from: Option<i64>,
    until: Option<i64>,
    set: Option<SetSpec>,
}

impl ListPosition {
    fn token(&self, verb: Verb) -> String {
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let raw = format!(
            "v1!{}!{}!{}!{}!{}!{}",
            self.after_seq,
            self.cursor,
            opt(self.from),
            opt(self.until),
            self.set.as_ref().map(SetSpec::spec).unwrap_or_default(),
            verb.name()
        );
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn from_token(token: &str, verb: Verb) -> Option<ListPosition> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
        let parts: Vec<&str> = raw.split('!').collect();
        let [version, after_seq, cursor, from, until, set, token_verb] = parts.as_slice() else {
            return None;
        };
        let opt = |v: &str| if v.is_empty() { Ok(None) } else { v.parse::<i64>().map(Some) };
        if *version != "v1" || *token_verb != verb.name() {
            return None;
        }
        Some(ListPosition {
            after_seq: after_seq.parse().ok()?,
            cursor: cursor.parse().ok()?,
            from: opt(from).ok()?,
            until: opt(until).ok()?,
            set: if set.is_empty() { None } else { Some(SetSpec::parse(set)?) },
        })
    }
}

async fn oai_get(
    State(state): State<SharedState>,
    headers: HeaderMap,
    args: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    respond(state, headers, args.map(|Query(a)| a).ok()).await
}

async fn oai_post(
    State(state): State<SharedState>,
    headers: HeaderMap,
    args: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    respond(state, headers, args.map(|Form(a)| a).ok()).await
}

/// The arguments once each is known to appear at most once.
struct Arguments(BTreeMap<String, String>);

impl Arguments {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

async fn respond(
    state: SharedState,
    headers: HeaderMap,
    args: Option<Vec<(String, String)>>,
) -> Response {
    let base_url = base_url(&state, &headers);
    let now = crate::clock::now();
    let mut doc = match OaiDocument::new(now) {
        Ok(doc) => doc,
        Err(e) => return super::ProblemResponse::from(e).into_response(),
    };
    let outcome = match checked_arguments(args) {
        Err(f) => Err((None, Failure::Oai(f))),
        Ok((verb, args)) => {
            match answer(&state, &base_url, verb, &args, &mut OaiDocument::body()).await {
                Ok(body) => Ok((verb, args, body)),
                Err(f) => Err((Some((verb, args)), f)),
            }
        }
    };
    let written = match outcome {
        Ok((verb, args, body)) => doc.request(&base_url, Some((verb, &args))).and_then(|()| {
            doc.start(verb.name(), &[])?;
            doc.raw(&body)?;
            doc.end(verb.name())
        }),
        Err((request, Failure::Oai(f))) => {
            // badVerb and badArgument echo no arguments (section 3.2).
            let echo = match (&request, f.error) {
                (Some((verb, args)), e) if e != OaiError::BadVerb && e != OaiError::BadArgument => {
                    Some((*verb, args))
                }
                _ => None,
            };
            doc.request(&base_url, echo)
                .and_then(|()| doc.element_with("error", &[("code", f.error.code())], &f.message))
        }
        Err((_, Failure::Server(e))) => return super::ProblemResponse::from(e).into_response(),
    };
    match written.and_then(|()| doc.finish()) {
        Ok(xml) => {
            let mut res = xml.into_response();
            res.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
            res
        }
        Err(e) => super::ProblemResponse::from(e).into_response(),
    }
}

/// The verb and its arguments, each checked against what the verb allows.
fn checked_arguments(args: Option<Vec<(String, String)>>) -> Result<(Verb, Arguments), Fault> {
    let args =
        args.ok_or_else(|| fault(OaiError::BadArgument, "the arguments are not readable"))?;
    let mut map = BTreeMap::new();
    let mut verb_seen = 0;
    for (name, value) in args {
        if name == "verb" {
            verb_seen += 1;
        }
        if map.insert(name.clone(), value).is_some() && name != "verb" {
            return Err(fault(OaiError::BadArgument, format!("the argument {name} is repeated")));
        }
    }
    if verb_seen > 1 {
        return Err(fault(OaiError::BadVerb, "the verb argument is repeated"));
    }
    let verb = map
        .remove("verb")
        .ok_or_else(|| fault(OaiError::BadVerb, "the verb argument is missing"))?;
    let verb = Verb::parse(&verb).ok_or_else(|| {
        fault(OaiError::BadVerb, "the value of the verb argument is not a legal OAI-PMH verb")
    })?;
    let (required, optional) = verb.arguments();
    for name in map.keys() {
        if !required.contains(&name.as_str()) && !optional.contains(&name.as_str()) {
            return Err(fault(
                OaiError::BadArgument,
                format!("{} takes no argument {}", verb.name(), printable(name)),
            ));
        }
    }
    if map.contains_key("resumptionToken") {
        if map.len() > 1 {
            return Err(fault(OaiError::BadArgument, "resumptionToken is an exclusive argument"));
        }
    } else {
        for name in required {
            if !map.contains_key(*name) {
                return Err(fault(OaiError::BadArgument, format!("{} needs {name}", verb.name())));
            }
        }
    }
    Ok((verb, Arguments(map)))
}

/// An argument name from outside, for a message: what XML can carry, bounded.
fn printable(text: &str) -> String {
    xml_text(text).chars().take(64).collect()
}

async fn answer(
    state: &SharedState,
    base_url: &str,
    verb: Verb,
    args: &Arguments,
    body: &mut Writer<Vec<u8>>,
) -> Result<Vec<u8>, Failure> {
    match verb {
        Verb::Identify => identify(state, base_url, body).await?,
        Verb::ListMetadataFormats => {
            if let Some(id) = args.get("identifier") {
                entry_of(state, id).await?;
            }
            let mut w = XmlOut(body);
            w.start("metadataFormat", &[])?;
            w.element("metadataPrefix", DC_PREFIX)?;
            w.element("schema", OAI_DC_XSD)?;
            w.element("metadataNamespace", OAI_DC_NS)?;
            w.end("metadataFormat")?;
        }
        Verb::ListSets => {
            if args.get("resumptionToken").is_some() {
                return Err(
                    fault(OaiError::BadResumptionToken, "ListSets is answered whole").into()
                );
            }
            let meta = state.meta.clone();
            let countries = blocking(move || meta.public_feed_countries()).await?;
            let mut w = XmlOut(body);
            for c in countries {
                w.set(&format!("country:{c}"), &format!("Country: {c}"))?;
            }
            for (i, name) in MDG_GOALS.iter().enumerate() {
                w.set(&format!("mdg:{}", i + 1), &format!("MDG {}: {name}", i + 1))?;
            }
            for (i, name) in SDG_GOALS.iter().enumerate() {
                w.set(&format!("sdg:{}", i + 1), &format!("SDG {}: {name}", i + 1))?;
            }
        }
        Verb::GetRecord => {
            check_prefix(args)?;
            let id = args.get("identifier").unwrap_or_default();
            let entry = entry_of(state, id).await?;
            record(&mut XmlOut(body), base_url, &entry)?;
        }
        Verb::ListIdentifiers | Verb::ListRecords => {
            list(state, base_url, verb, args, body).await?;
        }
    }
    Ok(std::mem::take(body.get_mut()))
}

async fn identify(state: &SharedState, base_url: &str, body: &mut Writer<Vec<u8>>) -> Result<()> {
    let meta = state.meta.clone();
    let first =
        blocking(move || meta.public_feed(&FeedQuery { limit: 1, ..FeedQuery::default() })).await?;
    // Every change is stamped with the time of the transaction that takes the next seq, so the
    // first entry's stamp is the earliest.
    let earliest = first.entries.first().map_or(0, |e| e.changed_at);
    let mut w = XmlOut(body);
    w.element("repositoryName", &state.config.name)?;
    w.element("baseURL", base_url)?;
    w.element("protocolVersion", "2.0")?;
    w.element("adminEmail", &state.config.oai_admin_email)?;
    w.element("earliestDatestamp", &datestamp(earliest)?)?;
    w.element("deletedRecord", "persistent")?;
    w.element("granularity", "YYYY-MM-DDThh:mm:ssZ")?;
    Ok(())
}

fn check_prefix(args: &Arguments) -> Result<(), Fault> {
    match args.get("metadataPrefix") {
        Some(DC_PREFIX) | None => Ok(()),
        Some(_) => Err(fault(
            OaiError::CannotDisseminateFormat,
            "this repository disseminates oai_dc only",
        )),
    }
}

async fn entry_of(state: &SharedState, identifier: &str) -> Result<FeedEntry, Failure> {
    let missing = || fault(OaiError::IdDoesNotExist, "no such identifier in this repository");
    let case_uid = identifier
        .strip_prefix(ID_PREFIX)
        .and_then(|u| Uuid::parse_str(u).ok())
        .ok_or_else(missing)?;
    let meta = state.meta.clone();
    Ok(blocking(move || meta.public_feed_entry(case_uid)).await?.ok_or_else(missing)?)
}

async fn list(
    state: &SharedState,
    base_url: &str,
    verb: Verb,
    args: &Arguments,
    body: &mut Writer<Vec<u8>>,
) -> Result<(), Failure> {
    let position = match args.get("resumptionToken") {
        Some(token) => ListPosition::from_token(token, verb).ok_or_else(|| {
            fault(OaiError::BadResumptionToken, "the resumption token is not one of this list")
        })?,
        None => {
            check_prefix(args)?;
            let from = args.get("from").map(|d| parse_date(d, false)).transpose()?;
            let until = args.get("until").map(|d| parse_date(d, true)).transpose()?;
            if let (Some((from, from_day)), Some((until, until_day))) = (from, until) {
                if from_day != until_day {
                    return Err(fault(
                        OaiError::BadArgument,
                        "from and until must have the same granularity",
                    )
                    .into());
                }
                if from > until {
                    return Err(fault(OaiError::BadArgument, "from is later than until").into());
                }
            }
            let set = args
                .get("set")
                .map(|s| {
                    SetSpec::parse(s).ok_or_else(|| {
                        fault(OaiError::BadArgument, "set is not a set of this repository")
                    })
                })
                .transpose()?;
            ListPosition {
                after_seq: 0,
                cursor: 0,
                from: from.map(|(t, _)| t),
                until: until.map(|(t, _)| t),
                set,
            }
        }
    };
    let query = FeedQuery {
        after_seq: position.after_seq,
        changed_from: position.from,
        changed_until: position.until,
        country: match &position.set {
            Some(SetSpec::Country(c)) => Some(c.clone()),
            _ => None,
        },
        mdg_goal: match position.set {
            Some(SetSpec::Mdg(g)) => Some(g),
            _ => None,
        },
        sdg_goal: match position.set {
            Some(SetSpec::Sdg(g)) => Some(g),
            _ => None,
        },
        limit: state.config.oai_page_size.max(1),
    };
    let meta = state.meta.clone();
    let page = blocking(move || meta.public_feed(&query)).await?;
    if page.entries.is_empty() {
        if position.cursor == 0 {
            return Err(fault(OaiError::NoRecordsMatch, "no record matches these arguments").into());
        }
        // The records after the token were withdrawn from the list's filter meanwhile.
        return Err(
            fault(OaiError::BadResumptionToken, "the list changed; harvest it again").into()
        );
    }
    let mut w = XmlOut(body);
    for entry in &page.entries {
        if verb == Verb::ListRecords {
            record(&mut w, base_url, entry)?;
        } else {
            header_of(&mut w, entry)?;
        }
    }
    let complete = position.cursor + page.remaining;
    let handed = position.cursor + page.entries.len() as u64;
    let size = complete.to_string();
    let cursor = position.cursor.to_string();
    let attributes = [("completeListSize", size.as_str()), ("cursor", cursor.as_str())];
    if page.remaining > page.entries.len() as u64 {
        let next = ListPosition {
            after_seq: page.entries.last().map_or(position.after_seq, |e| e.seq),
            cursor: handed,
            ..position
        };
        w.element_with("resumptionToken", &attributes, &next.token(verb))?;
    } else if position.cursor > 0 {
        // The last page of a list in several: an empty token says it is complete.
        w.element_with("resumptionToken", &attributes, "")?;
    }
    Ok(())
}

/// A `from`/`until` argument: Unix seconds, and whether it was a day. `until` as a day means
/// its last second.
fn parse_date(text: &str, until: bool) -> Result<(i64, bool), Fault> {
    let bad = || fault(OaiError::BadArgument, "dates are YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ");
    let day = format_description!("[year]-[month]-[day]");
    let second = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    if text.len() == 10 {
        let date = time::Date::parse(text, &day).map_err(|_| bad())?;
        let start = date.midnight().assume_utc().unix_timestamp();
        Ok((if until { start + 86_399 } else { start }, true))
    } else {
        let t = time::PrimitiveDateTime::parse(text, &second).map_err(|_| bad())?;
        Ok((t.assume_utc().unix_timestamp(), false))
    }
}

fn datestamp(unix: i64) -> Result<String> {
    let f = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    crate::clock::from_unix(unix)?.format(&f).map_err(|e| Error::Time(e.to_string()))
}

fn identifier(entry: &FeedEntry) -> String {
    format!("{ID_PREFIX}{}", entry.submission.case_uid)
}

/// The sets of a case: its country, the goals of its MDG targets and of its SDG targets.
fn sets_of(entry: &FeedEntry, case: &CaseDocument) -> Vec<String> {
    let goal = |target: &str| target.split('.').next().unwrap_or_default().to_owned();
    let mut mdg: Vec<String> = entry.submission.mdg_targets.iter().map(|t| goal(t)).collect();
    mdg.sort_by_key(|g| g.parse::<u8>().unwrap_or(u8::MAX));
    mdg.dedup();
    let mut sdg: Vec<String> = case.sdg_links.iter().map(|l| goal(&l.target)).collect();
    sdg.sort_by_key(|g| g.parse::<u8>().unwrap_or(u8::MAX));
    sdg.dedup();
    std::iter::once(format!("country:{}", entry.submission.country))
        .chain(mdg.into_iter().map(|g| format!("mdg:{g}")))
        .chain(sdg.into_iter().map(|g| format!("sdg:{g}")))
        .collect()
}

fn header_of(w: &mut XmlOut<'_>, entry: &FeedEntry) -> Result<()> {
    let case = parse_case(&entry.submission)?;
    if entry.withdrawn {
        w.start("header", &[("status", "deleted")])?;
    } else {
        w.start("header", &[])?;
    }
    w.element("identifier", &identifier(entry))?;
    w.element("datestamp", &datestamp(entry.changed_at)?)?;
    for set in sets_of(entry, &case) {
        w.element("setSpec", &set)?;
    }
    w.end("header")
}

fn record(w: &mut XmlOut<'_>, base_url: &str, entry: &FeedEntry) -> Result<()> {
    w.start("record", &[])?;
    header_of(w, entry)?;
    if !entry.withdrawn {
        let case = parse_case(&entry.submission)?;
        w.start("metadata", &[])?;
        w.start(
            "oai_dc:dc",
            &[
                ("xmlns:oai_dc", OAI_DC_NS),
                ("xmlns:dc", DC_NS),
                ("xmlns:xsi", XSI_NS),
                ("xsi:schemaLocation", &format!("{OAI_DC_NS} {OAI_DC_XSD}")),
            ],
        )?;
        w.element("dc:title", &case.title)?;
        for institution in &case.institutions {
            w.element("dc:creator", institution)?;
        }
        for link in &case.mdg_links {
            w.element("dc:subject", &format!("MDG target {}", link.target))?;
        }
        for link in &case.sdg_links {
            w.element("dc:subject", &format!("SDG target {}", link.target))?;
        }
        for theme in &case.themes {
            w.element("dc:subject", theme)?;
        }
        w.element("dc:description", &case.summary)?;
        let published = entry.submission.published_at.as_deref().unwrap_or_default();
        w.element("dc:date", published.get(..10).unwrap_or(published))?;
        w.element("dc:type", "Text")?;
        w.element("dc:language", &case.language)?;
        w.element("dc:coverage", &case.country)?;
        let page = paths::url(paths::CASE_PAGE, &[&entry.submission.id]);
        w.element("dc:identifier", &format!("{}{page}", root_of(base_url)))?;
        w.end("oai_dc:dc")?;
        w.end("metadata")?;
    }
    w.end("record")
}

/// `https://host` of `https://host/oai`.
fn root_of(base_url: &str) -> &str {
    base_url.strip_suffix(paths::OAI).unwrap_or(base_url)
}

/// `baseURL`: the configured public address, else `http://` and the request's Host when it is
/// a plain host name or address with an optional port.
fn base_url(state: &SharedState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return format!("{}{}", url.trim_end_matches('/'), paths::OAI);
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("http://{host}{}", paths::OAI)
}

/// Text as XML 1.0 can carry it: characters it forbids (most C0 controls, U+FFFE, U+FFFF) are
/// dropped.
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

/// A writer of elements whose every text and attribute value goes through `xml_text` and the
/// escaper.
struct XmlOut<'a>(&'a mut Writer<Vec<u8>>);

fn xml_error(e: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("writing XML: {e}"))
}

impl XmlOut<'_> {
    fn start(&mut self, name: &str, attributes: &[(&str, &str)]) -> Result<()> {
        let mut start = BytesStart::new(name);
        for (key, value) in attributes {
            start.push_attribute((*key, xml_text(value).as_str()));
        }
        self.0.write_event(Event::Start(start)).map_err(xml_error)
    }

    fn end(&mut self, name: &str) -> Result<()> {
        self.0.write_event(Event::End(BytesEnd::new(name))).map_err(xml_error)
    }

    fn element(&mut self, name: &str, text: &str) -> Result<()> {
        self.element_with(name, &[], text)
    }

    fn element_with(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) -> Result<()> {
        self.start(name, attributes)?;
        let text = xml_text(text);
        self.0.write_event(Event::Text(BytesText::new(&text))).map_err(xml_error)?;
        self.end(name)
    }

    fn set(&mut self, spec: &str, name: &str) -> Result<()> {
        self.start("set", &[])?;
        self.element("setSpec", spec)?;
        self.element("setName", name)?;
        self.end("set")
    }
}

/// The response document: the envelope, then the verb's element or the error.
struct OaiDocument {
    writer: Writer<Vec<u8>>,
}

impl OaiDocument {
    fn body() -> Writer<Vec<u8>> {
        Writer::new(Vec::new())
    }

    fn new(now: OffsetDateTime) -> Result<Self> {
        let mut writer = Writer::new(Vec::new());
        writer
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .map_err(xml_error)?;
        let mut doc = OaiDocument { writer };
        doc.start(
            "OAI-PMH",
            &[("xmlns", OAI_NS), ("xmlns:xsi", XSI_NS), ("xsi:schemaLocation", OAI_SCHEMA)],
        )?;
        doc.element_with("responseDate", &[], &datestamp(now.unix_timestamp())?)?;
        Ok(doc)
    }

    fn start(&mut self, name: &str, attributes: &[(&str, &str)]) -> Result<()> {
        XmlOut(&mut self.writer).start(name, attributes)
    }

    fn end(&mut self, name: &str) -> Result<()> {
        XmlOut(&mut self.writer).end(name)
    }

    fn element_with(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) -> Result<()> {
        XmlOut(&mut self.writer).element_with(name, attributes, text)
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer.get_mut().extend_from_slice(bytes);
        Ok(())
    }

    /// The `request` element: the base URL, and the verb and arguments when they were legal.
    fn request(&mut self, base_url: &str, echo: Option<(Verb, &Arguments)>) -> Result<()> {
        let mut attributes: Vec<(&str, &str)> = Vec::new();
        if let Some((verb, args)) = echo {
            attributes.push(("verb", verb.name()));
            for (name, value) in &args.0 {
                attributes.push((name.as_str(), value.as_str()));
            }
        }
        self.element_with("request", &attributes, base_url)
    }

    fn finish(mut self) -> Result<Vec<u8>> {
        self.end("OAI-PMH")?;
        Ok(self.writer.into_inner())
    }
}
