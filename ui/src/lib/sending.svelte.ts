// What the app knows of sending, shared by every screen: reachability, the outbox, and live
// progress per submission, kept current from the sync worker's events.

import { events, type SendProgress } from './events';
import { ipc, type Connectivity, type OutboxItem } from './ipc';

class Sending {
  connectivity = $state<Connectivity>({ state: 'unknown' });
  items = $state<OutboxItem[]>([]);
  /** Live progress by submission job, newer than `items` while a file is sending. */
  progress = $state<Record<number, SendProgress>>({});
  /** Set while another PAKS Desk (or the CLI) sends from this data folder. */
  otherSender = $state<string | null>(null);
  /** Bumped whenever a job changes, so screens showing a case reload it. */
  generation = $state(0);
  private started = false;

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await events.sync((update) => {
      switch (update.kind) {
        case 'progress':
          this.progress[update.progress.submission_job] = update.progress;
          break;
        case 'connectivity':
          this.connectivity = update.connectivity;
          break;
        case 'job':
        case 'receipt_matched':
          this.otherSender = null;
          void this.refresh();
          break;
        case 'other_sender':
          this.otherSender = update.holder;
          break;
        case 'idle':
          if (update.idle !== 'other_sender') this.otherSender = null;
          break;
      }
    });
    this.connectivity = await ipc.syncConnectivity();
    // Screens shown before the listener existed may have missed a job's change: they reload.
    await this.refresh();
  }

  async refresh(): Promise<void> {
    this.items = await ipc.outboxList();
    for (const item of this.items) {
      if (item.phase !== 'upload') delete this.progress[item.job_id];
    }
    this.generation += 1;
  }

  /** The newest outbox job of a case version. */
  forCase(caseId: number): OutboxItem | undefined {
    return this.items.filter((item) => item.case_id === caseId).at(-1);
  }

  /** Bytes confirmed by PAKS for a job: the live figure while sending, else the stored one. */
  confirmed(item: OutboxItem): number {
    return this.progress[item.job_id]?.case_bytes_confirmed ?? item.bytes_confirmed;
  }
}

export const sending = new Sending();
