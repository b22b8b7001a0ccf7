//! Sending to PAKS from the terminal: connect, submit, outbox, sync, status.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use desk_core::Store;
use desk_sync::{
    Engine, Idle, KeyChange, Outbox, SubmissionJob, SyncError, SyncEvent, SyncSettings, TokenStore,
    cancel_submission, file_to_send, now_ms, submit_case,
};

use crate::output;

#[derive(Args)]
pub struct ConnectArgs {
    /// The PAKS address, e.g. https://paks.example.org
    pub url: String,
    /// The focal point's API token from the PAKS team.
    #[arg(long, env = "PAKS_TOKEN")]
    pub token: String,
    /// An HTTP(S) proxy to go through (otherwise the environment's HTTPS_PROXY etc. apply).
    #[arg(long)]
    pub proxy: Option<String>,
    /// Upload bandwidth cap in kbit/s (0: none).
    #[arg(long)]
    pub bandwidth_kbps: Option<u32>,
    /// Send automatically when PAKS is reachable (default: on).
    #[arg(long)]
    pub auto_send: Option<bool>,
    /// Trust the server's new signing key when it differs from the one trusted before (only
    /// once the PAKS team has confirmed that its key changed).
    #[arg(long)]
    pub accept_new_key: bool,
}

#[derive(Args)]
pub struct SubmitArgs {
    /// The case id.
    pub case: i64,
    /// A file to send with the case (repeat for more).
    #[arg(long = "file")]
    pub files: Vec<PathBuf>,
}

#[derive(Args)]
pub struct SyncArgs {
    /// Send what can be sent, then exit (0 when the outbox is empty or only waits for the
    /// network, the person or PAKS reviewers).
    #[arg(long)]
    pub until_idle: bool,
}

#[derive(Args)]
pub struct CaseArgs {
    /// The case id.
    pub case: i64,
}

#[derive(Args)]
pub struct StatusArgs {
    pub case: i64,
    #[arg(long)]
    pub json: bool,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

pub fn connect(store: &Store, dir: &Path, args: ConnectArgs) -> anyhow::Result<ExitCode> {
    let key_change = if args.accept_new_key { KeyChange::Accept } else { KeyChange::Refuse };
    let connected = match runtime()?.block_on(desk_sync::connect(
        store,
        dir,
        &args.url,
        &args.token,
        args.proxy.clone(),
        key_change,
    )) {
        Err(e @ SyncError::ServerKeyChanged { .. }) => {
            return Err(anyhow::anyhow!(
                "{e}\nTo accept it, run connect again with --accept-new-key."
            ));
        }
        other => other?,
    };
    let mut settings = SyncSettings::load(store)?;
    if let Some(k) = args.bandwidth_kbps {
        settings.bandwidth_kbps = Some(k).filter(|k| *k > 0);
    }
    if let Some(a) = args.auto_send {
        settings.auto_send = a;
    }
    settings.save(store)?;
    println!(
        "Connected to {} at {} (server key {}).",
        connected.server_name, connected.paks_url, connected.key_id
    );
    if connected.key_changed {
        println!("As you confirmed, the server's new key {} is now trusted.", connected.key_id);
    }
    println!("{}", connected.token_location.describe());
    Ok(ExitCode::SUCCESS)
}

pub fn submit(store: &Store, dir: &Path, args: SubmitArgs) -> anyhow::Result<ExitCode> {
    let outbox = Outbox::open(dir)?;
    let files = args.files.iter().map(|f| file_to_send(f)).collect::<Result<Vec<_>, _>>()?;
    let job = submit_case(store, &outbox, args.case, &files, now_ms())?;
    let uploads = outbox.uploads_of(job.id)?;
    let bytes: u64 = uploads.iter().map(|u| u.size).sum();
    println!(
        "Case {} version {} is in the outbox (job {}, {} file(s), {} bytes). Run `sync` or leave the app open to send it.",
        args.case,
        job.case_version,
        job.id,
        uploads.len(),
        bytes
    );
    Ok(ExitCode::SUCCESS)
}

pub fn outbox(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let outbox = Outbox::open(dir)?;
    let entries = outbox.entries()?;
    if json {
        output::json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        println!("The outbox is empty.");
    }
    for e in entries {
        let s = &e.submission;
        println!(
            "job {} case {} v{}: {} ({}), {}/{} bytes{}",
            s.id,
            s.case_id,
            s.case_version,
            s.state.as_str(),
            s.phase.as_str(),
            e.bytes_confirmed,
            e.bytes_total,
            s.review_state.as_deref().map(|r| format!(", review: {r}")).unwrap_or_default()
        );
        if let Some(err) = &s.last_error {
            println!("  {err}");
        }
        for u in &e.uploads {
            println!("  {} {}/{} {}", u.name, u.bytes_confirmed, u.size, u.state.as_str());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn sync(store: Store, dir: &Path, args: SyncArgs) -> anyhow::Result<ExitCode> {
    let store = Arc::new(store);
    let events = Arc::new(|e: &SyncEvent| match e {
        SyncEvent::Progress(p) => println!(
            "{}: {}/{} bytes ({:.0} kB/s{})",
            p.file,
            p.file_bytes_confirmed,
            p.file_bytes_total,
            p.bytes_per_second / 1000.0,
            p.file_seconds_left.map(|s| format!(", {s:.0} s left")).unwrap_or_default()
        ),
        SyncEvent::Job { case_id, state, message, .. } => match message {
            Some(m) => println!("case {case_id}: {state}: {m}"),
            None => println!("case {case_id}: {state}"),
        },
        SyncEvent::OtherSender { message, .. } => println!("{message}"),
        SyncEvent::ReceiptMatched { case_id, message, .. } => println!("case {case_id}: {message}"),
        SyncEvent::Connectivity { online: false, message, .. } => {
            println!("PAKS is not reachable: {}", message.as_deref().unwrap_or("no answer"))
        }
        _ => {}
    });
    let mut engine = Engine::open(dir, store, events)?;
    let rt = runtime()?;
    let idle = if args.until_idle {
        rt.block_on(engine.run_until_idle())?
    } else {
        // Without --until-idle: the long-lived worker, until Ctrl-C.
        rt.block_on(async {
            let worker = desk_sync::SyncWorker::start(engine);
            let _ = tokio::signal::ctrl_c().await;
            worker.stop().await;
        });
        return Ok(ExitCode::SUCCESS);
    };
    let text = match idle {
        Idle::Empty => "Nothing left to send.",
        Idle::WaitingNetwork => "PAKS is not reachable; what is left is sent when it is.",
        Idle::WaitingPerson => "Some cases need you: see `outbox`.",
        Idle::WaitingReview => "Everything is sent; PAKS reviewers have the rest.",
        Idle::WaitingBag => {
            "A hand-carried bag has not reached PAKS yet; PAKS is asked again later."
        }
        Idle::WaitingRetry => "Some sends are retried later.",
        Idle::Paused => "Automatic sending is off.",
        Idle::OtherSender => "Another PAKS Desk is sending from this data folder.",
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// The case's submission in the outbox, or an error saying there is none.
fn submission_of(outbox: &Outbox, case: i64) -> anyhow::Result<SubmissionJob> {
    outbox.submission_for_case(case)?.ok_or_else(|| {
        anyhow::anyhow!("Case {case} has not been submitted: there is nothing of it in the outbox.")
    })
}

pub fn cancel(store: &Store, dir: &Path, args: CaseArgs) -> anyhow::Result<ExitCode> {
    let outbox = Outbox::open(dir)?;
    let job = submission_of(&outbox, args.case)?;
    let case = cancel_submission(store, &outbox, job.id)?;
    println!(
        "Case {} version {} is out of the outbox and is {} again: edit it, then submit.",
        case.id,
        case.version,
        case.status.label()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn retry(dir: &Path, args: CaseArgs) -> anyhow::Result<ExitCode> {
    let outbox = Outbox::open(dir)?;
    let job = submission_of(&outbox, args.case)?;
    if outbox.retry_now(job.id, now_ms())? == 0 {
        println!("Nothing of case {} waits: PAKS has it and its review is final.", args.case);
    } else {
        println!("Case {}: what waited is due now; run `sync` to send it.", args.case);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn status(store: &Store, dir: &Path, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let case = store.case(args.case)?;
    let outbox = Outbox::open(dir)?;
    let job = outbox.submission_for_case(args.case)?;
    let receipt = job.as_ref().and_then(SubmissionJob::verified_receipt);
    let bags = outbox.hand_carried_of_case(args.case)?;
    // Before `connect` there is no token to look for (and no keyring to blame).
    let connected = SyncSettings::load(store)?.paks_url.is_some();
    let token = if connected { TokenStore::new(dir).location() } else { Ok(None) };
    if args.json {
        let token = match &token {
            Ok(location) => serde_json::to_value(location)?,
            Err(e) => serde_json::json!({ "kind": "unreadable", "reason": e.to_string() }),
        };
        output::json(&serde_json::json!({
            "case_id": case.id,
            "uid": case.uid,
            "version": case.version,
            "status": case.status,
            "submission_id": case.submission_id,
            "review_comment": case.review_comment,
            "receipt": receipt,
            "outbox": job,
            "hand_carried": bags,
            "token": token,
        }))?;
    } else {
        println!("Case {} version {}: {}", case.id, case.version, case.status.label());
        if let Some(id) = &case.submission_id {
            println!("PAKS submission {id}");
        }
        if let Some(r) = &receipt {
            println!(
                "Receipt from {}: version {} received {}, case SHA-256 {} (signed, key {})",
                r.server_name, r.version, r.received_at, r.case_sha256, r.key_id
            );
            for f in &r.files {
                println!("  {} ({} bytes), SHA-256 {}", f.name, f.size, f.sha256);
            }
        }
        if !case.review_comment.is_empty() {
            println!("Reviewer: {}", case.review_comment);
        }
        if let Some(err) = job.and_then(|j| j.last_error) {
            println!("{err}");
        }
        for bag in &bags {
            match &bag.outcome {
                Some(outcome) => println!("Bag of version {}: {outcome}", bag.case_version),
                None => println!(
                    "Bag of version {}: not at PAKS yet (asked {} times; `sync` asks again)",
                    bag.case_version, bag.checks
                ),
            }
        }
        match token {
            Ok(Some(location)) => println!("{}", location.describe()),
            Ok(None) if connected => println!("No PAKS token is stored: connect again."),
            Ok(None) => println!("{}", desk_sync::SyncError::NotConnected),
            Err(e) => println!("{e}"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
