//! The one real `paks-server` (a child process, SIGKILLed and started again on the same port and
//! data folder), the small filesystem its data folder lives on, and the file that fills it.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a start may take before it counts as failed (a loaded 2-core machine, a full disk).
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct PaksServer {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    log: PathBuf,
    child: Option<Child>,
}

impl PaksServer {
    pub fn new(bin: &Path, data: &Path, port: u16, log: &Path) -> Self {
        Self { bin: bin.to_owned(), data: data.to_owned(), port, log: log.to_owned(), child: None }
    }

    fn log_file(&self) -> anyhow::Result<File> {
        crate::open_log(&self.log)
    }

    /// Registers a focal point with the operator CLI; returns its token.
    pub async fn add_focal_point(&self, country: &str, name: &str) -> anyhow::Result<String> {
        let email = format!("{}@soak.example.org", country.to_lowercase());
        let out = tokio::time::timeout(
            Duration::from_secs(60),
            Command::new(&self.bin)
                .arg("--data")
                .arg(&self.data)
                .args(["focal-point", "add", "--country", country, "--name", name])
                .args(["--email", &email, "--valid-days", "0"])
                .kill_on_drop(true)
                .output(),
        )
        .await
        .context("paks-server focal-point add took over 60 s")??;
        if !out.status.success() {
            bail!("focal-point add failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("paks_"))
            .map(str::to_owned)
            .context("focal-point add printed no token")
    }

    /// Starts the server and waits until it says it listens.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        let mut child = Command::new(&self.bin)
            .arg("--data")
            .arg(&self.data)
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--name", "PAKS soak server"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(self.log_file()?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if line.contains("listening on") {
                    return Ok(true);
                }
            }
            Ok::<_, std::io::Error>(false)
        })
        .await;
        match ready {
            Ok(Ok(true)) => {
                // Nothing more comes on stdout; keep reading so the pipe never fills.
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                self.child = Some(child);
                Ok(())
            }
            other => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                match other {
                    Err(_) => bail!("paks-server did not listen within {START_TIMEOUT:?}"),
                    Ok(Err(e)) => Err(e.into()),
                    Ok(Ok(_)) => {
                        bail!("paks-server exited before listening (see {})", self.log.display())
                    }
                }
            }
        }
    }

    /// Starts the server, trying again every second until `within` has passed: a start can fail
    /// while the disk is full or the port is still held by the killed process.
    pub async fn start_retrying(&mut self, within: Duration) -> anyhow::Result<u32> {
        let deadline = tokio::time::Instant::now() + within;
        let mut failures = 0;
        loop {
            match self.start().await {
                Ok(()) => return Ok(failures),
                Err(e) if tokio::time::Instant::now() < deadline => {
                    failures += 1;
                    let _ = writeln!(self.log_file()?, "soak: start failed, trying again: {e:#}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub async fn sigkill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.start_kill()?;
            tokio::time::timeout(Duration::from_secs(30), child.wait())
                .await
                .context("paks-server outlived SIGKILL by 30 s")??;
        }
        Ok(())
    }

    /// SIGTERM, then SIGKILL if it has not stopped within `grace`. True if SIGTERM sufficed.
    pub async fn stop(&mut self, grace: Duration) -> anyhow::Result<bool> {
        let Some(child) = self.child.as_mut() else { return Ok(true) };
        if let Some(pid) = child.id() {
            let pid = rustix::process::Pid::from_raw(pid as i32).context("bad pid")?;
            rustix::process::kill_process(pid, rustix::process::Signal::TERM)?;
        }
        let stopped = tokio::time::timeout(grace, child.wait()).await.is_ok();
        if !stopped {
            self.sigkill().await?;
        }
        self.child = None;
        Ok(stopped)
    }
}

/// The server's own small filesystem (tmpfs), so that filling it is quick and touches nothing
/// else; unmounted on drop. Without the rights to mount, the data folder stays on the work
/// folder's disk and the fills are bounded (that disk is not really filled).
pub struct SmallDisk {
    root: PathBuf,
    mounted: bool,
    pub size_bytes: u64,
    pub why_not_mounted: Option<String>,
}

impl SmallDisk {
    pub fn mount(root: &Path, size_mib: u64) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root)?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mib}m,mode=0700"), "tmpfs"])
            .arg(root)
            .output();
        let why_not = match out {
            Ok(o) if o.status.success() => None,
            Ok(o) => Some(String::from_utf8_lossy(&o.stderr).trim().to_owned()),
            Err(e) => Some(format!("mount: {e}")),
        };
        Ok(Self {
            root: root.to_owned(),
            mounted: why_not.is_none(),
            size_bytes: size_mib << 20,
            why_not_mounted: why_not,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn is_mounted(&self) -> bool {
        self.mounted
    }

    pub fn unmount(&mut self) {
        if !self.mounted {
            return;
        }
        let ok = std::process::Command::new("umount")
            .arg(&self.root)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            // A process we could not wait for still holds a file in it: detach it now, the
            // kernel frees it when that process is gone.
            let _ = std::process::Command::new("umount").arg("-l").arg(&self.root).status();
        }
        self.mounted = false;
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        self.unmount();
    }
}

/// Fills the server's filesystem with one file, beside (not in) the data folder.
pub struct DiskFiller {
    path: PathBuf,
    cap: u64,
}

impl DiskFiller {
    pub fn new(disk: &SmallDisk, cap_when_not_mounted: u64) -> Self {
        let cap = if disk.is_mounted() { u64::MAX } else { cap_when_not_mounted };
        Self { path: disk.root().join("soak-fill.bin"), cap }
    }

    /// Writes until the disk says it is full (or the cap); returns the bytes written.
    pub fn fill(&self) -> anyhow::Result<u64> {
        let mut file = File::create(&self.path)?;
        let block = vec![0u8; 1 << 20];
        let mut written = 0u64;
        while written < self.cap {
            let n = (self.cap - written).min(block.len() as u64) as usize;
            match file.write(&block[..n]) {
                Ok(0) => break,
                Ok(k) => written += k as u64,
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(written)
    }

    pub fn free(&self) -> anyhow::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}
