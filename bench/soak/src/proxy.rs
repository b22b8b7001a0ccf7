//! The cutting proxy between the desks and PAKS, on 127.0.0.1. Some connections are reset after
//! a random number of bytes (either way: a request cut while it is sent, an answer lost after
//! the server acted); some submission POSTs are let through whole and the connection is reset
//! within 30 ms, before or after PAKS answers (the link dropping while the desk waits for its
//! receipt); during an outage every open connection is reset and new ones are reset as they
//! arrive. In the quiet phase it only relays.
//!
//! The shaped-link benchmark has a proxy too (`crates/desk-sync/examples/shaped_link.rs`), but it
//! delays and cuts on a clock, not per connection, and lives in another crate's example; this
//! one is small enough to keep beside the harness.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::rng::Rng;

/// Half the cuts fall in a connection's first bytes (headers, a submission's small body, its
/// answer), the other half anywhere in an upload of up to this many bytes.
const SMALL_CUT_BYTES: u64 = 16 * 1024;
const LARGE_CUT_BYTES: u64 = 4 << 20;

/// What a submission's request starts with (plain HTTP/1.1 on loopback).
const SUBMISSION_POST: &[u8] = b"POST /api/v1/submissions";

#[derive(Default)]
pub struct ProxyCounters {
    pub connections: AtomicU64,
    pub cut_mid_stream: AtomicU64,
    pub submission_posts: AtomicU64,
    pub cut_awaiting_answer: AtomicU64,
    pub reset_by_outage: AtomicU64,
    pub refused_during_outage: AtomicU64,
    pub bytes_relayed: AtomicU64,
}

struct ProxyState {
    target: SocketAddr,
    cut_probability: f64,
    answer_cut_probability: f64,
    rng: Mutex<Rng>,
    quiet: AtomicBool,
    down: AtomicBool,
    /// Bumped at the start of each outage; every relay watches it.
    outages: watch::Sender<u64>,
    counters: ProxyCounters,
}

pub struct CuttingProxy {
    addr: SocketAddr,
    state: Arc<ProxyState>,
    task: JoinHandle<()>,
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CuttingProxy {
    pub async fn start(
        target: SocketAddr,
        cut_probability: f64,
        answer_cut_probability: f64,
        rng: Rng,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(ProxyState {
            target,
            cut_probability,
            answer_cut_probability,
            rng: Mutex::new(rng),
            quiet: AtomicBool::new(true),
            down: AtomicBool::new(false),
            outages: watch::channel(0).0,
            counters: ProxyCounters::default(),
        });
        let task = tokio::spawn(accept_loop(listener, state.clone()));
        Ok(Self { addr, state, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn counters(&self) -> &ProxyCounters {
        &self.state.counters
    }

    /// Quiet: relay only, no cuts (set-up and the final phase).
    pub fn set_quiet(&self, quiet: bool) {
        self.state.quiet.store(quiet, Ordering::SeqCst);
    }

    /// Starts an outage: open connections are reset, new ones too until `end_outage`.
    pub fn begin_outage(&self) {
        self.state.down.store(true, Ordering::SeqCst);
        self.state.outages.send_modify(|n| *n += 1);
    }

    pub fn end_outage(&self) {
        self.state.down.store(false, Ordering::SeqCst);
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<ProxyState>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait instead of spinning.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        if state.down.load(Ordering::SeqCst) {
            state.counters.refused_during_outage.fetch_add(1, Ordering::Relaxed);
            let _ = client.set_zero_linger();
            continue;
        }
        state.counters.connections.fetch_add(1, Ordering::Relaxed);
        let cut_at = planned_cut(&state);
        let state = state.clone();
        tokio::spawn(async move {
            let Ok(upstream) = TcpStream::connect(state.target).await else {
                let _ = client.set_zero_linger();
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = upstream.set_nodelay(true);
            relay(client, upstream, cut_at, state).await;
        });
    }
}

/// After how many bytes (both ways together) this connection is reset, if at all.
fn planned_cut(state: &ProxyState) -> Option<u64> {
    if state.quiet.load(Ordering::SeqCst) {
        return None;
    }
    let Ok(mut rng) = state.rng.lock() else { return None };
    if !rng.chance(state.cut_probability) {
        return None;
    }
    Some(if rng.chance(0.5) {
        rng.below(0, SMALL_CUT_BYTES)
    } else {
        rng.below(SMALL_CUT_BYTES, LARGE_CUT_BYTES)
    })
}

/// Whether to lose this submission's answer, and when: within 30 ms of the request, so the
/// reset falls before, while or just after PAKS acts on it.
fn planned_answer_cut(state: &ProxyState) -> Option<std::time::Duration> {
    if state.quiet.load(Ordering::SeqCst) {
        return None;
    }
    let Ok(mut rng) = state.rng.lock() else { return None };
    rng.chance(state.answer_cut_probability)
        .then(|| std::time::Duration::from_millis(rng.below(0, 30)))
}

enum End {
    Closed,
    Cut,
    AnswerCut,
    Outage,
}

/// How much of `n` new bytes may pass before the planned cut, and whether the cut is now.
fn allowance(cut_at: Option<u64>, passed: u64, n: usize) -> (usize, bool) {
    match cut_at {
        Some(at) if passed + n as u64 >= at => ((at.saturating_sub(passed)) as usize, true),
        _ => (n, false),
    }
}

async fn relay(
    mut client: TcpStream,
    mut upstream: TcpStream,
    cut_at: Option<u64>,
    state: Arc<ProxyState>,
) {
    let mut outages = state.outages.subscribe();
    let mut cbuf = vec![0u8; 64 * 1024];
    let mut ubuf = vec![0u8; 64 * 1024];
    let mut passed = 0u64;
    let mut answer_cut: Option<tokio::time::Instant> = None;
    let (mut client_eof, mut upstream_eof) = (false, false);
    let end = {
        let (mut cr, mut cw) = client.split();
        let (mut ur, mut uw) = upstream.split();
        loop {
            if client_eof && upstream_eof {
                break End::Closed;
            }
            let far = tokio::time::Instant::now() + std::time::Duration::from_secs(3600);
            let (read, to_upstream) = tokio::select! {
                changed = outages.changed() => match changed {
                    Ok(()) => break End::Outage,
                    Err(_) => break End::Closed,
                },
                _ = tokio::time::sleep_until(answer_cut.unwrap_or(far)), if answer_cut.is_some() => {
                    break End::AnswerCut;
                }
                r = cr.read(&mut cbuf), if !client_eof => (r, true),
                r = ur.read(&mut ubuf), if !upstream_eof => (r, false),
            };
            let n = match read {
                Ok(0) | Err(_) => {
                    if to_upstream {
                        client_eof = true;
                        let _ = uw.shutdown().await;
                    } else {
                        upstream_eof = true;
                        let _ = cw.shutdown().await;
                    }
                    continue;
                }
                Ok(n) => n,
            };
            if !to_upstream && answer_cut.is_some() {
                // The answer came first: it is lost with the connection.
                break End::AnswerCut;
            }
            if to_upstream && cbuf[..n].windows(SUBMISSION_POST.len()).any(|w| w == SUBMISSION_POST)
            {
                state.counters.submission_posts.fetch_add(1, Ordering::Relaxed);
                if answer_cut.is_none()
                    && let Some(after) = planned_answer_cut(&state)
                {
                    answer_cut = Some(tokio::time::Instant::now() + after);
                }
            }
            let (take, cut_now) = allowance(cut_at, passed, n);
            let written = if to_upstream {
                uw.write_all(&cbuf[..take]).await
            } else {
                cw.write_all(&ubuf[..take]).await
            };
            passed += take as u64;
            state.counters.bytes_relayed.fetch_add(take as u64, Ordering::Relaxed);
            if written.is_err() {
                break End::Closed;
            }
            if cut_now {
                break End::Cut;
            }
        }
    };
    match end {
        End::Closed => return,
        End::Cut => state.counters.cut_mid_stream.fetch_add(1, Ordering::Relaxed),
        End::AnswerCut => state.counters.cut_awaiting_answer.fetch_add(1, Ordering::Relaxed),
        End::Outage => state.counters.reset_by_outage.fetch_add(1, Ordering::Relaxed),
    };
    let _ = client.set_zero_linger();
    let _ = upstream.set_zero_linger();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_lets_through_exactly_the_planned_bytes() {
        assert_eq!(allowance(None, 100, 50), (50, false));
        assert_eq!(allowance(Some(120), 100, 50), (20, true));
        assert_eq!(allowance(Some(150), 100, 50), (50, true));
        assert_eq!(allowance(Some(151), 100, 50), (50, false));
        assert_eq!(allowance(Some(0), 0, 10), (0, true));
    }
}
