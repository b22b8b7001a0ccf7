//! The end-of-run checks: what PAKS holds (its SQLite and its upload files, read after it has
//! stopped) against what the desks submitted and what their outboxes say.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::desk::{SentFile, SubmittedCase, sha256_of_file};

pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    /// The figure, or the first problems.
    pub detail: String,
    /// Every problem found.
    pub problems: Vec<String>,
}

impl Check {
    fn new(name: &'static str, problems: &[String], ok_detail: String) -> Self {
        if problems.is_empty() {
            Check { name, passed: true, detail: ok_detail, problems: Vec::new() }
        } else {
            let mut detail = format!("{} problem(s): ", problems.len());
            detail.push_str(&problems.iter().take(5).cloned().collect::<Vec<_>>().join("; "));
            if problems.len() > 5 {
                detail.push_str(&format!("; … {} more", problems.len() - 5));
            }
            Check { name, passed: false, detail, problems: problems.to_vec() }
        }
    }
}

pub struct ServerSubmission {
    pub id: String,
    pub case_uid: String,
    pub version: i64,
    pub title: String,
    pub files: Vec<ServerFile>,
}

pub struct ServerFile {
    pub upload_id: String,
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// An idempotency claim whose request never stored a response.
pub struct OpenClaim {
    pub focal_point: i64,
    pub key: String,
    pub created_at: String,
}

pub struct ServerSnapshot {
    pub submissions: Vec<ServerSubmission>,
    pub open_claims: Vec<OpenClaim>,
    pub claims_total: u64,
}

pub fn read_server(db: &Path) -> anyhow::Result<ServerSnapshot> {
    let conn =
        rusqlite::Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    let mut files: HashMap<String, Vec<ServerFile>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT submission_id, upload_id, name, size, sha256 FROM submission_files
         ORDER BY submission_id, position",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            ServerFile {
                upload_id: r.get(1)?,
                name: r.get(2)?,
                size: r.get::<_, i64>(3)? as u64,
                sha256: r.get(4)?,
            },
        ))
    })?;
    for row in rows {
        let (submission, file) = row?;
        files.entry(submission).or_default().push(file);
    }
    let mut stmt = conn.prepare("SELECT id, case_uid, version, title FROM submissions")?;
    let submissions = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .map(|row| {
            row.map(|(id, case_uid, version, title): (String, String, i64, String)| {
                let files = files.remove(&id).unwrap_or_default();
                ServerSubmission { id, case_uid, version, title, files }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT focal_point_id, key, created_at FROM idempotency_keys
         WHERE response_status IS NULL ORDER BY created_at",
    )?;
    let open_claims = stmt
        .query_map([], |r| {
            Ok(OpenClaim { focal_point: r.get(0)?, key: r.get(1)?, created_at: r.get(2)? })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let claims_total: i64 =
        conn.query_row("SELECT count(*) FROM idempotency_keys", [], |r| r.get(0))?;
    Ok(ServerSnapshot { submissions, open_claims, claims_total: claims_total as u64 })
}

/// One job of a desk's `outbox --json`.
pub struct DeskJob {
    pub desk: usize,
    pub case_id: i64,
    pub case_uid: String,
    pub case_version: i64,
    pub state: String,
    pub phase: String,
    pub submission_id: Option<String>,
    pub idempotency_key: String,
    pub last_error: Option<String>,
}

pub fn jobs_of_outbox(desk: usize, outbox: &serde_json::Value) -> anyhow::Result<Vec<DeskJob>> {
    let entries = outbox.as_array().context("outbox --json is not a list")?;
    entries
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().map(str::to_owned);
            Ok(DeskJob {
                desk,
                case_id: e["case_id"].as_i64().context("job without case_id")?,
                case_uid: text("case_uid").context("job without case_uid")?,
                case_version: e["case_version"].as_i64().context("job without case_version")?,
                state: text("state").context("job without state")?,
                phase: text("phase").context("job without phase")?,
                submission_id: text("submission_id"),
                idempotency_key: text("idempotency_key").unwrap_or_default(),
                last_error: text("last_error"),
            })
        })
        .collect()
}

/// What is known at the end, gathered from the server's folder and the desks.
pub struct Evidence<'a> {
    pub submitted: &'a [SubmittedCase],
    pub jobs: &'a [DeskJob],
    pub server: &'a ServerSnapshot,
    pub uploads_dir: &'a Path,
    pub temp_leftovers: &'a [PathBuf],
    pub desk_command_errors: &'a [String],
}

/// Figures the report prints beside the checks.
#[derive(Default)]
pub struct Tally {
    pub files_verified: u64,
    pub bytes_verified: u64,
    pub lost_cases: u64,
    pub lost_files: u64,
    pub upload_files_unused: u64,
    pub upload_bytes_unused: u64,
    pub jobs_by_state: BTreeMap<String, u64>,
}

pub fn evaluate(ev: &Evidence<'_>) -> anyhow::Result<(Vec<Check>, Tally)> {
    let mut tally = Tally::default();
    let mut by_uid: HashMap<&str, Vec<&ServerSubmission>> = HashMap::new();
    for s in &ev.server.submissions {
        by_uid.entry(s.case_uid.as_str()).or_default().push(s);
    }
    let job_of: HashMap<(usize, i64), &DeskJob> =
        ev.jobs.iter().map(|j| ((j.desk, j.case_id), j)).collect();

    let mut once = Vec::new();
    let mut files = Vec::new();
    let mut expected_uids = std::collections::HashSet::new();
    for case in ev.submitted {
        let who = format!("desk {} case {}", case.desk, case.case_id);
        let Some(job) = job_of.get(&(case.desk, case.case_id)) else {
            once.push(format!("{who}: not in its outbox"));
            tally.lost_cases += 1;
            continue;
        };
        expected_uids.insert(job.case_uid.as_str());
        let at_paks = by_uid.get(job.case_uid.as_str()).map(Vec::as_slice).unwrap_or_default();
        let Some(sub) = at_paks.iter().find(|s| s.version == job.case_version) else {
            once.push(format!(
                "{who} v{}: not at PAKS (job {}/{})",
                job.case_version, job.state, job.phase
            ));
            tally.lost_cases += 1;
            tally.lost_files += case.files.len() as u64;
            continue;
        };
        if at_paks.len() > 1 {
            once.push(format!("{who}: {} submissions at PAKS", at_paks.len()));
        }
        if job.submission_id.as_deref() != Some(sub.id.as_str()) {
            once.push(format!(
                "{who}: PAKS holds {} but the desk has {}",
                sub.id,
                job.submission_id.as_deref().unwrap_or("no receipt")
            ));
        }
        files.extend(compare_files(&who, &case.files, sub, ev.uploads_dir, &mut tally)?);
    }
    for s in &ev.server.submissions {
        if !expected_uids.contains(s.case_uid.as_str()) {
            once.push(format!("PAKS holds {} ({:?}) that no desk submitted", s.id, s.title));
        }
    }

    let mut stuck = Vec::new();
    for j in ev.jobs {
        *tally.jobs_by_state.entry(format!("{}/{}", j.state, j.phase)).or_default() += 1;
        if j.state != "done" {
            stuck.push(format!(
                "desk {} case {}: {}/{}{}",
                j.desk,
                j.case_id,
                j.state,
                j.phase,
                j.last_error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
            ));
        }
    }

    let claims: Vec<String> = ev
        .server
        .open_claims
        .iter()
        .map(|c| {
            let owner = ev.jobs.iter().find(|j| j.idempotency_key == c.key).map_or_else(
                || format!("focal point {}", c.focal_point),
                |j| format!("desk {} case {} ({}/{})", j.desk, j.case_id, j.state, j.phase),
            );
            format!("{owner}: key {} claimed {}", c.key, c.created_at)
        })
        .collect();
    let temps: Vec<String> = ev.temp_leftovers.iter().map(|p| p.display().to_string()).collect();

    let used: std::collections::HashSet<&str> = ev
        .server
        .submissions
        .iter()
        .flat_map(|s| s.files.iter().map(|f| f.upload_id.as_str()))
        .collect();
    for entry in std::fs::read_dir(ev.uploads_dir)? {
        let path = entry?.path();
        let Some(id) =
            path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".bin"))
        else {
            continue;
        };
        if !used.contains(id) {
            tally.upload_files_unused += 1;
            tally.upload_bytes_unused += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        }
    }

    let total_files: usize = ev.submitted.iter().map(|c| c.files.len()).sum();
    let vacuous = if ev.submitted.is_empty() {
        vec!["no case was submitted: nothing was tested".to_owned()]
    } else {
        Vec::new()
    };
    let checks = vec![
        Check::new("the run submitted cases", &vacuous, format!("{} cases", ev.submitted.len())),
        Check::new(
            "every case at PAKS exactly once, its receipt at the desk",
            &once,
            format!("{} of {} cases", ev.submitted.len(), ev.submitted.len()),
        ),
        Check::new(
            "every file's SHA-256 and size match (desk, receipt row, stored bytes)",
            &files,
            format!(
                "{} of {total_files} files, {} bytes re-hashed",
                tally.files_verified, tally.bytes_verified
            ),
        ),
        Check::new(
            "no job stuck: every outbox job done",
            &stuck,
            format!("{} jobs done", ev.jobs.len()),
        ),
        Check::new(
            "no idempotency claim left in progress",
            &claims,
            format!("0 of {} claims open", ev.server.claims_total),
        ),
        Check::new("nothing left in temp folders (server and desks)", &temps, "none".into()),
        Check::new(
            "every desk command succeeded (case, attach, submit)",
            ev.desk_command_errors,
            "all".into(),
        ),
    ];
    Ok((checks, tally))
}

/// The desk's files against the submission's rows and the bytes PAKS stored for them.
fn compare_files(
    who: &str,
    sent: &[SentFile],
    sub: &ServerSubmission,
    uploads_dir: &Path,
    tally: &mut Tally,
) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    if sent.len() != sub.files.len() {
        problems.push(format!("{who}: {} files sent, {} at PAKS", sent.len(), sub.files.len()));
    }
    for f in sent {
        let Some(row) = sub.files.iter().find(|r| r.name == f.name) else {
            problems.push(format!("{who}: {} missing at PAKS", f.name));
            tally.lost_files += 1;
            continue;
        };
        if row.sha256 != f.sha256 || row.size != f.size {
            problems
                .push(format!("{who}: {} recorded as {} ({} bytes)", f.name, row.sha256, row.size));
            continue;
        }
        let stored = uploads_dir.join(format!("{}.bin", row.upload_id));
        match sha256_of_file(&stored) {
            Ok((sha, size)) if sha == f.sha256 && size == f.size => {
                tally.files_verified += 1;
                tally.bytes_verified += size;
            }
            Ok((sha, size)) => {
                problems.push(format!("{who}: {} stored as {sha} ({size} bytes)", f.name));
                tally.lost_files += 1;
            }
            Err(e) => {
                problems.push(format!("{who}: {}: {e:#}", f.name));
                tally.lost_files += 1;
            }
        }
    }
    Ok(problems)
}

/// Temporary files left behind under `root`: anything inside a folder named `tmp`, any file
/// ending `.tmp` or `.part`, and (in `uploads/`) a `.bin` without its `.info` or the reverse.
pub fn temp_leftovers(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let in_tmp = dir.file_name().is_some_and(|n| n == "tmp");
        let in_uploads = dir.file_name().is_some_and(|n| n == "uploads");
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if in_tmp || name.ends_with(".tmp") || name.ends_with(".part") {
                found.push(path);
                continue;
            }
            if in_uploads {
                let partner = match name.rsplit_once('.') {
                    Some((id, "bin")) => Some(dir.join(format!("{id}.info"))),
                    Some((id, "info")) => Some(dir.join(format!("{id}.bin"))),
                    _ => None,
                };
                if partner.is_some_and(|p| !p.exists()) {
                    found.push(path);
                    continue;
                }
            }
            if entry.file_type()?.is_dir() {
                stack.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn job(case_id: i64, uid: &str, state: &str, submission: Option<&str>) -> DeskJob {
        DeskJob {
            desk: 0,
            case_id,
            case_uid: uid.into(),
            case_version: 1,
            state: state.into(),
            phase: if submission.is_some() { "review" } else { "submit" }.into(),
            submission_id: submission.map(str::to_owned),
            idempotency_key: format!("key-{case_id}"),
            last_error: None,
        }
    }

    #[test]
    fn evaluate_passes_a_clean_run_and_names_each_kind_of_loss() {
        let uploads = std::env::temp_dir().join(format!("paks-soak-eval-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&uploads);
        std::fs::create_dir_all(&uploads).unwrap();
        let bytes = b"the stored upload";
        let sha = hex::encode(Sha256::digest(bytes));
        std::fs::write(uploads.join("u1.bin"), bytes).unwrap();
        std::fs::write(uploads.join("u2.bin"), b"other bytes, same length").unwrap();
        let sent = |name: &str| SentFile { name: name.into(), sha256: sha.clone(), size: 17 };
        let file = |upload: &str, name: &str| ServerFile {
            upload_id: upload.into(),
            name: name.into(),
            size: 17,
            sha256: sha.clone(),
        };
        let cases = vec![
            SubmittedCase { desk: 0, case_id: 1, files: vec![sent("a.bin")] },
            SubmittedCase { desk: 0, case_id: 2, files: vec![sent("b.bin")] },
        ];
        let submission = |id: &str, uid: &str, files| ServerSubmission {
            id: id.into(),
            case_uid: uid.into(),
            version: 1,
            title: String::new(),
            files,
        };
        let clean = ServerSnapshot {
            submissions: vec![
                submission("s1", "uid-1", vec![file("u1", "a.bin")]),
                submission("s2", "uid-2", vec![file("u1", "b.bin")]),
            ],
            open_claims: vec![],
            claims_total: 2,
        };
        let jobs = vec![job(1, "uid-1", "done", Some("s1")), job(2, "uid-2", "done", Some("s2"))];
        let evidence = Evidence {
            submitted: &cases,
            jobs: &jobs,
            server: &clean,
            uploads_dir: &uploads,
            temp_leftovers: &[],
            desk_command_errors: &[],
        };
        let (checks, tally) = evaluate(&evidence).unwrap();
        assert!(
            checks.iter().all(|c| c.passed),
            "{:?}",
            checks.iter().map(|c| &c.detail).collect::<Vec<_>>()
        );
        assert_eq!((tally.files_verified, tally.lost_cases, tally.upload_files_unused), (2, 0, 1));

        // Case 2 never reached PAKS, its job waits on a claim, and case 1's bytes are wrong.
        let broken = ServerSnapshot {
            submissions: vec![submission("s1", "uid-1", vec![file("u2", "a.bin")])],
            open_claims: vec![OpenClaim {
                focal_point: 1,
                key: "key-2".into(),
                created_at: "2026-12-02T06:07:19Z".into(),
            }],
            claims_total: 2,
        };
        let jobs =
            vec![job(1, "uid-1", "done", Some("s1")), job(2, "uid-2", "retry_scheduled", None)];
        let leftovers = [PathBuf::from("uploads/x.info.tmp")];
        let evidence =
            Evidence { server: &broken, jobs: &jobs, temp_leftovers: &leftovers, ..evidence };
        let (checks, tally) = evaluate(&evidence).unwrap();
        let failed: Vec<&str> = checks.iter().filter(|c| !c.passed).map(|c| c.name).collect();
        assert_eq!(
            failed,
            [
                "every case at PAKS exactly once, its receipt at the desk",
                "every file's SHA-256 and size match (desk, receipt row, stored bytes)",
                "no job stuck: every outbox job done",
                "no idempotency claim left in progress",
                "nothing left in temp folders (server and desks)",
            ]
        );
        assert_eq!((tally.lost_cases, tally.lost_files), (1, 2));
        let claim = checks.iter().find(|c| c.name.contains("claim")).unwrap();
        assert!(
            claim.detail.contains("desk 0 case 2 (retry_scheduled/submit)"),
            "{}",
            claim.detail
        );
        std::fs::remove_dir_all(&uploads).unwrap();
    }

    #[test]
    fn temp_leftovers_finds_temp_files_and_unpaired_uploads_only() {
        let root = std::env::temp_dir().join(format!("paks-soak-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let uploads = root.join("uploads");
        std::fs::create_dir_all(root.join("tmp/bag-1")).unwrap();
        std::fs::create_dir_all(&uploads).unwrap();
        std::fs::create_dir_all(root.join("attachments/blobs/ab")).unwrap();
        for f in ["a.bin", "a.info", "b.bin", "c.info.tmp", "d.info"] {
            std::fs::write(uploads.join(f), b"x").unwrap();
        }
        std::fs::write(root.join("attachments/blobs/ab/abc"), b"x").unwrap();
        std::fs::write(root.join("attachments/x.part"), b"x").unwrap();

        let found = temp_leftovers(&root).unwrap();
        let names: Vec<String> =
            found.iter().map(|p| p.strip_prefix(&root).unwrap().display().to_string()).collect();
        assert_eq!(
            names,
            [
                "attachments/x.part",
                "tmp/bag-1",
                "uploads/b.bin",
                "uploads/c.info.tmp",
                "uploads/d.info"
            ]
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
