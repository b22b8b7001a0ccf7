use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use paks_protocol::SubmissionState;
use paks_server::metadata::MetadataStore;
use paks_server::sqlite_store::SqliteMetadataStore;
use paks_server::{Config, operator};
use uuid::Uuid;

/// The reference PAKS server and its operator commands.
#[derive(Parser)]
#[command(name = "paks-server", version)]
struct Cli {
    /// Data directory: SQLite database, server key, uploads.
    #[arg(long, global = true, env = "PAKS_DATA", default_value = "paks-data")]
    data: PathBuf,
    /// The database: a SQLite file (default: paks.sqlite3 in --data) or postgres://user:pw@host/db,
    /// which several instances share.
    #[arg(long, global = true, env = "PAKS_DATABASE")]
    database: Option<String>,
    /// Where uploads are kept: a folder (default: uploads/ in --data) or s3://bucket/prefix,
    /// configured by AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL
    /// and AWS_ALLOW_HTTP.
    #[arg(long, global = true, env = "PAKS_STORAGE")]
    storage: Option<String>,
    /// The receipt signing key (default: server-key.ed25519 in --data); instances behind one
    /// address are given the same file.
    #[arg(long, global = true, env = "PAKS_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Log lines on stderr: text, or json (one object a line; a request's lines carry its
    /// request_id).
    #[arg(long, global = true, env = "PAKS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8640")]
        listen: SocketAddr,
        /// Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464: an address of
        /// their own, never the public one (default: no metrics).
        #[arg(long)]
        metrics_listen: Option<SocketAddr>,
        /// Display name, also signed into receipts.
        #[arg(long, default_value = "PAKS reference server")]
        name: String,
        /// Tus-Max-Size in bytes.
        #[arg(long, default_value_t = paks_server::config::DEFAULT_MAX_UPLOAD)]
        max_upload_size: u64,
        /// Hours an upload not attached to a submission is kept.
        #[arg(long, default_value_t = 168)]
        upload_ttl_hours: u64,
        /// Requests a token may make in a burst.
        #[arg(long, default_value_t = 600)]
        rate_burst: u32,
        /// Sustained requests per second per token.
        #[arg(long, default_value_t = 20.0)]
        rate_per_second: f64,
        /// The server's public address (e.g. https://paks.example.org): OAI-PMH's baseURL and
        /// the case page URLs it hands out. Default: http:// and the request's Host.
        #[arg(long)]
        public_url: Option<String>,
        /// OAI-PMH adminEmail.
        #[arg(long, default_value = "paks-operator@example.org")]
        oai_admin_email: String,
        /// Test hook: milliseconds a submission waits after claiming its Idempotency-Key.
        #[arg(long, hide = true, default_value_t = 0)]
        test_processing_delay_ms: u64,
        #[command(flatten)]
        limits: Limits,
    },
    /// Manage focal points and their API tokens.
    FocalPoint {
        #[command(subcommand)]
        command: FocalPointCommand,
    },
    /// Manage the accounts of the reviewers' web console (/console).
    Reviewer {
        #[command(subcommand)]
        command: ReviewerCommand,
    },
    /// Review submissions.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Submit a hand-carried case: a BagIt zip bag from PAKS Desk or any BagIt tool.
    ImportBag {
        /// The bag (.zip).
        file: PathBuf,
        /// The focal point it is submitted for (default: the one of the case's country, or the
        /// one whose e-mail the bag names).
        #[arg(long)]
        focal_point: Option<i64>,
    },
    /// Publish PAKS Desk releases: the desks' update feed.
    Release {
        #[command(subcommand)]
        command: ReleaseCommand,
    },
    /// Publications: the proceedings of an event, built from its published cases.
    Publication {
        #[command(subcommand)]
        command: PublicationCommand,
    },
    /// Print the server's public key (standard base64), for clients to pin.
    Key,
    /// Back up the embedded default (the SQLite database, the upload and release files, the
    /// signing key) into one archive, while the server runs. PostgreSQL and S3: see
    /// docs/server.md.
    Backup {
        /// The archive to write (a tar file; refused if it exists). It holds the signing key:
        /// keep it as secret as the data folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into --data, which must be empty or absent; every file is checked
    /// against the backup's manifest.
    Restore {
        /// The archive `backup` wrote.
        #[arg(long)]
        from: PathBuf,
    },
    /// Print the OpenAPI document.
    Openapi,
}

/// Connection and storage limits of `serve`; each left out keeps `Config::new`'s default.
#[derive(clap::Args)]
struct Limits {
    /// Connections served at once (default 1024, lowered to fit `ulimit -n`); more are answered
    /// 503 with Retry-After.
    #[arg(long)]
    max_connections: Option<usize>,
    /// Seconds a request's header may take to arrive; also closes idle keep-alive connections
    /// (default 20).
    #[arg(long)]
    header_timeout_secs: Option<u64>,
    /// Seconds a request body may send nothing before it counts as broken off (default 60).
    #[arg(long)]
    body_idle_timeout_secs: Option<u64>,
    /// Seconds open requests get to finish on SIGTERM/SIGINT before they are cut (default 10).
    #[arg(long)]
    shutdown_timeout_secs: Option<u64>,
    /// Uploads a focal point may hold that are not part of a submission (default 200).
    #[arg(long)]
    max_open_uploads: Option<u32>,
    /// Bytes those uploads may declare in total (default 20 GiB).
    #[arg(long)]
    max_open_upload_bytes: Option<u64>,
    /// Free disk bytes that uploads must leave (default 1 GiB); beyond, creation answers 507.
    #[arg(long)]
    disk_reserve_bytes: Option<u64>,
}

impl Limits {
    fn apply(self, config: &mut Config) {
        let secs = Duration::from_secs;
        config.max_connections = self.max_connections.unwrap_or(config.max_connections);
        config.header_read_timeout =
            self.header_timeout_secs.map_or(config.header_read_timeout, secs);
        config.body_idle_timeout =
            self.body_idle_timeout_secs.map_or(config.body_idle_timeout, secs);
        config.shutdown_timeout = self.shutdown_timeout_secs.map_or(config.shutdown_timeout, secs);
        config.max_open_uploads = self.max_open_uploads.unwrap_or(config.max_open_uploads);
        config.max_open_upload_bytes =
            self.max_open_upload_bytes.unwrap_or(config.max_open_upload_bytes);
        config.disk_reserve_bytes = self.disk_reserve_bytes.unwrap_or(config.disk_reserve_bytes);
    }
}

#[derive(Subcommand)]
enum FocalPointCommand {
    /// Register a focal point and print its API token (shown once).
    Add {
        /// ISO 3166-1 alpha-3, e.g. LAO.
        #[arg(long)]
        country: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// Days until the token expires (0: never).
        #[arg(long, default_value_t = 365)]
        valid_days: u32,
    },
    List,
    /// Revoke a focal point's token.
    Revoke {
        id: i64,
    },
}

#[derive(Subcommand)]
enum PublicationCommand {
    /// Write the proceedings of an event: title page, contents, overview, one chapter per
    /// published case (newest version), indexes by MDG and SDG target.
    Build {
        /// The event's full name, as placed with `set-event` and printed on the title page.
        #[arg(long)]
        event: String,
        /// The document: proceedings.pdf or proceedings.docx.
        #[arg(long)]
        out: PathBuf,
        /// Every published case, whatever its event.
        #[arg(long)]
        every_published: bool,
        /// The date printed on the title page (default: today, UTC).
        #[arg(long)]
        date: Option<String>,
    },
    /// Place a case (by one of its submission ids or its case uid) in an event.
    SetEvent {
        id: Uuid,
        /// The event's full name, e.g. "Special Workshop on ICT Access and e-Government for
        /// Achieving the MDGs, Seoul, 18 June 2010".
        #[arg(long, required_unless_present = "clear")]
        event: Option<String>,
        /// Take the case out of its event.
        #[arg(long, conflicts_with = "event")]
        clear: bool,
    },
    /// The cases placed in events: event and case uid, one a line.
    Events,
}

#[derive(Subcommand)]
enum ReviewerCommand {
    /// Create an account; its password is read from standard input (one line, at least 12
    /// characters), e.g. `paks-server reviewer add --email ana@example.org < password-file`.
    Add {
        #[arg(long)]
        email: String,
    },
    List,
    /// Delete an account and its sessions; its decisions stay in the audit log.
    Remove {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum ReleaseCommand {
    /// Publish a signed installer or update bundle; desks older than VERSION are offered it.
    Add {
        /// Semantic version, e.g. 0.2.0.
        #[arg(long)]
        version: String,
        /// linux-x86_64 or windows-x86_64.
        #[arg(long)]
        target: String,
        /// The file desks download and install.
        #[arg(long)]
        file: PathBuf,
        /// Its signature from `tauri signer sign` (FILE.sig).
        #[arg(long)]
        signature: PathBuf,
        /// What changed, shown to the focal point before installing.
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// List published releases of a target.
    List {
        #[arg(long)]
        target: String,
    },
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// List submissions, optionally in one state.
    List {
        #[arg(long)]
        state: Option<String>,
    },
    /// Print a submission's case document and files.
    Show { id: Uuid },
    /// Mark as under review.
    Start { id: Uuid },
    /// Publish to the knowledge space.
    Publish { id: Uuid },
    /// Send back with a comment for the focal point.
    RequestChanges {
        id: Uuid,
        #[arg(long)]
        comment: String,
    },
    /// Refuse for good, with a reason for the focal point.
    Reject {
        id: Uuid,
        #[arg(long)]
        reason: String,
    },
    /// Print the audit log of review decisions (console and command line), oldest first.
    Audit {
        /// Only the decisions on this submission.
        #[arg(long)]
        submission: Option<Uuid>,
    },
    /// Withdraw a published case (every version) from the public space, the change feed and
    /// OAI-PMH, which then show it as deleted. ID is any submission of the case, or its case uid.
    /// Publishing a version again brings it back.
    Withdraw { id: Uuid },
}

impl Cli {
    fn config(&self) -> Config {
        let mut config = Config::new(&self.data);
        config.database = self.database.clone();
        config.storage = self.storage.clone();
        config.key_file = self.key_file.clone();
        config
    }
}

/// The metadata store of `config`; a PostgreSQL one runs on the runtime entered by the caller.
fn metadata(config: &Config) -> anyhow::Result<Box<dyn MetadataStore>> {
    if let Some(url) = config.postgres_url() {
        return Ok(Box::new(paks_server::pg_store::PostgresMetadataStore::connect(url)?));
    }
    let data = &config.data_dir;
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    Ok(Box::new(SqliteMetadataStore::open(&config.database_path())?))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing open requests within the shutdown timeout");
}

fn init_logging(format: LogFormat) {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().with_current_span(true).with_span_list(false).init(),
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let base_config = cli.config();
    // The PostgreSQL and S3 stores run their requests on a tokio runtime.
    let runtime = tokio::runtime::Runtime::new()?;
    let entered = runtime.enter();
    match cli.command {
        Command::Serve {
            listen,
            metrics_listen,
            name,
            max_upload_size,
            upload_ttl_hours,
            rate_burst,
            rate_per_second,
            test_processing_delay_ms,
            public_url,
            oai_admin_email,
            limits,
        } => {
            let mut config = base_config;
            config.name = name;
            config.max_upload_size = max_upload_size;
            config.upload_ttl = Duration::from_secs(upload_ttl_hours * 3600);
            config.rate_limit_burst = rate_burst;
            config.rate_limit_per_second = rate_per_second;
            config.submission_processing_delay = Duration::from_millis(test_processing_delay_ms);
            if let Some(url) = &public_url
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                anyhow::bail!("--public-url must start with https:// or http://, not {url:?}");
            }
            config.public_url = public_url;
            config.oai_admin_email = oai_admin_email;
            limits.apply(&mut config);
            drop(entered);
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("binding {listen}"))?;
                let addr = listener.local_addr()?;
                let metrics_listener = match metrics_listen {
                    Some(at) => Some(
                        tokio::net::TcpListener::bind(at)
                            .await
                            .with_context(|| format!("binding {at} for metrics"))?,
                    ),
                    None => None,
                };
                println!("PAKS server listening on http://{addr}");
                tracing::info!(%addr, data = %cli.data.display(), "listening");
                if let Some(metrics) = &metrics_listener {
                    let at = metrics.local_addr()?;
                    // Whoever started the server may have stopped reading after the first line.
                    let _ = writeln!(
                        std::io::stdout(),
                        "PAKS metrics on http://{at}{}",
                        paks_server::metrics::METRICS_PATH
                    );
                    tracing::info!(%at, "metrics listening");
                }
                paks_server::serve_with_metrics(
                    listener,
                    metrics_listener,
                    config,
                    shutdown_signal(),
                )
                .await?;
                anyhow::Ok(())
            })?;
            // Blocking work of requests cut at the deadline (a file being written) is not waited
            // for long.
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
        Command::FocalPoint { command } => {
            let store = metadata(&base_config)?;
            let store = &*store;
            match command {
                FocalPointCommand::Add { country, name, email, valid_days } => {
                    let days = (valid_days > 0).then_some(valid_days);
                    let (fp, token) =
                        operator::add_focal_point(store, &country, &name, &email, days)?;
                    println!("focal point {} ({}, {}) registered", fp.id, fp.country, fp.name);
                    if let Some(e) = &fp.expires_at {
                        println!("token expires {e}");
                    }
                    println!("API token (shown once, only its hash is kept):");
                    println!("{token}");
                }
                FocalPointCommand::List => {
                    for fp in store.focal_points()? {
                        let status = match (&fp.revoked_at, &fp.expires_at) {
                            (Some(r), _) => format!("revoked {r}"),
                            (None, Some(e)) => format!("expires {e}"),
                            (None, None) => "active".into(),
                        };
                        println!("{}\t{}\t{}\t{}\t{status}", fp.id, fp.country, fp.name, fp.email);
                    }
                }
                FocalPointCommand::Revoke { id } => {
                    operator::revoke_focal_point(store, id)?;
                    println!("focal point {id}: token revoked");
                }
            }
        }
        Command::Reviewer { command } => {
            let store = metadata(&base_config)?;
            let store = &*store;
            match command {
                ReviewerCommand::Add { email } => {
                    let mut password = String::new();
                    std::io::stdin()
                        .read_line(&mut password)
                        .context("reading the password from standard input")?;
                    let password = password.trim_end_matches(['\r', '\n']);
                    let r = paks_server::reviewers::add(store, &email, password)?;
                    println!("reviewer {} ({}) added", r.id, r.email);
                }
                ReviewerCommand::List => {
                    let now = paks_server::clock::now().unix_timestamp();
                    for r in store.reviewers()? {
                        let status = match r.locked_until {
                            Some(until) if until > now => format!("locked until {until}"),
                            _ => "active".to_owned(),
                        };
                        println!("{}\t{}\t{}\t{status}", r.id, r.email, r.created_at);
                    }
                }
                ReviewerCommand::Remove { email } => {
                    paks_server::reviewers::remove(store, &email)?;
                    println!("reviewer {email} removed");
                }
            }
        }
        Command::Review { command } => {
            let store = metadata(&base_config)?;
            let store = &*store;
            let print = |r: &paks_server::metadata::SubmissionRecord| {
                println!(
                    "{}\t{}\t{}\tv{}\t{}\t{}",
                    r.id,
                    r.state.as_str(),
                    r.country,
                    r.version,
                    r.received_at,
                    r.title
                );
            };
            match command {
                ReviewCommand::List { state } => {
                    let state = state
                        .map(|s| {
                            SubmissionState::parse(&s)
                                .with_context(|| format!("unknown state {s:?}"))
                        })
                        .transpose()?;
                    for r in store.submissions(state)? {
                        print(&r);
                    }
                }
                ReviewCommand::Show { id } => {
                    let r = store.submission(id)?.with_context(|| format!("no submission {id}"))?;
                    print(&r);
                    if let Some(c) = &r.reviewer_comment {
                        println!("reviewer comment: {c}");
                    }
                    for f in &r.files {
                        println!(
                            "file\t{}\t{}\t{} bytes\t{}",
                            f.name, f.media_type, f.size, f.sha256
                        );
                    }
                    let case: serde_json::Value = serde_json::from_str(&r.case_json)?;
                    println!("{}", serde_json::to_string_pretty(&case)?);
                }
                ReviewCommand::Start { id } => {
                    print(&operator::set_state(store, id, SubmissionState::UnderReview, None)?)
                }
                ReviewCommand::Publish { id } => {
                    print(&operator::set_state(store, id, SubmissionState::Published, None)?)
                }
                ReviewCommand::RequestChanges { id, comment } => print(&operator::set_state(
                    store,
                    id,
                    SubmissionState::ChangesRequested,
                    Some(&comment),
                )?),
                ReviewCommand::Reject { id, reason } => print(&operator::set_state(
                    store,
                    id,
                    SubmissionState::Rejected,
                    Some(&reason),
                )?),
                ReviewCommand::Audit { submission } => {
                    for a in store.review_audit(submission)? {
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            a.at,
                            a.actor,
                            a.submission_id,
                            a.action,
                            a.comment.unwrap_or_default().replace(['\n', '\t'], " ")
                        );
                    }
                }
                ReviewCommand::Withdraw { id } => {
                    let case_uid = operator::withdraw_case(store, id)?;
                    println!("withdrawn\t{case_uid}");
                }
            }
        }
        Command::ImportBag { file, focal_point } => {
            let state = std::sync::Arc::new(paks_server::open_state(base_config)?);
            drop(entered);
            let who = paks_server::handcarry::Submitter::Operator(focal_point);
            match runtime.block_on(paks_server::handcarry::import_file(&state, who, &file)) {
                Ok(res) => {
                    let replayed = res.headers().contains_key("idempotent-replayed");
                    let body =
                        runtime.block_on(axum::body::to_bytes(res.into_body(), usize::MAX))?;
                    let receipt: paks_protocol::Receipt = serde_json::from_slice(&body)?;
                    println!("{}", serde_json::to_string_pretty(&receipt)?);
                    let how = if replayed { "was already received" } else { "received" };
                    eprintln!(
                        "submission {} {how}: case {} v{} ({})",
                        receipt.submission_id, receipt.case_uid, receipt.version, receipt.country
                    );
                }
                Err(problem) => {
                    anyhow::bail!("{}: {}", problem.problem.title, problem.problem.detail);
                }
            }
        }
        Command::Release { command } => {
            let store = metadata(&base_config)?;
            let store = &*store;
            let config = &base_config;
            match command {
                ReleaseCommand::Add { version, target, file, signature, notes } => {
                    let r = paks_server::desk_releases::add(
                        config, store, &version, &target, &file, &signature, &notes,
                    )?;
                    println!(
                        "release {} for {}-{} published: {} ({} bytes, sha256 {})",
                        r.version, r.target, r.arch, r.file_name, r.size, r.sha256
                    );
                }
                ReleaseCommand::List { target } => {
                    let (t, a) = paks_server::desk_releases::parse_target(&target)?;
                    for r in store.desk_releases(t, a)? {
                        println!(
                            "{}\t{}\t{} bytes\t{}\t{}",
                            r.version, r.published_at, r.size, r.sha256, r.file_name
                        );
                    }
                }
            }
        }
        Command::Publication { command } => {
            let store = metadata(&base_config)?;
            let store = &*store;
            match command {
                PublicationCommand::Build { event, out, every_published, date } => {
                    let date = date.unwrap_or_else(|| paks_server::clock::now().date().to_string());
                    let built = paks_server::publication::build(
                        store,
                        &event,
                        every_published,
                        &date,
                        &out,
                    )?;
                    if !built.characters_without_font.is_empty() {
                        let missing: String = built.characters_without_font.iter().collect();
                        eprintln!(
                            "warning: no font on this machine shows {missing:?}; they print as \
                             empty boxes (for Chinese: apt-get install fonts-noto-cjk)"
                        );
                    }
                    println!(
                        "{}: proceedings of {} case(s), {} bytes",
                        out.display(),
                        built.cases,
                        built.bytes
                    );
                }
                PublicationCommand::SetEvent { id, event, clear: _ } => {
                    let case_uid = paks_server::publication::set_event(
                        store,
                        id,
                        event.as_deref(),
                        operator::CLI_ACTOR,
                    )?;
                    match event {
                        Some(e) => println!("case {case_uid}: event {e}"),
                        None => println!("case {case_uid}: no event"),
                    }
                }
                PublicationCommand::Events => {
                    for (case_uid, event) in store.case_events()? {
                        println!("{event}\t{case_uid}");
                    }
                }
            }
        }
        Command::Key => {
            std::fs::create_dir_all(&cli.data)?;
            let key = paks_server::signing_key::ServerKey::load_or_create(&base_config.key_path())?;
            println!("{}", key.public_key_base64());
        }
        Command::Backup { out } => {
            let summary = paks_server::backup::backup(&base_config, &out)?;
            println!(
                "backup written to {}: {} files, {} bytes",
                out.display(),
                summary.files,
                summary.bytes
            );
        }
        Command::Restore { from } => {
            let summary = paks_server::backup::restore(&from, &cli.data)?;
            println!(
                "restored the backup of {} into {}: {} files, {} bytes, each checked",
                summary.created_at,
                cli.data.display(),
                summary.files,
                summary.bytes
            );
        }
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&paks_server::openapi::document())?);
        }
    }
    Ok(())
}
