//! Sending one file: the check that it is still what was submitted, the resumable tus upload
//! with its progress, and what a failed attempt leaves on the upload and its submission.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::Engine;
use crate::error::{Result, SyncError};
use crate::failure::Work;
use crate::outbox::{JobState, Phase, SubmissionJob, UploadJob};
use crate::plan::Connectivity;
use crate::progress::{Progress, SyncEvent};
use crate::settings::SyncSettings;
use crate::tus::{UploadSource, UploadStep, hash_file};

/// Chunks sent without a per-chunk checksum aim at this many times the usual duration (16 s
/// instead of 2 s): a cut loses only the bytes in flight, and fewer chunks mean fewer idle
/// round trips between them.
const UNCHECKED_CHUNK_FACTOR: u32 = 8;

impl Engine {
    pub(super) async fn run_upload(&mut self, settings: &SyncSettings, id: i64) -> Result<()> {
        let job = self.outbox.upload(id)?;
        let sub = self.outbox.submission(job.submission_job)?;
        let now = self.now();
        self.outbox.set_upload_state(id, JobState::Uploading, now)?;
        self.outbox.set_submission_state(sub.id, JobState::Uploading, Phase::Upload, now)?;
        let before = job.bytes_confirmed;
        let result = self.upload(settings, &job, &sub).await;
        let now = self.now();
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
                let params = e.ui_message_params_json();
                let failure = outcome.failure(&message, e.code(), &params);
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
                self.job_event(&sub, state, Some(&e));
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
        let clock = self.clock.clone();
        let (job_id, sub_id, case_id, name, size) =
            (job.id, sub.id, sub.case_id, job.name.clone(), job.size);
        let mut on = move |step: UploadStep<'_>| -> Result<()> {
            let now = clock.now_millis();
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
}
