//! Properties of the planner over any sequence of events: the real `next_action` deciding on the
//! real outbox (SQLite in a temp folder), its actions carried out as `engine.rs` records them,
//! against a model of PAKS that answers as the event says: a cut before or after PAKS did the
//! work, a crash of the desk mid-request, 409 (in progress), 422, 5xx, an expired upload. The
//! person cancels, retries, submits again; the desk restarts.
//!
//! Checked after every step:
//! - one case version is never POSTed under a second key while PAKS may hold it under another;
//! - a file PAKS confirmed whole is never sent again (never planned, never created anew);
//! - a cancelled job sends nothing, and a cancel is allowed only when PAKS does not hold it.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::{Action, Connectivity, PlanInput, next_action};
use crate::error::SyncError;
use crate::outbox::{Failure, FileToSend, JobState, NewSubmission, Outbox, Phase};

const FILE_SIZE: u64 = 1000;
/// The engine's backoff in the model: short, so retries come due within a run.
const BACKOFF_MS: i64 = 500;

/// How PAKS (or the path to it) answers the request the planner's action makes.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Ok,
    /// The connection breaks before PAKS did anything.
    CutBefore,
    /// PAKS did the work (stored the bytes, made the submission); its answer is lost.
    CutAfter,
    /// The desk process dies mid-request, after PAKS did the work, before recording anything.
    Crash,
    /// 409: the same Idempotency-Key is being processed (or the upload is locked).
    InProgress,
    Refused,
    ServerError,
    /// PAKS no longer holds the uploads (its sweeper removed them).
    Expired,
    /// The person cancels between the planner's choice and the request.
    CancelledMeanwhile,
}

#[derive(Debug, Clone)]
enum Event {
    /// The person submits case `case` (0..3) with `files` files (again after a cancel: a new
    /// job with a new key; while queued: the same job).
    Submit {
        case: u8,
        files: u8,
    },
    Step(Answer),
    /// Time passes (ms).
    Tick(i64),
    Restart,
    Cancel(u8),
    Retry(u8),
    NetworkBack,
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        4 => Just(Answer::Ok),
        1 => Just(Answer::CutBefore),
        1 => Just(Answer::CutAfter),
        1 => Just(Answer::Crash),
        1 => Just(Answer::InProgress),
        1 => Just(Answer::Refused),
        1 => Just(Answer::ServerError),
        1 => Just(Answer::Expired),
        1 => Just(Answer::CancelledMeanwhile),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        2 => (0u8..3, 0u8..3).prop_map(|(case, files)| Event::Submit { case, files }),
        8 => answer().prop_map(Event::Step),
        1 => (1i64..3000).prop_map(Event::Tick),
        1 => Just(Event::Restart),
        1 => (0u8..4).prop_map(Event::Cancel),
        1 => (0u8..4).prop_map(Event::Retry),
        1 => Just(Event::NetworkBack),
    ]
}

/// A tus upload PAKS holds.
#[derive(Debug, Clone)]
struct HeldUpload {
    /// (submission key, file position): which file it is.
    file: (String, i64),
    offset: u64,
}

/// PAKS as the desk sees it.
#[derive(Debug, Default)]
struct Paks {
    uploads: HashMap<String, HeldUpload>,
    next_upload: u64,
    /// Idempotency-Key → (case uid, version) of every submission PAKS made.
    submissions: HashMap<String, (String, i64)>,
}

impl Paks {
    fn create(&mut self, file: (String, i64)) -> String {
        self.next_upload += 1;
        let url = format!("http://127.0.0.1:1/api/v1/uploads/{}", self.next_upload);
        self.uploads.insert(url.clone(), HeldUpload { file, offset: 0 });
        url
    }

    fn holds_version(&self, uid: &str, version: i64) -> Vec<&String> {
        self.submissions
            .iter()
            .filter(|(_, (u, v))| u == uid && *v == version)
            .map(|(k, _)| k)
            .collect()
    }
}

struct World {
    _dir: tempfile::TempDir,
    outbox: Outbox,
    paks: Paks,
    net: Connectivity,
    now: i64,
    /// Keys of jobs that were cancelled: nothing may be sent under them afterwards.
    cancelled: HashSet<String>,
    /// Files PAKS confirmed whole: (key, position).
    confirmed_whole: HashSet<(String, i64)>,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        World {
            _dir: dir,
            outbox,
            paks: Paks::default(),
            net: Connectivity::Unknown,
            now: 1_000_000,
            cancelled: HashSet::new(),
            confirmed_whole: HashSet::new(),
        }
    }

    fn failure(&mut self, e: &SyncError, attempts: u32, progressed: bool) -> (JobState, i64, bool) {
        // As `Engine::failure_plan`, with a fixed backoff.
        if e.is_offline() {
            self.net = Connectivity::Unknown;
            if progressed {
                (JobState::RetryScheduled, self.now, false)
            } else {
                (JobState::RetryScheduled, self.now + BACKOFF_MS * i64::from(attempts + 1), true)
            }
        } else if e.is_transient() {
            (JobState::RetryScheduled, self.now + BACKOFF_MS * i64::from(attempts + 1), true)
        } else {
            (JobState::NeedsAttention, self.now, true)
        }
    }

    /// Records `e` as the engine does (`record` writes the rows); returns the job's new state.
    fn record_failure(
        &mut self,
        e: &SyncError,
        attempts: u32,
        progressed: bool,
        record: impl FnOnce(&Outbox, &Failure<'_>, i64),
    ) -> JobState {
        let (state, next_attempt_at, count_attempt) = self.failure(e, attempts, progressed);
        let message = e.to_string();
        let params = e.ui_message_params_json();
        let failure = Failure {
            state,
            message: &message,
            code: e.code(),
            params: &params,
            next_attempt_at,
            count_attempt,
        };
        record(&self.outbox, &failure, self.now);
        state
    }

    fn error_of(answer: Answer) -> SyncError {
        match answer {
            Answer::CutBefore | Answer::CutAfter | Answer::Crash => {
                SyncError::Offline("connection reset".into())
            }
            Answer::InProgress => {
                SyncError::RateLimited { retry_after: std::time::Duration::from_secs(1) }
            }
            Answer::Refused => SyncError::Refused("no".into()),
            Answer::Expired => SyncError::UploadExpired("gone".into()),
            Answer::Ok | Answer::CancelledMeanwhile | Answer::ServerError => {
                SyncError::Server { status: 503, detail: "down".into() }
            }
        }
    }

    fn submit(&mut self, case: u8, files: u8) {
        let new = NewSubmission {
            case_id: i64::from(case),
            case_uid: format!("case-{case}"),
            case_version: 1,
            document: "{}".into(),
            files: (0..files)
                .map(|i| FileToSend {
                    path: format!("/f{i}"),
                    name: format!("f{i}.pdf"),
                    media_type: "application/pdf".into(),
                    size: FILE_SIZE,
                    sha256: "0".repeat(64),
                })
                .collect(),
        };
        self.outbox.enqueue(&new, self.now).unwrap();
    }

    fn cancel(&mut self, id: i64) -> bool {
        let job = self.outbox.submission(id).unwrap();
        match self.outbox.cancel(id) {
            Ok(_) => {
                let held = self.paks.submissions.contains_key(&job.idempotency_key);
                assert!(!held, "job {id} was cancelled though PAKS holds its case");
                self.cancelled.insert(job.idempotency_key);
                true
            }
            Err(_) => false,
        }
    }

    fn nth_job(&self, n: u8) -> Option<i64> {
        let jobs = self.outbox.submissions().unwrap();
        (!jobs.is_empty()).then(|| jobs[usize::from(n) % jobs.len()].id)
    }

    fn apply(&mut self, event: &Event) {
        match *event {
            Event::Submit { case, files } => self.submit(case, files),
            Event::Tick(ms) => self.now += ms,
            Event::Restart => self.net = Connectivity::Unknown,
            Event::Cancel(n) => {
                if let Some(id) = self.nth_job(n) {
                    self.cancel(id);
                }
            }
            Event::Retry(n) => {
                if let Some(id) = self.nth_job(n) {
                    self.outbox.retry_now(id, self.now).unwrap();
                }
            }
            Event::NetworkBack => {
                self.net = Connectivity::Unknown;
                self.outbox.network_back(self.now).unwrap();
            }
            Event::Step(answer) => self.step(answer),
        }
    }

    fn step(&mut self, answer: Answer) {
        let submissions = self.outbox.submissions().unwrap();
        let uploads = self.outbox.uploads().unwrap();
        let action = next_action(&PlanInput {
            submissions: &submissions,
            uploads: &uploads,
            hand_carried: &[],
            now: self.now,
            net: self.net,
            auto_send: true,
            demanded: false,
        });
        match action {
            Action::CheckNetwork => {
                if matches!(answer, Answer::Ok | Answer::Refused | Answer::InProgress) {
                    self.net = Connectivity::Online;
                    self.outbox.network_back(self.now).unwrap();
                } else {
                    self.net = Connectivity::Offline { retry_at: self.now + BACKOFF_MS };
                    self.outbox.mark_waiting_network(self.now).unwrap();
                }
            }
            Action::Upload(id) => self.upload(id, answer),
            Action::Submit(id) => self.post(id, answer),
            Action::Poll(id) => {
                let finished = matches!(answer, Answer::Ok);
                self.outbox
                    .record_review(id, "under_review", None, finished, self.now + 1000, self.now)
                    .unwrap();
            }
            Action::MatchReceipt(_) => unreachable!("no bags in this model"),
            Action::Wait { until, .. } => {
                self.now = until.map_or(self.now + 1000, |u| u.max(self.now));
            }
        }
    }

    fn upload(&mut self, id: i64, answer: Answer) {
        let job = self.outbox.upload(id).unwrap();
        let sub = self.outbox.submission(job.submission_job).unwrap();
        let file = (sub.idempotency_key.clone(), job.position);
        assert_ne!(job.state, JobState::Done, "upload {id} is planned again though it is done");
        assert!(!self.cancelled.contains(&file.0), "a cancelled job's file is sent");
        if matches!(answer, Answer::CancelledMeanwhile) && self.cancel(sub.id) {
            // The engine reads the rows again before each request: a cancelled job has none.
            return;
        }
        self.outbox.set_upload_state(id, JobState::Uploading, self.now).unwrap();
        self.outbox
            .set_submission_state(sub.id, JobState::Uploading, Phase::Upload, self.now)
            .unwrap();
        // As the tus client: HEAD a known upload, create one when PAKS has none.
        let known = job.upload_url.clone().filter(|u| self.paks.uploads.contains_key(u));
        let url = match known {
            Some(url) => {
                assert_eq!(
                    self.paks.uploads[&url].file, file,
                    "an upload resumed for another file"
                );
                url
            }
            None => {
                assert!(
                    !self.confirmed_whole.contains(&file),
                    "file {file:?}, which PAKS holds whole, is sent again from zero"
                );
                let url = self.paks.create(file.clone());
                self.outbox.record_upload_offset(id, &url, 0, None, self.now).unwrap();
                url
            }
        };
        let before = self.paks.uploads[&url].offset;
        let half = before + (FILE_SIZE - before).div_ceil(2);
        let (server_offset, recorded) = match answer {
            Answer::Ok | Answer::CancelledMeanwhile => (FILE_SIZE, Some(FILE_SIZE)),
            Answer::CutAfter => (half, Some(half)),
            Answer::Crash => (half, None),
            _ => (before, None),
        };
        if let Some(held) = self.paks.uploads.get_mut(&url) {
            held.offset = held.offset.max(server_offset);
            if held.offset == FILE_SIZE {
                self.confirmed_whole.insert(file.clone());
            }
        }
        if let Some(offset) = recorded {
            self.outbox.record_upload_offset(id, &url, offset, None, self.now).unwrap();
        }
        match answer {
            Answer::Ok | Answer::CancelledMeanwhile => {
                self.outbox.finish_upload(id, self.now).unwrap();
                let all_done = self
                    .outbox
                    .uploads_of(sub.id)
                    .unwrap()
                    .iter()
                    .all(|u| u.state == JobState::Done);
                if all_done {
                    self.outbox
                        .set_submission_state(sub.id, JobState::Queued, Phase::Submit, self.now)
                        .unwrap();
                }
            }
            // The process died: nothing more is recorded; the rows say "uploading".
            Answer::Crash => self.net = Connectivity::Unknown,
            _ => {
                if matches!(answer, Answer::Expired) {
                    // The tus client starts over on a 404/410: PAKS forgot this upload.
                    self.paks.uploads.remove(&url);
                    self.confirmed_whole.remove(&file);
                    self.outbox.reset_upload(id, self.now).unwrap();
                }
                let e = Self::error_of(answer);
                let progressed =
                    self.outbox.upload(id).unwrap().bytes_confirmed > job.bytes_confirmed;
                let state = self.record_failure(&e, job.attempts, progressed, |outbox, f, now| {
                    outbox.fail_upload(id, f, now).unwrap();
                    if f.state == JobState::NeedsAttention {
                        outbox.fail_submission(sub.id, f, now).unwrap();
                    }
                });
                if state != JobState::NeedsAttention {
                    self.outbox
                        .set_submission_state(sub.id, JobState::Queued, Phase::Upload, self.now)
                        .unwrap();
                }
            }
        }
    }

    fn post(&mut self, id: i64, answer: Answer) {
        let sub = self.outbox.submission(id).unwrap();
        let answer = match answer {
            Answer::CancelledMeanwhile if self.cancel(id) => {
                let posted = self.outbox.mark_posting(id, self.now).unwrap();
                assert!(!posted, "a cancelled job is posted");
                return;
            }
            // The cancel was refused: the request goes out and succeeds.
            Answer::CancelledMeanwhile => Answer::Ok,
            other => other,
        };
        if !self.outbox.mark_posting(id, self.now).unwrap() {
            return;
        }
        let key = sub.idempotency_key.clone();
        assert!(!self.cancelled.contains(&key), "a cancelled job is posted");
        let version = (sub.case_uid.clone(), sub.case_version);
        let reaches = !matches!(answer, Answer::CutBefore);
        if reaches {
            let others: Vec<String> = self
                .paks
                .holds_version(&version.0, version.1)
                .into_iter()
                .filter(|k| **k != key)
                .cloned()
                .collect();
            assert!(
                others.is_empty(),
                "{version:?} is POSTed under {key} while PAKS holds it under {others:?}"
            );
        }
        // PAKS replays its stored answer (the receipt) to a key it holds: the same request.
        let held_before = self.paks.submissions.contains_key(&key);
        let answer = match answer {
            Answer::Refused | Answer::InProgress | Answer::Expired if held_before => Answer::Ok,
            Answer::Expired if self.outbox.uploads_of(id).unwrap().is_empty() => Answer::Refused,
            other => other,
        };
        let expired = matches!(answer, Answer::Expired);
        let made = match answer {
            Answer::Ok | Answer::CutAfter | Answer::Crash => true,
            // A 5xx may come before or after PAKS made the submission.
            Answer::ServerError => self.now % 2 == 0,
            _ => false,
        };
        if reaches && made {
            self.paks.submissions.insert(key.clone(), version.clone());
        }
        if matches!(answer, Answer::Ok) {
            self.outbox.record_receipt(id, "sid", "{}", self.now + 1000, self.now).unwrap();
            self.net = Connectivity::Online;
            return;
        }
        if matches!(answer, Answer::Crash) {
            self.net = Connectivity::Unknown;
            return;
        }
        if expired {
            // As the engine: PAKS's sweeper took the uploads; every file is sent again.
            for u in self.outbox.uploads_of(id).unwrap() {
                if let Some(url) = &u.upload_url {
                    self.paks.uploads.remove(url);
                }
                self.confirmed_whole.remove(&(key.clone(), u.position));
                self.outbox.reset_upload(u.id, self.now).unwrap();
                self.outbox.set_upload_state(u.id, JobState::Queued, self.now).unwrap();
            }
            self.outbox
                .set_submission_state(id, JobState::Queued, Phase::Upload, self.now)
                .unwrap();
            return;
        }
        let e = Self::error_of(answer);
        if !e.proves_nothing_made() {
            self.outbox.mark_post_unanswered(id, self.now).unwrap();
        }
        self.record_failure(&e, sub.attempts, false, |outbox, f, now| {
            outbox.fail_submission(id, f, now).unwrap();
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_case_twice_no_file_resent_nothing_after_cancel(
        events in proptest::collection::vec(event(), 1..60)
    ) {
        let mut world = World::new();
        for event in &events {
            world.apply(event);
        }
        // Then the links heal and nobody interferes: everything still waiting gets through.
        for _ in 0..200 {
            world.step(Answer::Ok);
        }
        for job in world.outbox.submissions().unwrap() {
            if job.state != JobState::NeedsAttention {
                prop_assert_eq!(job.phase, Phase::Review, "job {} is stuck: {:?}", job.id, job);
                prop_assert!(world.paks.submissions.contains_key(&job.idempotency_key));
            }
        }
    }
}
