//! One step of sync at a time: plan (pure), then carry out that one action against PAKS and
//! record the outcome in the outbox before the next. The worker loops over `step`; the CLI's
//! `sync --until-idle` calls `run_until_idle`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use desk_core::{CaseStatus, Store};
use paks_protocol::{AttachmentDescriptor, CaseDocument, SubmissionRequest, SubmissionState};
use uuid::Uuid;

use crate::backoff::{Backoff, millis, random_unit};
use crate::client::{ClientOptions, PaksClient};
use crate::error::{Result, SyncError};
use crate::failure::{Attempt, Outcome, Work, outcome};
use crate::outbox::{JobState, Outbox, Phase, SubmissionJob, UploadJob};
use crate::plan::{Action, Connectivity, Idle, PlanInput, next_action};
use crate::progress::{EventSink, Progress, SyncEvent, Throttled};
use crate::receipt_match::{Found, take_in};
use crate::send_lock::SendLock;
use crate::settings::SyncSettings;
use crate::token::TokenStore;
use crate::tus::{ChunkSizer, UploadSource, UploadStep, hash_file};

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What an HTTP client was built for: address, token, proxy, bandwidth cap.
type ClientKey = (String, String, Option<String>, Option<u32>);

/// How often a process that found another one sending tries the lock again.
const OTHER_SENDER_POLL: Duration = Duration::from_millis(500);

/// Chunks sent without a per-chunk checksum aim at this many times the usual duration (16 s
/// instead of 2 s): a cut loses only the bytes in flight, and fewer chunks mean fewer idle
/// round trips between them.
const UNCHECKED_CHUNK_FACTOR: u32 = 8;

/// Tunables; the defaults are for real links, tests shorten them.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub jobs: Backoff,
    pub network: Backoff,
    pub review: Backoff,
    pub stall_timeout: Duration,
    pub chunks: ChunkSizer,
    /// Send `Upload-Checksum: sha256` with every chunk.
    pub checksum: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            jobs: Backoff::JOBS,
            network: Backoff::NETWORK,
            review: Backoff::REVIEW,
            stall_timeout: Duration::from_secs(30),
            chunks: ChunkSizer::default(),
            checksum: true,
        }
    }
}

pub struct Engine {
    data_dir: PathBuf,
    /// Held while this engine sends; released whenever it has nothing to do.
    lock: Option<SendLock>,
    /// Another process held the lock at the last try (its event is sent once per wait).
    blocked: bool,
    /// Uploads whose connection broke mid-chunk in this run: the rest of each goes without a
    /// per-chunk checksum, so the server keeps what arrived before a cut (the file's SHA-256,
    /// checked by PAKS at submission, still guards it) and a cut costs no half chunk.
    cut_uploads: HashSet<i64>,
    /// Files hashed before an attempt in this run: their size and modification time then.
    verified: HashMap<i64, (u64, SystemTime)>,
    /// The upload whose connection broke last: the reachability probe asks its offset too.
    resume_candidate: Option<i64>,
    /// (upload job, URL, offset) the server gave beside the last successful probe.
    resume_hint: Option<(i64, String, u64)>,
    store: Arc<Store>,
    outbox: Arc<Outbox>,
    tokens: TokenStore,
    client_cache: std::sync::Mutex<Option<(ClientKey, PaksClient)>>,
    events: Arc<Throttled>,
    options: EngineOptions,
    net: Connectivity,
    net_failures: u32,
    rate: Option<f64>,
}

impl Engine {
    pub fn new(
        data_dir: &Path,
        store: Arc<Store>,
        outbox: Arc<Outbox>,
        events: EventSink,
        options: EngineOptions,
    ) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            lock: None,
            blocked: false,
            cut_uploads: HashSet::new(),
            verified: HashMap::new(),
            resume_candidate: None,
            resume_hint: None,
            store,
            outbox,
            tokens: TokenStore::new(data_dir),
            client_cache: std::sync::Mutex::new(None),
            events: Arc::new(Throttled::new(events)),
            options,
            net: Connectivity::Unknown,
            net_failures: 0,
            rate: None,
        }
    }

    /// Opens the outbox in `data_dir` beside the case store.
    pub fn open(data_dir: &Path, store: Arc<Store>, events: EventSink) -> Result<Self> {
        let outbox = Arc::new(Outbox::open(data_dir)?);
        Ok(Self::new(data_dir, store, outbox, events, EngineOptions::default()))
    }

    pub fn with_options(mut self, options: EngineOptions) -> Self {
        self.options = options;
        self
    }

    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    pub fn connectivity(&self) -> Connectivity {
        self.net
    }

    /// The network is said to be back: check now, and make what waited for it due.
    pub fn network_back(&mut self) -> Result<()> {
        self.net = Connectivity::Unknown;
        self.outbox.network_back(now_ms())?;
        Ok(())
    }

    fn client(&self, settings: &SyncSettings) -> Result<(PaksClient, String)> {
        let (Some(url), Some(key)) = (&settings.paks_url, &settings.server_key) else {
            return Err(SyncError::NotConnected);
        };
        let token = self.tokens.load()?.ok_or(SyncError::NotConnected)?;
        let wanted = (url.clone(), token, settings.proxy.clone(), settings.bandwidth_kbps);
        // One HTTP client while the settings stay: its pooled connection, kept alive from the
        // reachability probe, carries the resume (no new TCP handshake after a cut).
        let mut cache = self.client_cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((built_for, client)) = cache.as_ref()
            && *built_for == wanted
        {
            return Ok((client.clone(), key.clone()));
        }
        let options = ClientOptions {
            proxy: settings.proxy.clone(),
            bandwidth_kbps: settings.bandwidth_kbps,
            stall_timeout: self.options.stall_timeout,
            ..ClientOptions::default()
        };
        let client = PaksClient::new(url, &wanted.1, options)?;
        *cache = Some((wanted, client.clone()));
        Ok((client, key.clone()))
    }

    fn plan(&self, settings: &SyncSettings, demanded: bool) -> Result<Action> {
        let submissions = self.outbox.submissions()?;
        let uploads = self.outbox.uploads()?;
        let hand_carried = self.outbox.hand_carried()?;
        Ok(next_action(&PlanInput {
            submissions: &submissions,
            uploads: &uploads,
            hand_carried: &hand_carried,
            now: now_ms(),
            net: self.net,
            auto_send: settings.auto_send,
            demanded,
        }))
    }

    /// Whether this engine may send: it holds the data folder's send lock, or takes it now
    /// (another process may have changed the outbox meanwhile, so the caller plans again).
    fn take_lock(&mut self) -> Result<bool> {
        if self.lock.is_some() {
            return Ok(true);
        }
        match SendLock::try_acquire(&self.data_dir)? {
            Ok(lock) => {
                self.lock = Some(lock);
                self.blocked = false;
                Ok(true)
            }
            Err(other) => {
                if !self.blocked {
                    self.blocked = true;
                    tracing::info!(holder = %other.holder, "another process is sending");
                    self.events.emit(SyncEvent::OtherSender { message: other.describe() });
                }
                Ok(false)
            }
        }
    }

    /// Plans and carries out one action; returns it (a `Wait` means nothing was due).
    pub async fn step(&mut self, demanded: bool) -> Result<Action> {
        let settings = SyncSettings::load(&self.store)?;
        let mut action = self.plan(&settings, demanded)?;
        if !matches!(action, Action::Wait { .. }) {
            let had_lock = self.lock.is_some();
            if !self.take_lock()? {
                let until = Some(now_ms() + millis(OTHER_SENDER_POLL));
                return Ok(Action::Wait { until, idle: Idle::OtherSender });
            }
            if !had_lock {
                action = self.plan(&settings, demanded)?;
            }
        }
        if matches!(action, Action::Wait { .. }) {
            self.lock = None;
        }
        match action {
            Action::CheckNetwork => self.check_network(&settings).await?,
            Action::Upload(id) => self.run_upload(&settings, id).await?,
            Action::Submit(id) => self.run_submit(&settings, id).await?,
            Action::Poll(id) => self.run_poll(&settings, id).await?,
            Action::MatchReceipt(id) => self.run_match(&settings, id).await?,
            Action::Wait { idle, .. } => self.events.emit(SyncEvent::Idle { idle }),
        }
        Ok(action)
    }

    /// True while this engine holds the data folder's send lock.
    pub fn is_sending(&self) -> bool {
        self.lock.is_some()
    }

    /// Sends what can be sent now, waiting out short retries; returns why it stopped: the
    /// outbox is empty, or what is left waits for the network, the person or PAKS reviewers.
    pub async fn run_until_idle(&mut self) -> Result<Idle> {
        loop {
            match self.step(true).await? {
                Action::Wait { idle: Idle::WaitingRetry | Idle::OtherSender, until } => {
                    let wait = until.map_or(0, |u| u - now_ms()).clamp(0, 15 * 60 * 1000);
                    tokio::time::sleep(Duration::from_millis(wait as u64)).await;
                }
                Action::Wait { idle, .. } => return Ok(idle),
                _ => {}
            }
        }
    }

    async fn check_network(&mut self, settings: &SyncSettings) -> Result<()> {
        // An upload cut mid-way: ask its offset (HEAD) beside the signed identity probe, on a
        // second connection, so sending resumes one round trip sooner. The offset is used only
        // if the identity verifies.
        let candidate = match self.resume_candidate {
            Some(id) => self.outbox.upload(id)?.upload_url.map(|url| (id, url)),
            None => None,
        };
        self.resume_hint = None;
        let outcome = match self.client(settings) {
            Ok((client, key)) => match &candidate {
                Some((id, url)) => {
                    let (identity, head) =
                        tokio::join!(client.identity(Some(&key)), client.tus_head(url));
                    if identity.is_ok()
                        && let Ok(offset) = head
                    {
                        self.resume_hint = Some((*id, url.clone(), offset));
                    }
                    identity.map(|_| ())
                }
                None => client.identity(Some(&key)).await.map(|_| ()),
            },
            Err(e) => Err(e),
        };
        let now = now_ms();
        match outcome {
            Ok(()) => {
                self.net = Connectivity::Online;
                self.net_failures = 0;
                self.outbox.network_back(now)?;
                self.events.emit(SyncEvent::Connectivity { online: true, message: None });
            }
            Err(e) => {
                self.net_failures += 1;
                let delay = match e {
                    SyncError::NotConnected => Duration::from_secs(300),
                    _ => self.options.network.probe_delay(self.net_failures),
                };
                self.net = Connectivity::Offline { retry_at: now + millis(delay) };
                self.outbox.mark_waiting_network(now)?;
                tracing::info!(error = %e, "PAKS is not reachable");
                self.events
                    .emit(SyncEvent::Connectivity { online: false, message: Some(e.to_string()) });
            }
        }
        Ok(())
    }

    /// What a failed attempt does to its job ([`outcome`]); one cut by the network also sends
    /// the engine back to checking that PAKS is reachable.
    fn judge(
        &mut self,
        e: &SyncError,
        work: Work,
        attempts: u32,
        backoff: Backoff,
        now: i64,
    ) -> Outcome {
        let attempt = Attempt { work, attempts, backoff, now, jitter: random_unit() };
        let outcome = outcome(e, &attempt);
        if outcome.recheck_network {
            self.net = Connectivity::Unknown;
        }
        outcome
    }

    fn job_event(&self, job: &SubmissionJob, state: JobState, message: Option<String>) {
        self.events.emit(SyncEvent::Job {
            submission_job: job.id,
            case_id: job.case_id,
            state: state.as_str().to_owned(),
            message,
        });
    }

    async fn run_upload(&mut self, settings: &SyncSettings, id: i64) -> Result<()> {
        let job = self.outbox.upload(id)?;
        let sub = self.outbox.submission(job.submission_job)?;
        let now = now_ms();
        self.outbox.set_upload_state(id, JobState::Uploading, now)?;
        self.outbox.set_submission_state(sub.id, JobState::Uploading, Phase::Upload, now)?;
        let before = job.bytes_confirmed;
        let result = self.upload(settings, &job, &sub).await;
        let now = now_ms();
        match result {
            Ok(()) => {
                if self.resume_candidate == Some(id) {
                    self.resume_candidate = None;
                }
                self.outbox.finish_upload(id, now)?;
                let all_done =
                    self.outbox.uploads_of(sub.id)?.iter().all(|u| u.state == JobState::Done);
                if all_done {
                    self.outbox.set_submission_state(
                        sub.id,
                        JobState::Queued,
                        Phase::Submit,
                        now,
                    )?;
                }
                self.job_event(&sub, JobState::Uploading, None);
            }
            Err(e) => {
                if e.is_offline() {
                    self.cut_uploads.insert(id);
                    self.resume_candidate = Some(id);
                }
                let progressed = self.outbox.upload(id)?.bytes_confirmed > before;
                let work = Work::Send { progressed };
                let outcome = self.judge(&e, work, job.attempts, self.options.jobs, now);
                let (state, next) = (outcome.state, outcome.next_attempt_at);
                let message = e.to_string();
                let failure = outcome.failure(&message, e.code());
                self.outbox.fail_upload(id, &failure, now)?;
                if state == JobState::NeedsAttention {
                    self.outbox.fail_submission(sub.id, &failure, now)?;
                } else {
                    self.outbox.set_submission_state(
                        sub.id,
                        JobState::Queued,
                        Phase::Upload,
                        now,
                    )?;
                }
                tracing::info!(
                    file = %job.name, error = %e, state = state.as_str(), progressed,
                    retry_in_ms = next - now, "upload stopped"
                );
                self.job_event(&sub, state, Some(message));
            }
        }
        Ok(())
    }

    async fn upload(
        &mut self,
        settings: &SyncSettings,
        job: &UploadJob,
        sub: &SubmissionJob,
    ) -> Result<()> {
        let path = PathBuf::from(&job.path);
        self.verify_file(job, &path).await?;
        let (client, _) = self.client(settings)?;
        let source = UploadSource {
            path,
            name: job.name.clone(),
            media_type: job.media_type.clone(),
            size: job.size,
        };
        let siblings = self.outbox.uploads_of(sub.id)?;
        let case_total: u64 = siblings.iter().map(|u| u.size).sum();
        let others: u64 = siblings
            .iter()
            .filter(|u| u.id != job.id)
            .map(|u| if u.state == JobState::Done { u.size } else { u.bytes_confirmed.min(u.size) })
            .sum();
        let checksum = self.options.checksum && !self.cut_uploads.contains(&job.id);
        let mut sizer = self.options.chunks.clone().with_rate(self.rate);
        if !checksum {
            sizer.target = sizer.target.saturating_mul(UNCHECKED_CHUNK_FACTOR);
        }
        let outbox = self.outbox.clone();
        let events = self.events.clone();
        let (job_id, sub_id, case_id, name, size) =
            (job.id, sub.id, sub.case_id, job.name.clone(), job.size);
        let mut on = move |step: UploadStep<'_>| -> Result<()> {
            let now = now_ms();
            match step {
                UploadStep::Created { url } => {
                    outbox.record_upload_offset(job_id, url, 0, None, now)
                }
                UploadStep::Confirmed { url, offset, chunk_size, bytes_per_second } => {
                    outbox.record_upload_offset(job_id, url, offset, Some(chunk_size), now)?;
                    let left = |bytes: u64| {
                        (bytes_per_second > 0.0).then(|| bytes as f64 / bytes_per_second)
                    };
                    events.emit(SyncEvent::Progress(Progress {
                        submission_job: sub_id,
                        case_id,
                        upload_job: job_id,
                        file: name.clone(),
                        file_bytes_confirmed: offset,
                        file_bytes_total: size,
                        case_bytes_confirmed: others + offset,
                        case_bytes_total: case_total,
                        bytes_per_second,
                        file_seconds_left: left(size - offset.min(size)),
                        case_seconds_left: left(case_total.saturating_sub(others + offset)),
                    }));
                    Ok(())
                }
            }
        };
        let hint = self
            .resume_hint
            .take()
            .filter(|(id, url, _)| *id == job.id && job.upload_url.as_ref() == Some(url))
            .map(|(_, _, offset)| offset);
        let known = job.upload_url.clone().map(|url| (url, hint));
        let result = client.tus_upload_at(&source, known, &mut sizer, checksum, &mut on).await;
        self.rate = sizer.rate().or(self.rate);
        if result.is_ok() {
            self.net = Connectivity::Online;
            if let Some(rate) = self.rate {
                // For the case store's "this file will take N minutes to send" warning.
                if let Err(e) = self.store.record_upload_speed(rate as u64) {
                    tracing::warn!(error = %e, "could not record the upload speed");
                }
            }
        }
        result.map(|_| ())
    }

    /// The file must still be what was submitted. It is hashed before the first attempt of
    /// this run and again whenever its size or modification time moved, not at every resume
    /// (hashing 50 MiB after each cut would delay the resume).
    async fn verify_file(&mut self, job: &UploadJob, path: &Path) -> Result<()> {
        let stamp = |path: &Path| -> std::io::Result<(u64, SystemTime)> {
            let meta = std::fs::metadata(path)?;
            Ok((meta.len(), meta.modified()?))
        };
        let missing = |e: std::io::Error| SyncError::FileMissing {
            name: job.name.clone(),
            reason: e.to_string(),
        };
        let before = stamp(path).map_err(missing)?;
        if self.verified.get(&job.id) == Some(&before) {
            return Ok(());
        }
        let check = path.to_owned();
        let hashed = tokio::task::spawn_blocking(move || hash_file(&check))
            .await
            .map_err(|e| SyncError::Io(std::io::Error::other(e)))?;
        match hashed {
            Ok((sha, size)) if sha == job.sha256 && size == job.size => {
                self.verified.insert(job.id, before);
                Ok(())
            }
            Ok(_) => Err(SyncError::FileChanged { name: job.name.clone() }),
            Err(e) => Err(missing(e)),
        }
    }

    fn request_of(&self, sub: &SubmissionJob) -> Result<SubmissionRequest> {
        let case: CaseDocument = serde_json::from_str(&sub.document).map_err(|e| {
            SyncError::DamagedJob(format!("the frozen case document is damaged: {e}"))
        })?;
        let mut attachments = Vec::new();
        for u in self.outbox.uploads_of(sub.id)? {
            let url = u.upload_url.as_deref().unwrap_or_default();
            let upload_id = url
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| {
                    SyncError::Garbled(format!("the upload URL {url:?} names no upload id"))
                })?;
            attachments.push(AttachmentDescriptor {
                upload_id,
                sha256: u.sha256,
                size: u.size,
                name: u.name,
                media_type: u.media_type,
            });
        }
        Ok(SubmissionRequest { case, attachments })
    }

    async fn run_submit(&mut self, settings: &SyncSettings, id: i64) -> Result<()> {
        let sub = self.outbox.submission(id)?;
        // A request that cannot be built was never sent: the job stays one that can be cancelled.
        let request = self.request_of(&sub);
        let posted = request.is_ok();
        if posted && !self.outbox.mark_posting(id, now_ms())? {
            tracing::info!(case = sub.case_id, "cancelled before its POST; nothing sent");
            return Ok(());
        }
        let result = async {
            let request = request?;
            let (client, key) = self.client(settings)?;
            let receipt = client.submit(&sub.idempotency_key, &request, &key).await?;
            let json =
                serde_json::to_string(&receipt).map_err(|e| SyncError::Database(e.to_string()))?;
            Ok::<_, SyncError>((receipt, json))
        }
        .await;
        let now = now_ms();
        match result {
            Ok((receipt, json)) => {
                self.net = Connectivity::Online;
                let sid = receipt.submission_id.to_string();
                let next = now + millis(self.options.review.delay(1));
                self.outbox.record_receipt(id, &sid, &json, next, now)?;
                apply_review(&self.store, sub.case_id, &sid, SubmissionState::Received, None)?;
                tracing::info!(case = sub.case_id, submission = %sid, "submitted; receipt verified");
                self.job_event(&sub, JobState::Done, None);
            }
            Err(SyncError::UploadExpired(detail)) => {
                for u in self.outbox.uploads_of(id)? {
                    self.outbox.reset_upload(u.id, now)?;
                    self.outbox.set_upload_state(u.id, JobState::Queued, now)?;
                }
                self.outbox.set_submission_state(id, JobState::Queued, Phase::Upload, now)?;
                tracing::info!(
                    case = sub.case_id,
                    detail,
                    "an upload expired before submission; sending the files again"
                );
            }
            Err(e) => {
                if posted && !e.proves_nothing_made() {
                    self.outbox.mark_post_unanswered(id, now)?;
                }
                let work = Work::Send { progressed: false };
                let outcome = self.judge(&e, work, sub.attempts, self.options.jobs, now);
                let state = outcome.state;
                let message = e.to_string();
                self.outbox.fail_submission(id, &outcome.failure(&message, e.code()), now)?;
                tracing::info!(case = sub.case_id, error = %e, state = state.as_str(), "submission not done");
                self.job_event(&sub, state, Some(message));
            }
        }
        Ok(())
    }

    /// Asks PAKS whether it received a hand-carried bag, and takes the receipt in if so.
    async fn run_match(&mut self, settings: &SyncSettings, id: i64) -> Result<()> {
        let bag = self.outbox.hand_carried_row(id)?;
        let found = async {
            let (client, key) = self.client(settings)?;
            client.receipt_of_version(&bag.case_uid, bag.case_version, &key).await
        }
        .await;
        let now = now_ms();
        match found {
            Ok(Some((receipt, json))) => {
                self.net = Connectivity::Online;
                let next_poll = now + millis(self.options.review.delay(1));
                let found = Found { receipt: &receipt, receipt_json: &json, next_poll, now };
                let taken = take_in(&self.store, &self.outbox, &bag, &found)?;
                let sid = receipt.submission_id.to_string();
                self.outbox.hand_carried_matched(id, &sid, &json, &taken.message, now)?;
                tracing::info!(case = bag.case_id, submission = %sid, "hand-carried bag's receipt taken in");
                self.events.emit(SyncEvent::ReceiptMatched {
                    case_id: taken.case_id,
                    submission_job: taken.submission_job,
                    message: taken.message,
                });
            }
            Ok(None) => {
                self.net = Connectivity::Online;
                let later = now + millis(self.options.review.delay(bag.checks + 1));
                self.outbox.hand_carried_not_found(id, None, later, true)?;
            }
            Err(e) => {
                let outcome = self.judge(&e, Work::BagLookup, bag.checks, self.options.review, now);
                let next = outcome.next_attempt_at;
                tracing::info!(case = bag.case_id, error = %e, "could not ask PAKS for a bag's receipt");
                self.outbox.hand_carried_not_found(id, Some(&e.to_string()), next, false)?;
            }
        }
        Ok(())
    }

    async fn run_poll(&mut self, settings: &SyncSettings, id: i64) -> Result<()> {
        let sub = self.outbox.submission(id)?;
        let sid = sub.submission_id.clone().unwrap_or_default();
        let result = async {
            let (client, _) = self.client(settings)?;
            client.status(&sid).await
        }
        .await;
        let now = now_ms();
        match result {
            Ok(status) => {
                self.net = Connectivity::Online;
                let state = status.state;
                let finished =
                    matches!(state, SubmissionState::Published | SubmissionState::ChangesRequested);
                let changed = sub.review_state.as_deref() != Some(state.as_str());
                let attempts = if changed { 1 } else { sub.attempts + 1 };
                let next = now + millis(self.options.review.delay(attempts));
                self.outbox.record_review(
                    id,
                    state.as_str(),
                    status.reviewer_comment.as_deref(),
                    finished,
                    next,
                    now,
                )?;
                apply_review(
                    &self.store,
                    sub.case_id,
                    &sid,
                    state,
                    status.reviewer_comment.as_deref(),
                )?;
                if changed {
                    self.job_event(
                        &sub,
                        if finished { JobState::Done } else { JobState::RetryScheduled },
                        None,
                    );
                }
            }
            Err(e) => {
                let outcome =
                    self.judge(&e, Work::ReviewPoll, sub.attempts, self.options.review, now);
                let message = e.to_string();
                self.outbox.fail_submission(id, &outcome.failure(&message, e.code()), now)?;
            }
        }
        Ok(())
    }
}

/// Brings the local case to the state PAKS gives it (idempotent; tolerant of a crash between
/// the outbox and the case store).
pub(crate) fn apply_review(
    store: &Store,
    case_id: i64,
    submission_id: &str,
    state: SubmissionState,
    comment: Option<&str>,
) -> Result<()> {
    let mut case = store.case(case_id)?;
    if case.status == CaseStatus::Draft {
        case = store.set_status(case_id, CaseStatus::Queued)?;
    }
    if case.status == CaseStatus::Queued {
        case = store.record_submission(case_id, submission_id)?;
    }
    let next = match state {
        SubmissionState::Received => return Ok(()),
        SubmissionState::UnderReview => CaseStatus::UnderReview,
        SubmissionState::Published => CaseStatus::Published,
        SubmissionState::ChangesRequested => CaseStatus::ChangesRequested,
    };
    if case.status != next && !case.status.can_become(next) {
        tracing::warn!(
            case = case_id,
            from = case.status.as_str(),
            to = next.as_str(),
            "review state not applied"
        );
        return Ok(());
    }
    if case.status != next || case.review_comment != comment.unwrap_or_default() {
        store.record_review(case_id, next, comment.unwrap_or_default())?;
    }
    Ok(())
}
