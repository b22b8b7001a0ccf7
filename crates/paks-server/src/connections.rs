//! The accept loop: a cap on connections (503 beyond it), header and idle-body timeouts, TCP
//! keepalive, and a deadline on graceful shutdown.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use http_body::{Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use paks_protocol::{PROBLEM_CONTENT_TYPE, Problem, ProblemType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

use crate::config::Config;

/// Connections being answered 503 at once; the next ones wait in the listen backlog.
const MAX_REFUSALS: usize = 32;
/// File descriptors left for everything but served connections: the database, upload files,
/// refusals, the listener.
const RESERVED_FDS: u64 = 64 + MAX_REFUSALS as u64;
/// The most time spent on refusing one connection.
const REFUSAL_TIME: Duration = Duration::from_secs(2);
/// How long a refused connection's request head is waited for.
const HEAD_WAIT: Duration = Duration::from_millis(250);
/// A refused client that sends nothing for this long has sent its request.
const DRAIN_PAUSE: Duration = Duration::from_millis(50);
/// Seconds a refused client is told to wait.
const BUSY_RETRY_AFTER: u64 = 2;

/// Serves `app` on `listener` until `shutdown` completes; then calls `on_shutdown`, lets open
/// requests finish within `config.shutdown_timeout` and cuts the connections still open.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_shutdown: impl FnOnce(),
) {
    let cap = connection_cap(config.max_connections);
    let slots = Arc::new(Semaphore::new(cap));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let idle = config.body_idle_timeout;
    let app = app.layer(axum::middleware::map_request(move |req: Request| async move {
        req.map(|body| Body::new(IdleTimeoutBody::new(body, idle)))
    }));
    let service = TowerToHyperService::new(app);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(config.header_read_timeout).keep_alive(true);
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut at_cap = false;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    set_keepalive(&stream, config.tcp_keepalive);
                    let slot = match slots.clone().try_acquire_owned() {
                        Ok(slot) => slot,
                        // At the cap: a slot that frees first serves the connection, else it
                        // is refused. Waiting here leaves the next ones in the listen backlog,
                        // where they cost no file descriptor.
                        Err(_) => tokio::select! {
                            biased;
                            Ok(slot) = slots.clone().acquire_owned() => slot,
                            Ok(refusal) = refusals.clone().acquire_owned() => {
                                if !at_cap {
                                    tracing::warn!(cap, "at the connection cap: refusing with 503");
                                    at_cap = true;
                                }
                                tokio::spawn(async move {
                                    let _refusal = refusal;
                                    let _ = tokio::time::timeout(
                                        REFUSAL_TIME,
                                        answer_busy(stream, cap),
                                    )
                                    .await;
                                });
                                continue;
                            }
                        },
                    };
                    at_cap = false;
                    let conn = http.serve_connection(TokioIo::new(stream), service.clone());
                    let mut stopping = stopping.clone();
                    connections.spawn(async move {
                        let _slot: OwnedSemaphorePermit = slot;
                        tokio::pin!(conn);
                        let result = tokio::select! {
                            r = conn.as_mut() => r,
                            () = async { drop(stopping.wait_for(|s| *s).await) } => {
                                conn.as_mut().graceful_shutdown();
                                conn.await
                            }
                        };
                        if let Err(e) = result {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors, most likely: let open connections finish.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    drop(listener);
    on_shutdown();
    stop.send_replace(true);
    let finished = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(config.shutdown_timeout, finished).await.is_err() {
        tracing::warn!(
            connections = connections.len(),
            deadline_s = config.shutdown_timeout.as_secs_f64(),
            "shutdown deadline passed: cutting the connections still open"
        );
        connections.shutdown().await;
    }
}

/// `configured`, lowered so that the connections fit the process's open-file limit.
fn connection_cap(configured: usize) -> usize {
    let configured = configured.max(1);
    #[cfg(unix)]
    {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        if let Some(soft) = limit.current {
            let fit = usize::try_from(soft.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX);
            if fit < configured {
                tracing::warn!(
                    configured,
                    open_file_limit = soft,
                    cap = fit.max(1),
                    "connection cap lowered to fit the open-file limit (raise it with ulimit -n)"
                );
                return fit.max(1);
            }
        }
    }
    configured
}

fn set_keepalive(stream: &TcpStream, idle: Duration) {
    let keepalive = socket2::TcpKeepalive::new().with_time(idle);
    #[cfg(target_os = "linux")]
    let keepalive = keepalive.with_interval(Duration::from_secs(10)).with_retries(6);
    if let Err(e) = socket2::SockRef::from(stream).set_tcp_keepalive(&keepalive) {
        tracing::debug!(error = %e, "TCP keepalive not set");
    }
    let _ = stream.set_nodelay(true);
}

/// Answers a connection past the cap with 503 and `Retry-After`, then closes it.
async fn answer_busy(mut stream: TcpStream, cap: usize) -> std::io::Result<()> {
    // The answer goes after the request's head (an HTTP client may take an answer that comes
    // before its request for a broken connection); a head that does not come is not waited for.
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(HEAD_WAIT, async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        std::io::Result::Ok(())
    })
    .await;
    let mut problem = Problem::new(
        ProblemType::ServerBusy,
        format!(
            "the server is serving {cap} connections, its limit; retry in {BUSY_RETRY_AFTER} s"
        ),
    );
    problem.retry_after = Some(BUSY_RETRY_AFTER);
    let body = serde_json::to_vec(&problem)?;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: {PROBLEM_CONTENT_TYPE}\r\n\
         Retry-After: {BUSY_RETRY_AFTER}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(answer.as_bytes()).await?;
    stream.write_all(&body).await?;
    // Closing with unread request bytes would reset the connection, and the client could lose
    // the answer: read what it has sent (until it pauses), then close.
    while let Ok(Ok(n)) = tokio::time::timeout(DRAIN_PAUSE, stream.read(&mut buf)).await {
        if n == 0 {
            break;
        }
    }
    stream.shutdown().await
}

/// A request body that fails when the client sends nothing for `idle` while it is being read.
struct IdleTimeoutBody {
    inner: Body,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    waiting: bool,
    timed_out: bool,
}

impl IdleTimeoutBody {
    fn new(inner: Body, idle: Duration) -> Self {
        let timer = Box::pin(tokio::time::sleep(idle));
        Self { inner, idle, timer, waiting: false, timed_out: false }
    }
}

impl http_body::Body for IdleTimeoutBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if this.timed_out {
            return Poll::Ready(None);
        }
        if !this.waiting {
            this.timer.as_mut().reset(Instant::now() + this.idle);
            this.waiting = true;
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.waiting = false;
                Poll::Ready(frame)
            }
            Poll::Pending if this.timer.as_mut().poll(cx).is_ready() => {
                this.timed_out = true;
                Poll::Ready(Some(Err(axum::Error::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("the client sent nothing for {} s", this.idle.as_secs_f64()),
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.timed_out || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
