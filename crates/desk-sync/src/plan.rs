//! The pure planning step: given the jobs, the time and what we know of the network, what the
//! worker does next. No I/O here, so every rule is unit-tested.

use serde::Serialize;

use crate::outbox::{HandCarried, JobState, Phase, SubmissionJob, UploadJob};

/// What the worker knows about reaching PAKS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connectivity {
    /// Not checked since start or since the network came back.
    Unknown,
    Online,
    /// The last check failed; check again at `retry_at` (ms) or when told the network is back.
    Offline {
        retry_at: i64,
    },
}

/// Why nothing is to be done now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Idle {
    /// The outbox has nothing left to send.
    Empty,
    /// Something is to be sent but PAKS cannot be reached.
    WaitingNetwork,
    /// A job failed for a passing reason and is retried at the wake time.
    WaitingRetry,
    /// Sent cases wait for PAKS reviewers; their state is polled at the wake time.
    WaitingReview,
    /// A case carried by hand as a bag is not at PAKS yet; PAKS is asked again at the wake time.
    WaitingBag,
    /// What is left needs the person (see each job's message).
    WaitingPerson,
    /// Automatic sending is off and nobody asked to send.
    Paused,
    /// Another process (the app, or `paks-desk-cli sync`) is sending from this data folder;
    /// this one takes over when it stops.
    OtherSender,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Ask PAKS's identity endpoint whether it is reachable.
    CheckNetwork,
    /// Send (or resume) this upload job.
    Upload(i64),
    /// `POST /submissions` for this submission job (its files are all uploaded).
    Submit(i64),
    /// Ask PAKS for this submission's review state.
    Poll(i64),
    /// Ask PAKS whether it received this hand-carried bag, and take its receipt in.
    MatchReceipt(i64),
    /// Nothing due: sleep until `until` (ms) or a command, whichever first.
    Wait { until: Option<i64>, idle: Idle },
}

pub struct PlanInput<'a> {
    pub submissions: &'a [SubmissionJob],
    pub uploads: &'a [UploadJob],
    pub hand_carried: &'a [HandCarried],
    pub now: i64,
    pub net: Connectivity,
    /// The "send automatically" setting.
    pub auto_send: bool,
    /// The person asked to send now ("Send now", `sync`).
    pub demanded: bool,
}

fn is_due(state: JobState, next_attempt_at: i64, now: i64) -> bool {
    match state {
        JobState::Queued | JobState::Uploading | JobState::WaitingNetwork => true,
        JobState::RetryScheduled => next_attempt_at <= now,
        JobState::NeedsAttention | JobState::Done => false,
    }
}

/// Decides the next step. Asking PAKS for a hand-carried bag's receipt comes first (its files
/// need not be uploaded if PAKS has them), then sending, then polling; within sending, the
/// oldest case first and its files in order. A job that failed is not due until its retry time, so one failing
/// file or case never holds up the others.
pub fn next_action(input: &PlanInput<'_>) -> Action {
    let now = input.now;
    let may_send = input.auto_send || input.demanded;
    let mut send: Option<Action> = None;
    let mut poll: Option<Action> = None;
    let mut wake: Option<i64> = None;
    let (mut retrying, mut reviewing, mut person, mut paused) = (false, false, false, false);
    let mut carried = false;
    let mut lookup: Option<Action> = None;
    let mut earliest = |t: i64| wake = Some(wake.map_or(t, |w: i64| w.min(t)));

    for h in input.hand_carried.iter().filter(|h| !h.is_matched()) {
        if h.next_check_at <= now {
            lookup.get_or_insert(Action::MatchReceipt(h.id));
        } else {
            carried = true;
            earliest(h.next_check_at);
        }
    }

    for s in input.submissions {
        match s.state {
            JobState::Done => continue,
            JobState::NeedsAttention => {
                person = true;
                continue;
            }
            _ => {}
        }
        match s.phase {
            Phase::Review => {
                if s.next_attempt_at <= now {
                    poll.get_or_insert(Action::Poll(s.id));
                } else {
                    reviewing = true;
                    earliest(s.next_attempt_at);
                }
            }
            Phase::Upload | Phase::Submit => {
                if !may_send {
                    paused = true;
                    continue;
                }
                let files: Vec<&UploadJob> =
                    input.uploads.iter().filter(|u| u.submission_job == s.id).collect();
                if files.iter().any(|u| u.state == JobState::NeedsAttention) {
                    person = true;
                    continue;
                }
                if files.iter().all(|u| u.state == JobState::Done) {
                    if is_due(s.state, s.next_attempt_at, now) || s.phase == Phase::Upload {
                        send.get_or_insert(Action::Submit(s.id));
                    } else {
                        retrying = true;
                        earliest(s.next_attempt_at);
                    }
                    continue;
                }
                for u in files.iter().filter(|u| u.state != JobState::Done) {
                    if is_due(u.state, u.next_attempt_at, now) {
                        send.get_or_insert(Action::Upload(u.id));
                    } else {
                        retrying = true;
                        earliest(u.next_attempt_at);
                    }
                }
            }
        }
    }

    if let Some(action) = lookup.or(send).or(poll) {
        return match input.net {
            Connectivity::Online => action,
            Connectivity::Unknown => Action::CheckNetwork,
            Connectivity::Offline { retry_at } if retry_at <= now => Action::CheckNetwork,
            Connectivity::Offline { retry_at } => Action::Wait {
                until: Some(wake.map_or(retry_at, |w| w.min(retry_at))),
                idle: Idle::WaitingNetwork,
            },
        };
    }
    let idle = if retrying {
        Idle::WaitingRetry
    } else if reviewing {
        Idle::WaitingReview
    } else if carried {
        Idle::WaitingBag
    } else if person {
        Idle::WaitingPerson
    } else if paused {
        Idle::Paused
    } else {
        Idle::Empty
    };
    Action::Wait { until: wake, idle }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(id: i64, state: JobState, phase: Phase, next: i64) -> SubmissionJob {
        SubmissionJob {
            id,
            case_id: id,
            case_uid: format!("uid-{id}"),
            case_version: 1,
            idempotency_key: format!("key-{id}"),
            document: String::new(),
            state,
            phase,
            attempts: 0,
            last_error: None,
            last_error_code: None,
            last_error_params: None,
            next_attempt_at: next,
            submission_id: None,
            receipt: None,
            review_state: None,
            review_comment: None,
            post_sent: false,
            post_unanswered: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn up(id: i64, submission: i64, state: JobState, next: i64) -> UploadJob {
        UploadJob {
            id,
            submission_job: submission,
            position: id,
            path: String::new(),
            name: format!("f{id}"),
            media_type: "application/pdf".into(),
            size: 1,
            sha256: String::new(),
            upload_url: None,
            bytes_confirmed: 0,
            chunk_size: None,
            state,
            attempts: 0,
            last_error: None,
            last_error_code: None,
            last_error_params: None,
            next_attempt_at: next,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn plan(subs: &[SubmissionJob], ups: &[UploadJob], net: Connectivity) -> Action {
        next_action(&PlanInput {
            submissions: subs,
            uploads: ups,
            hand_carried: &[],
            now: 1000,
            net,
            auto_send: true,
            demanded: false,
        })
    }

    use Connectivity::*;
    use JobState::*;

    #[test]
    fn empty_outbox_sleeps_without_a_wake_time() {
        assert_eq!(plan(&[], &[], Online), Action::Wait { until: None, idle: Idle::Empty });
    }

    #[test]
    fn files_go_first_then_the_submission() {
        let subs = [sub(1, Queued, Phase::Upload, 0)];
        let ups = [up(10, 1, Done, 0), up(11, 1, Queued, 0)];
        assert_eq!(plan(&subs, &ups, Online), Action::Upload(11));
        let ups = [up(10, 1, Done, 0), up(11, 1, Done, 0)];
        assert_eq!(plan(&subs, &ups, Online), Action::Submit(1));
    }

    #[test]
    fn an_unknown_network_is_checked_first_and_offline_waits() {
        let subs = [sub(1, Queued, Phase::Submit, 0)];
        assert_eq!(plan(&subs, &[], Unknown), Action::CheckNetwork);
        assert_eq!(
            plan(&subs, &[], Offline { retry_at: 5000 }),
            Action::Wait { until: Some(5000), idle: Idle::WaitingNetwork }
        );
        assert_eq!(plan(&subs, &[], Offline { retry_at: 900 }), Action::CheckNetwork);
    }

    #[test]
    fn a_failing_file_does_not_block_another_case() {
        let subs = [sub(1, Queued, Phase::Upload, 0), sub(2, Queued, Phase::Upload, 0)];
        let ups = [up(10, 1, RetryScheduled, 60_000), up(20, 2, Queued, 0)];
        assert_eq!(plan(&subs, &ups, Online), Action::Upload(20));
        let ups = [up(10, 1, NeedsAttention, 0), up(20, 2, Queued, 0)];
        assert_eq!(plan(&subs, &ups, Online), Action::Upload(20));
    }

    #[test]
    fn a_retry_waits_for_its_time() {
        let subs = [sub(1, RetryScheduled, Phase::Submit, 4000)];
        assert_eq!(
            plan(&subs, &[], Online),
            Action::Wait { until: Some(4000), idle: Idle::WaitingRetry }
        );
        let subs = [sub(1, RetryScheduled, Phase::Submit, 1000)];
        assert_eq!(plan(&subs, &[], Online), Action::Submit(1));
    }

    #[test]
    fn review_is_polled_when_due_and_after_sending() {
        let subs = [sub(1, RetryScheduled, Phase::Review, 500), sub(2, Queued, Phase::Submit, 0)];
        assert_eq!(plan(&subs, &[], Online), Action::Submit(2));
        assert_eq!(plan(&subs[..1], &[], Online), Action::Poll(1));
        let later = [sub(1, RetryScheduled, Phase::Review, 9000)];
        assert_eq!(
            plan(&later, &[], Online),
            Action::Wait { until: Some(9000), idle: Idle::WaitingReview }
        );
    }

    #[test]
    fn jobs_for_the_person_wait_and_say_so() {
        let subs = [sub(1, NeedsAttention, Phase::Submit, 0), sub(2, Done, Phase::Review, 0)];
        assert_eq!(
            plan(&subs, &[], Online),
            Action::Wait { until: None, idle: Idle::WaitingPerson }
        );
    }

    fn bag(id: i64, next_check_at: i64, matched: bool) -> HandCarried {
        HandCarried {
            id,
            case_id: id,
            case_uid: format!("uid-{id}"),
            case_version: 1,
            idempotency_key: format!("bag-{id}"),
            case_sha256: String::new(),
            exported_at: 0,
            checks: 0,
            next_check_at,
            last_error: None,
            submission_id: matched.then(|| "s".to_owned()),
            receipt: None,
            outcome: None,
            matched_at: matched.then_some(1),
        }
    }

    #[test]
    fn a_due_bag_is_looked_up_before_files_are_sent_even_with_auto_send_off() {
        let subs = [sub(1, Queued, Phase::Upload, 0)];
        let ups = [up(10, 1, Queued, 0)];
        let bags = [bag(7, 900, false), bag(8, 0, true)];
        let mut input = PlanInput {
            submissions: &subs,
            uploads: &ups,
            hand_carried: &bags,
            now: 1000,
            net: Online,
            auto_send: false,
            demanded: false,
        };
        assert_eq!(next_action(&input), Action::MatchReceipt(7));
        input.net = Unknown;
        assert_eq!(next_action(&input), Action::CheckNetwork, "only once PAKS is reachable");
        input.net = Online;
        input.auto_send = true;
        let later = [bag(7, 5000, false), bag(8, 0, true)];
        input.hand_carried = &later;
        assert_eq!(next_action(&input), Action::Upload(10), "not due: sending goes on");
        input.submissions = &[];
        input.uploads = &[];
        assert_eq!(next_action(&input), Action::Wait { until: Some(5000), idle: Idle::WaitingBag });
        input.hand_carried = &later[1..];
        assert_eq!(
            next_action(&input),
            Action::Wait { until: None, idle: Idle::Empty },
            "a matched bag asks nothing"
        );
    }

    #[test]
    fn auto_send_off_sends_only_on_demand() {
        let subs = [sub(1, Queued, Phase::Submit, 0)];
        let mut input = PlanInput {
            submissions: &subs,
            uploads: &[],
            hand_carried: &[],
            now: 1000,
            net: Online,
            auto_send: false,
            demanded: false,
        };
        assert_eq!(next_action(&input), Action::Wait { until: None, idle: Idle::Paused });
        input.demanded = true;
        assert_eq!(next_action(&input), Action::Submit(1));
    }

    #[test]
    fn a_job_interrupted_by_a_crash_is_resumed() {
        let subs = [sub(1, Uploading, Phase::Upload, 0)];
        let ups = [up(10, 1, Uploading, 0)];
        assert_eq!(plan(&subs, &ups, Online), Action::Upload(10));
    }
}
