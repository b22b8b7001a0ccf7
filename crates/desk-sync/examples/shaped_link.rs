//! The two sides of the shaped-link benchmark; `scripts/bench-shaped-link.sh` builds the network
//! namespaces and the rate limit (tbf) and runs them. Not a test: it measures, it asserts nothing.
//!
//! `server` (in the server namespace) runs the real paks-server on loopback and the link proxy:
//! every route relays TCP and holds each piece of data `--delay-ms` before passing it on, each
//! way; every `--cut-every` seconds the link is cut for `--cut-for` seconds: open connections are
//! reset and new ones are reset as soon as they arrive. Per route it counts the bytes clients send
//! and, after each cut, how long until a client sent again. It writes these to `--stats` (JSON).
//!
//! With `--release-file PATH` the server also publishes that file as a desk release (version
//! 99.0.0 for this platform), signed with a throwaway minisign key whose public half goes to
//! `--update-key-out`.
//!
//! `client` (in the client namespace) connects a fresh data folder to PAKS, submits a case with
//! one file and sends it with desk-sync's engine, as the app does; it prints one JSON line, and
//! logs the engine's steps (time since start) to stderr, the level from `RUST_LOG` (info).
//! `update` connects a fresh data folder and downloads the offered release with desk-sync's
//! update download, as the app and `paks-desk-cli update download` do; it prints one JSON line.
//! Both reach PAKS through a relay on their own loopback: desk-sync speaks plain http:// only to
//! loopback.
//!
//! ```text
//! shaped_link server --data DIR --paks 127.0.0.1:8640 --route 0.0.0.0:9000=127.0.0.1:8640 \
//!     [--route LISTEN=TARGET]... --delay-ms 150 --cut-every 30 --cut-for 5 --stats FILE --token-out FILE \
//!     [--release-file PATH --update-key-out FILE]
//! shaped_link client --data DIR --url http://10.77.0.2:9000 --token-file FILE --file PATH
//! shaped_link update --data DIR --url http://10.77.0.2:9000 --token-file FILE --key-file FILE
//! ```

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use desk_core::{Framework, LinkInput, Profile, Store};
use desk_sync::{Action, Engine, Idle, SyncEvent, file_to_send, now_ms, submit_case};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    match args.first().map(String::as_str) {
        Some("server") => rt.block_on(server(Flags::parse(&args[1..])?)),
        Some(mode @ ("client" | "update")) => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info".into()),
                )
                .with_writer(std::io::stderr)
                .init();
            let flags = Flags::parse(&args[1..])?;
            if mode == "client" { rt.block_on(client(flags)) } else { rt.block_on(update(flags)) }
        }
        _ => {
            Err("usage: shaped_link server|client|update --flag value ... (see the source)".into())
        }
    }
}

struct Flags(Vec<(String, String)>);

impl Flags {
    fn parse(args: &[String]) -> Result<Self, BoxError> {
        let mut pairs = Vec::new();
        for pair in args.chunks(2) {
            match pair {
                [k, v] if k.starts_with("--") => pairs.push((k[2..].to_owned(), v.clone())),
                _ => return Err(format!("expected --flag value, got {pair:?}").into()),
            }
        }
        Ok(Self(pairs))
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    fn get(&self, key: &str) -> Result<&str, BoxError> {
        self.all(key).last().copied().ok_or_else(|| format!("--{key} is required").into())
    }

    fn num(&self, key: &str) -> Result<u64, BoxError> {
        Ok(self.get(key)?.parse()?)
    }
}

/// What one route saw.
#[derive(Default)]
struct RouteStats {
    client_bytes: AtomicU64,
    /// Bytes relayed from PAKS to the client (a download's, re-fetched ones included).
    server_bytes: AtomicU64,
    connections: AtomicU64,
    resets: AtomicU64,
    /// Seconds from each link return to the first byte a client sent after it.
    resume_after_cut: Mutex<Vec<f64>>,
    /// Set when the link comes back; the first client byte after it records the delay.
    waiting_since: Mutex<Option<Instant>>,
}

impl RouteStats {
    fn client_sent(&self, n: usize) {
        self.client_bytes.fetch_add(n as u64, Ordering::Relaxed);
        if let Ok(mut since) = self.waiting_since.lock()
            && let Some(at) = since.take()
            && let Ok(mut list) = self.resume_after_cut.lock()
        {
            list.push(at.elapsed().as_secs_f64());
        }
    }
}

struct Link {
    delay: Duration,
    /// Incremented at every cut; relays watch it.
    cuts: watch::Sender<u64>,
    down: AtomicBool,
}

async fn server(flags: Flags) -> Result<(), BoxError> {
    let data = PathBuf::from(flags.get("data")?);
    let mut config = paks_server::Config::new(&data);
    config.name = "PAKS benchmark server".into();
    let state: paks_server::http::SharedState = Arc::new(paks_server::open_state(config)?);
    let (_, token) = paks_server::operator::add_focal_point(
        &*state.meta,
        "LAO",
        "Benchmark",
        "bench@example.org",
        Some(30),
    )?;
    std::fs::write(flags.get("token-out")?, token)?;
    if let Some(release) = flags.all("release-file").last() {
        let public_key = publish_release(&state, &data, std::path::Path::new(release))?;
        std::fs::write(flags.get("update-key-out")?, public_key)?;
    }
    let listener = TcpListener::bind(flags.get("paks")?).await?;
    tokio::spawn(paks_server::serve_state(listener, state, std::future::pending()));

    let (cuts, _) = watch::channel(0u64);
    let link = Arc::new(Link {
        delay: Duration::from_millis(flags.num("delay-ms")?),
        cuts,
        down: AtomicBool::new(false),
    });
    let mut routes: Vec<(String, Arc<RouteStats>)> = Vec::new();
    for route in flags.all("route") {
        let (listen, target) =
            route.split_once('=').ok_or_else(|| format!("--route LISTEN=TARGET, got {route}"))?;
        let target: SocketAddr = target.parse()?;
        let stats = Arc::new(RouteStats::default());
        routes.push((listen.to_owned(), stats.clone()));
        let listener = TcpListener::bind(listen).await?;
        tokio::spawn(accept_loop(listener, target, link.clone(), stats));
    }

    let every = Duration::from_secs(flags.num("cut-every")?);
    let cut_for = Duration::from_secs(flags.num("cut-for")?);
    let stats_path = PathBuf::from(flags.get("stats")?);
    let started = Instant::now();
    let mut next_cut = started + every.saturating_sub(cut_for);
    let mut cut_count = 0u64;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next_cut) => {
                let resets: Vec<u64> =
                    routes.iter().map(|(_, s)| s.resets.load(Ordering::Relaxed)).collect();
                link.down.store(true, Ordering::SeqCst);
                cut_count += 1;
                link.cuts.send_replace(cut_count);
                println!("{} cut {cut_count}", wall_clock());
                tokio::time::sleep(cut_for).await;
                link.down.store(false, Ordering::SeqCst);
                println!("{} back {cut_count}", wall_clock());
                let back = Instant::now();
                // Only a route whose client was cut off (or knocked during the cut) waits for it.
                for ((_, stats), before) in routes.iter().zip(resets) {
                    if stats.resets.load(Ordering::Relaxed) > before
                        && let Ok(mut since) = stats.waiting_since.lock()
                    {
                        *since = Some(back);
                    }
                }
                next_cut = back + every.saturating_sub(cut_for);
            }
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        write_stats(&stats_path, &routes, cut_count, started)?;
    }
}

fn write_stats(
    path: &std::path::Path,
    routes: &[(String, Arc<RouteStats>)],
    cuts: u64,
    started: Instant,
) -> Result<(), BoxError> {
    let mut out = serde_json::Map::new();
    for (listen, s) in routes {
        let resumes = s.resume_after_cut.lock().map(|l| l.clone()).unwrap_or_default();
        out.insert(
            listen.clone(),
            serde_json::json!({
                "client_bytes": s.client_bytes.load(Ordering::Relaxed),
                "server_bytes": s.server_bytes.load(Ordering::Relaxed),
                "connections": s.connections.load(Ordering::Relaxed),
                "resets": s.resets.load(Ordering::Relaxed),
                "resume_after_cut_s": resumes,
            }),
        );
    }
    let doc = serde_json::json!({
        "cuts": cuts,
        "uptime_s": started.elapsed().as_secs_f64(),
        "routes": out,
    });
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&doc)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Seconds since the Unix epoch, to line the cuts up with the client's log.
fn wall_clock() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    format!("{:.3}", now.map(|d| d.as_secs_f64()).unwrap_or(0.0))
}

async fn accept_loop(
    listener: TcpListener,
    target: SocketAddr,
    link: Arc<Link>,
    stats: Arc<RouteStats>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else { return };
        if link.down.load(Ordering::SeqCst) {
            stats.resets.fetch_add(1, Ordering::Relaxed);
            let _ = client.set_zero_linger();
            continue;
        }
        stats.connections.fetch_add(1, Ordering::Relaxed);
        let (link, stats) = (link.clone(), stats.clone());
        tokio::spawn(async move {
            let Ok(upstream) = TcpStream::connect(target).await else { return };
            let _ = client.set_nodelay(true);
            let _ = upstream.set_nodelay(true);
            relay(client, upstream, link, stats).await;
        });
    }
}

/// Bytes read but not yet due to be written, per direction; reading pauses above this.
const QUEUE_LIMIT: usize = 4 << 20;

struct Delayed {
    queue: VecDeque<(Instant, Vec<u8>)>,
    bytes: usize,
    eof: bool,
    shut: bool,
}

impl Delayed {
    fn new() -> Self {
        Self { queue: VecDeque::new(), bytes: 0, eof: false, shut: false }
    }

    fn due(&self) -> Option<Instant> {
        self.queue.front().map(|(at, _)| *at)
    }
}

/// Relays both ways with the delay, until both sides close or the link is cut (then both
/// sockets are reset).
async fn relay(
    mut client: TcpStream,
    mut upstream: TcpStream,
    link: Arc<Link>,
    stats: Arc<RouteStats>,
) {
    let mut cuts = link.cuts.subscribe();
    let mut up = Delayed::new();
    let mut down = Delayed::new();
    let mut cbuf = vec![0u8; 16 * 1024];
    let mut ubuf = vec![0u8; 16 * 1024];
    let cut = {
        let (mut cr, mut cw) = client.split();
        let (mut ur, mut uw) = upstream.split();
        loop {
            let far = Instant::now() + Duration::from_secs(3600);
            tokio::select! {
                _ = cuts.changed() => break true,
                r = cr.read(&mut cbuf), if !up.eof && up.bytes < QUEUE_LIMIT => match r {
                    Ok(0) | Err(_) => up.eof = true,
                    Ok(n) => {
                        stats.client_sent(n);
                        up.bytes += n;
                        up.queue.push_back((Instant::now() + link.delay, cbuf[..n].to_vec()));
                    }
                },
                r = ur.read(&mut ubuf), if !down.eof && down.bytes < QUEUE_LIMIT => match r {
                    Ok(0) | Err(_) => down.eof = true,
                    Ok(n) => {
                        down.bytes += n;
                        down.queue.push_back((Instant::now() + link.delay, ubuf[..n].to_vec()));
                    }
                },
                _ = tokio::time::sleep_until(up.due().unwrap_or(far)), if up.due().is_some() => {
                    if let Some((_, data)) = up.queue.pop_front() {
                        up.bytes -= data.len();
                        if uw.write_all(&data).await.is_err() {
                            break false;
                        }
                    }
                },
                _ = tokio::time::sleep_until(down.due().unwrap_or(far)), if down.due().is_some() => {
                    if let Some((_, data)) = down.queue.pop_front() {
                        down.bytes -= data.len();
                        if cw.write_all(&data).await.is_err() {
                            break false;
                        }
                        stats.server_bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                    }
                },
            }
            if up.eof && up.queue.is_empty() && !up.shut {
                up.shut = true;
                let _ = uw.shutdown().await;
            }
            if down.eof && down.queue.is_empty() && !down.shut {
                down.shut = true;
                let _ = cw.shutdown().await;
            }
            if up.shut && down.shut {
                break false;
            }
        }
    };
    if cut {
        stats.resets.fetch_add(1, Ordering::Relaxed);
        let _ = client.set_zero_linger();
        let _ = upstream.set_zero_linger();
    }
}

async fn client(flags: Flags) -> Result<(), BoxError> {
    let data = PathBuf::from(flags.get("data")?);
    let url = &loopback_relay(flags.get("url")?).await?;
    let token = std::fs::read_to_string(flags.get("token-file")?)?;
    let file = PathBuf::from(flags.get("file")?);
    let store = Arc::new(Store::open(&data)?);
    store.set_profile(&Profile {
        name: "Benchmark".into(),
        title: "Director".into(),
        institution: "Ministry of Technology and Communications".into(),
        email: "bench@example.org".into(),
        country: "LAO".into(),
    })?;
    let case = store.create_case("Shaped link benchmark", Some("LAO"))?;
    for (field, value) in [
        (desk_core::CaseField::Summary, "A deck sent over a slow link that drops."),
        (desk_core::CaseField::Problem, "Links drop every few minutes."),
        (desk_core::CaseField::Solution, "Resumable uploads."),
        (desk_core::CaseField::Results, "It arrives once, whole."),
    ] {
        store.set_field(case.id, field, value)?;
    }
    store.link_goal(
        case.id,
        &LinkInput {
            framework: Framework::Mdg,
            target: "8.F".into(),
            indicator: Some("8.16".into()),
            note: "Services reach people online.".into(),
        },
    )?;
    desk_sync::connect(&store, &data, url, token.trim(), None, desk_sync::KeyChange::Refuse)
        .await?;

    let uploaded_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
    let errors: Arc<Mutex<HashMap<String, u32>>> = Arc::new(Mutex::new(HashMap::new()));
    let (seen_done, seen_errors) = (uploaded_at.clone(), errors.clone());
    let events = Arc::new(move |e: &SyncEvent| match e {
        SyncEvent::Progress(p) if p.file_bytes_confirmed >= p.file_bytes_total => {
            if let Ok(mut at) = seen_done.lock() {
                at.get_or_insert_with(Instant::now);
            }
        }
        SyncEvent::Job { message: Some(m), .. } => {
            if let Ok(mut errors) = seen_errors.lock() {
                *errors.entry(m.chars().take(60).collect()).or_default() += 1;
            }
        }
        _ => {}
    });
    let mut engine = Engine::open(&data, store.clone(), events)?;
    let to_send = file_to_send(&file)?;
    let size = to_send.size;
    submit_case(&store, engine.outbox(), case.id, &[to_send], now_ms())?;
    let started = Instant::now();
    // As the app's worker does: sleep until the plan's wake time (a probe, a retry) and go on,
    // until nothing is left to send.
    let idle = loop {
        let action = engine.step(true).await?;
        tracing::debug!(?action, "step");
        match action {
            Action::Wait { idle: Idle::WaitingNetwork | Idle::WaitingRetry, until } => {
                let wait = until.map_or(1000, |u| u - now_ms()).clamp(0, 60_000);
                tracing::info!(wait_ms = wait, "waiting");
                tokio::time::sleep(Duration::from_millis(wait as u64)).await;
            }
            Action::Wait { idle, .. } => break idle,
            _ => {}
        }
    };
    let finished = started.elapsed().as_secs_f64();
    let upload_s =
        uploaded_at.lock().ok().and_then(|at| *at).map(|at| (at - started).as_secs_f64());
    let submitted = store.case(case.id)?.submission_id.is_some();
    let line = serde_json::json!({
        "client": "desk-sync",
        "file_bytes": size,
        "upload_s": upload_s,
        "until_receipt_s": finished,
        "idle": idle,
        "submitted_with_verified_receipt": submitted,
        "interruptions": errors.lock().map(|e| e.clone()).unwrap_or_default(),
    });
    println!("{line}");
    Ok(())
}

/// A relay on this namespace's loopback to PAKS at `url`; returns the relay's address.
async fn loopback_relay(url: &str) -> Result<String, BoxError> {
    let target = url.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else { return };
            let target = target.clone();
            tokio::spawn(async move {
                let Ok(mut upstream) = TcpStream::connect(&target).await else { return };
                let _ = client.set_nodelay(true);
                let _ = upstream.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    Ok(format!("http://{addr}"))
}

/// Publishes the file at `release` as desk release 99.0.0 for this platform, signed with a
/// throwaway key; returns its public key as tauri.conf.json holds one.
fn publish_release(
    state: &paks_server::http::SharedState,
    data: &std::path::Path,
    release: &std::path::Path,
) -> Result<String, BoxError> {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    let bytes = std::fs::read(release)?;
    let pair = minisign::KeyPair::generate_unencrypted_keypair()?;
    let signature = minisign::sign(None, &pair.sk, std::io::Cursor::new(&bytes), None, None)?;
    let sig = data.join("release.sig");
    std::fs::write(&sig, STANDARD.encode(signature.to_string()))?;
    let (target, arch) = desk_sync::update::this_platform().ok_or("no updates for this system")?;
    paks_server::desk_releases::add(
        &state.config,
        &*state.meta,
        "99.0.0",
        &format!("{target}-{arch}"),
        release,
        &sig,
        "Benchmark release",
    )?;
    Ok(STANDARD.encode(pair.pk.to_box()?.to_string()))
}

/// Connects a fresh data folder and downloads the release PAKS offers, as the app does.
async fn update(flags: Flags) -> Result<(), BoxError> {
    let data = PathBuf::from(flags.get("data")?);
    let url = loopback_relay(flags.get("url")?).await?;
    let token = std::fs::read_to_string(flags.get("token-file")?)?;
    let key = std::fs::read_to_string(flags.get("key-file")?)?;
    let store = Store::open(&data)?;
    desk_sync::connect(&store, &data, &url, token.trim(), None, desk_sync::KeyChange::Refuse)
        .await?;
    let client = desk_sync::update::update_client(&store)?;
    let (target, arch) = desk_sync::update::this_platform().ok_or("no updates for this system")?;
    let offer = client.update_offer(target, arch, "0.1.0").await?.ok_or("no update offered")?;
    let started = Instant::now();
    let mut last_logged = 0u64;
    let path = desk_sync::update::download_update(
        &client,
        &offer,
        key.trim(),
        &data.join("updates"),
        &desk_sync::update::DownloadOptions::default(),
        |p| {
            if p.received >= last_logged + (1 << 20) || p.received == p.size {
                last_logged = p.received;
                tracing::info!(received = p.received, size = p.size, "update download");
            }
        },
    )
    .await?;
    let download_s = started.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "client": "desk-sync update download",
        "file_bytes": offer.size,
        "download_s": download_s,
        "verified": path.is_file(),
    });
    println!("{line}");
    Ok(())
}
