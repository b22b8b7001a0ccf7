//! One step of sync at a time: plan (pure), then carry out that one action against PAKS and
//! record the outcome in the outbox before the next. The worker loops over `step`; the CLI's
//! `sync --until-idle` calls `run_until_idle`.

mod bag_match;
mod connectivity;
mod review;
mod submit;
mod upload;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use desk_core::Store;
use desk_core::clock::{Clock, SystemClock};

use crate::backoff::{Backoff, millis, random_unit};
use crate::client::{ClientOptions, PaksClient};
use crate::error::{Result, SyncError};
use crate::failure::{Attempt, Outcome, Work, outcome};
use crate::outbox::{JobState, Outbox, SubmissionJob};
use crate::plan::{Action, Connectivity, Idle, PlanInput, next_action};
use crate::progress::{EventSink, SyncEvent, Throttled};
use crate::send_lock::SendLock;
use crate::settings::SyncSettings;
use crate::token::TokenStore;
use crate::tus::ChunkSizer;

pub(crate) use review::apply_review;

/// Milliseconds since the epoch, by the system clock (the engine reads its own [`Clock`]).
pub fn now_ms() -> i64 {
    SystemClock.now_millis()
}

/// What an HTTP client was built for: address, token, proxy, bandwidth cap.
type ClientKey = (String, String, Option<String>, Option<u32>);

/// How often a process that found another one sending tries the lock again.
const OTHER_SENDER_POLL: Duration = Duration::from_millis(500);

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
    clock: Arc<dyn Clock>,
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
            clock: Arc::new(SystemClock),
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

    /// The clock that dates attempts and decides what is due (the system's by default).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Milliseconds since the epoch, by this engine's clock.
    pub fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    pub fn connectivity(&self) -> Connectivity {
        self.net
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
            now: self.now(),
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
                    self.events.emit(SyncEvent::OtherSender {
                        message: other.describe(),
                        holder: other.holder.clone(),
                    });
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
                let until = Some(self.now() + millis(OTHER_SENDER_POLL));
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
                    let wait = until.map_or(0, |u| u - self.now()).clamp(0, 15 * 60 * 1000);
                    tokio::time::sleep(Duration::from_millis(wait as u64)).await;
                }
                Action::Wait { idle, .. } => return Ok(idle),
                _ => {}
            }
        }
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

    fn job_event(&self, job: &SubmissionJob, state: JobState, error: Option<&SyncError>) {
        self.events.emit(SyncEvent::Job {
            submission_job: job.id,
            case_id: job.case_id,
            state: state.as_str().to_owned(),
            message: error.map(ToString::to_string),
            problem: error.map(SyncError::ui_message),
        });
    }
}

#[cfg(test)]
mod tests {
    use desk_core::clock::ManualClock;

    use super::*;
    use crate::outbox::NewSubmission;
    use crate::progress::no_events;

    #[tokio::test]
    async fn the_injected_clock_dates_attempts_and_decides_what_is_due() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let outbox = Arc::new(Outbox::open(dir.path()).unwrap());
        let new = NewSubmission {
            case_id: 1,
            case_uid: "u".into(),
            case_version: 1,
            document: "{}".into(),
            files: Vec::new(),
        };
        let (job, _) = outbox.enqueue(&new, 0).unwrap();
        let clock = Arc::new(ManualClock::new(1_000_000));
        let options = EngineOptions::default();
        let mut engine = Engine::new(dir.path(), store, outbox.clone(), no_events(), options)
            .with_clock(clock.clone());

        // Not connected: the check fails, and the next is due five minutes later by this clock.
        assert_eq!(engine.step(true).await.unwrap(), Action::CheckNetwork);
        assert_eq!(engine.connectivity(), Connectivity::Offline { retry_at: 1_300_000 });
        let waiting = outbox.submission(job.id).unwrap();
        assert_eq!((waiting.state, waiting.updated_at), (JobState::WaitingNetwork, 1_000_000));
        let until = Some(1_300_000);
        let idle = Idle::WaitingNetwork;
        assert_eq!(engine.step(true).await.unwrap(), Action::Wait { until, idle });
        clock.advance_secs(300);
        assert_eq!(engine.step(true).await.unwrap(), Action::CheckNetwork);
    }
}
