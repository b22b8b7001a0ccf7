//! Whether PAKS can be reached: the signed identity probe (with the offset of an upload cut
//! mid-way), and the network said to be back.

use std::time::Duration;

use super::Engine;
use crate::backoff::millis;
use crate::error::{Result, SyncError};
use crate::plan::Connectivity;
use crate::progress::SyncEvent;
use crate::settings::SyncSettings;

impl Engine {
    /// The network is said to be back: check now, and make what waited for it due.
    pub fn network_back(&mut self) -> Result<()> {
        self.net = Connectivity::Unknown;
        self.outbox.network_back(self.now())?;
        Ok(())
    }

    pub(super) async fn check_network(&mut self, settings: &SyncSettings) -> Result<()> {
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
        let now = self.now();
        match outcome {
            Ok(()) => {
                self.net = Connectivity::Online;
                self.net_failures = 0;
                self.outbox.network_back(now)?;
                self.events.emit(SyncEvent::Connectivity {
                    online: true,
                    message: None,
                    problem: None,
                });
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
                self.events.emit(SyncEvent::Connectivity {
                    online: false,
                    message: Some(e.to_string()),
                    problem: Some(e.ui_message()),
                });
            }
        }
        Ok(())
    }
}
