//! The one long-lived sync task: it waits on a timer and on a command channel, runs one
//! engine step at a time, and stops promptly when told (an upload cut off by a stop resumes
//! from the server's offset next time).

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::engine::Engine;
use crate::plan::{Action, Idle};

/// What the app can tell the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Something new is queued, or the person pressed "Send now".
    Kick,
    /// The OS says the network is back: check PAKS now.
    NetworkBack,
    /// Retry this submission job (and its files) now, even one that waited for the person.
    RetryNow(i64),
    Stop,
}

/// A cheap, cloneable way to send commands to the worker.
#[derive(Debug, Clone)]
pub struct SyncHandle {
    tx: mpsc::Sender<Command>,
}

impl SyncHandle {
    /// Sends a command; false if the worker has stopped.
    pub async fn send(&self, command: Command) -> bool {
        self.tx.send(command).await.is_ok()
    }

    /// For callers outside async code (a UI callback): false if the queue is full or closed.
    pub fn try_send(&self, command: Command) -> bool {
        self.tx.try_send(command).is_ok()
    }
}

pub struct SyncWorker {
    handle: SyncHandle,
    task: JoinHandle<()>,
}

/// How often the worker wakes with nothing scheduled, as a safety net.
const TICK: Duration = Duration::from_secs(60);

impl SyncWorker {
    /// Starts the worker on the current tokio runtime. It resumes the outbox at once.
    pub fn start(engine: Engine) -> SyncWorker {
        let (tx, rx) = mpsc::channel(64);
        let task = tokio::spawn(run(engine, rx));
        SyncWorker { handle: SyncHandle { tx }, task }
    }

    pub fn handle(&self) -> SyncHandle {
        self.handle.clone()
    }

    /// Stops the worker and waits for it.
    pub async fn stop(self) {
        let _ = self.handle.tx.send(Command::Stop).await;
        let _ = self.task.await;
    }
}

fn apply(engine: &mut Engine, command: Command, demanded: &mut bool) {
    let outcome = match command {
        Command::Kick => {
            *demanded = true;
            Ok(())
        }
        Command::NetworkBack => engine.network_back(),
        Command::RetryNow(job) => {
            *demanded = true;
            engine.outbox().retry_now(job, engine.now()).map(|_| ())
        }
        Command::Stop => Ok(()),
    };
    if let Err(e) = outcome {
        tracing::warn!(error = %e, ?command, "sync command failed");
    }
}

async fn run(mut engine: Engine, mut rx: mpsc::Receiver<Command>) {
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut demanded = false;
    loop {
        let mut pending = Vec::new();
        let outcome = {
            let step = engine.step(demanded);
            tokio::pin!(step);
            loop {
                tokio::select! {
                    outcome = &mut step => break outcome,
                    command = rx.recv() => match command {
                        None | Some(Command::Stop) => return,
                        Some(c) => pending.push(c),
                    },
                }
            }
        };
        let wake = match outcome {
            Ok(Action::Wait { until, idle }) => {
                // A demand made while another process sends stands until this one may send.
                if idle != Idle::OtherSender {
                    demanded = false;
                }
                until.map(|u| {
                    Instant::now() + Duration::from_millis((u - engine.now()).max(0) as u64)
                })
            }
            Ok(_) => Some(Instant::now()),
            Err(e) => {
                tracing::warn!(error = %e, "sync step failed; trying again shortly");
                Some(Instant::now() + Duration::from_secs(5))
            }
        };
        // Commands that came in during the step ("Retry now", "Send now") were not seen by its
        // plan: apply them after the plan's own bookkeeping and plan again at once, instead of
        // sleeping until a wake time computed without them.
        if !pending.is_empty() {
            for command in pending {
                apply(&mut engine, command, &mut demanded);
            }
            continue;
        }
        if wake.is_some_and(|w| w <= Instant::now()) {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {}
            _ = ticker.tick() => {}
            command = rx.recv() => match command {
                None | Some(Command::Stop) => return,
                Some(c) => apply(&mut engine, c, &mut demanded),
            },
        }
    }
}
