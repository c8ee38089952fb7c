//! A circuit breaker per provider: after several failures in a row that say
//! the provider (or the account) is in trouble, stop sending for a while and
//! fail fast with a message that says so, then let one trial call through.
//! Hand-written: the state machine is a few lines, and the crates for it
//! bring their own backoff and futures machinery we would not use.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::providers::{ErrorClass, ProviderError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive provider faults that open the circuit.
    pub threshold: u32,
    /// How long it stays open before a trial call is let through.
    pub cool_off: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            threshold: 5,
            cool_off: Duration::from_mins(1),
        }
    }
}

#[derive(Debug)]
enum State {
    Closed {
        faults: u32,
    },
    Open {
        until: Instant,
    },
    /// One trial call is out; the others are refused until it ends.
    HalfOpen,
}

#[derive(Debug)]
pub struct Breaker {
    provider: String,
    policy: BreakerPolicy,
    state: Mutex<(State, String)>,
}

impl Breaker {
    pub fn new(provider: &str, policy: BreakerPolicy) -> Breaker {
        Breaker {
            provider: provider.to_string(),
            policy,
            state: Mutex::new((State::Closed { faults: 0 }, String::new())),
        }
    }

    /// Whether a call may be sent now; when not, the error to end it with.
    pub fn admit(&self, now: Instant) -> Result<(), ProviderError> {
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (state, last) = &mut *guard;
        match state {
            State::Closed { .. } => Ok(()),
            State::Open { until } if now >= *until => {
                *state = State::HalfOpen;
                Ok(())
            }
            State::Open { until } => Err(self.refusal(
                &format!(
                    "tries again in {} s",
                    until.saturating_duration_since(now).as_secs().max(1)
                ),
                last,
            )),
            State::HalfOpen => Err(self.refusal("a trial request is under way", last)),
        }
    }

    /// What became of a call that `admit` let through.
    pub fn record(&self, now: Instant, result: Result<(), &ProviderError>) {
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (state, last) = &mut *guard;
        match result {
            Ok(()) => *state = State::Closed { faults: 0 },
            Err(error) if error.class.is_provider_fault() => {
                last.clone_from(&error.message);
                let faults = match state {
                    State::Closed { faults } => *faults + 1,
                    // The trial failed: straight back to open.
                    State::HalfOpen | State::Open { .. } => self.policy.threshold,
                };
                *state = if faults >= self.policy.threshold {
                    State::Open {
                        until: now + self.policy.cool_off,
                    }
                } else {
                    State::Closed { faults }
                };
            }
            // The request's own fault (invalid, moderated, canceled) says
            // nothing about the provider; a half-open trial ends undecided.
            Err(_) => {
                if matches!(state, State::HalfOpen) {
                    *state = State::Open { until: now };
                }
            }
        }
    }

    fn refusal(&self, when: &str, last: &str) -> ProviderError {
        ProviderError::new(
            ErrorClass::CircuitOpen,
            format!(
                "not sent: {} failed {} times in a row (last: {last}); tintype {when}",
                self.provider, self.policy.threshold
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault() -> ProviderError {
        ProviderError::new(ErrorClass::Transient, "503 Service Unavailable")
    }

    #[test]
    fn opens_after_five_faults_in_a_row_and_half_opens_after_a_minute() {
        let breaker = Breaker::new("openai", BreakerPolicy::default());
        let t0 = Instant::now();
        for _ in 0..4 {
            breaker.admit(t0).unwrap();
            breaker.record(t0, Err(&fault()));
        }
        breaker.admit(t0).unwrap();
        breaker.record(t0, Err(&fault()));
        let refused = breaker.admit(t0 + Duration::from_secs(59)).unwrap_err();
        assert_eq!(refused.class, ErrorClass::CircuitOpen);
        assert!(
            refused.message.contains("openai failed 5 times in a row")
                && refused.message.contains("503 Service Unavailable")
                && refused.message.contains("tries again in 1 s"),
            "{}",
            refused.message
        );
        assert_eq!(refused.charged, crate::providers::Charged::No);

        // Half-open: one trial goes, the rest wait for its verdict.
        let later = t0 + Duration::from_mins(1);
        breaker.admit(later).unwrap();
        assert!(breaker.admit(later).is_err());
        breaker.record(later, Ok(()));
        breaker.admit(later).unwrap();
    }

    #[test]
    fn a_failed_trial_opens_it_again_and_a_success_resets_the_count() {
        let breaker = Breaker::new("replicate", BreakerPolicy::default());
        let t0 = Instant::now();
        for _ in 0..5 {
            breaker.record(t0, Err(&fault()));
        }
        let later = t0 + Duration::from_mins(1);
        breaker.admit(later).unwrap();
        breaker.record(later, Err(&fault()));
        assert!(breaker.admit(later + Duration::from_secs(30)).is_err());

        let fresh = Breaker::new("stability", BreakerPolicy::default());
        for _ in 0..4 {
            fresh.record(t0, Err(&fault()));
        }
        fresh.record(t0, Ok(()));
        for _ in 0..4 {
            fresh.record(t0, Err(&fault()));
        }
        fresh.admit(t0).unwrap();
    }

    #[test]
    fn the_requests_own_faults_do_not_count() {
        let breaker = Breaker::new("openai", BreakerPolicy::default());
        let t0 = Instant::now();
        for class in [
            ErrorClass::InvalidRequest,
            ErrorClass::Moderation,
            ErrorClass::RateLimited,
            ErrorClass::Canceled,
        ] {
            for _ in 0..5 {
                breaker.record(t0, Err(&ProviderError::new(class, "x")));
            }
        }
        breaker.admit(t0).unwrap();
    }
}
