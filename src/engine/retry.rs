//! When a failed call is sent again: rate limits and transient faults only,
//! after an exponential backoff with jitter (or the provider's Retry-After,
//! whichever is longer), a few times. An unknown outcome is never re-sent:
//! it may already have been billed.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use crate::providers::ProviderError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// The longest Retry-After tintype honours before giving up instead.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_wait: Duration::from_mins(2),
        }
    }
}

/// The backoff delays of one job, consumed as it retries.
pub struct Backoff {
    delays: Box<dyn Iterator<Item = Duration> + Send>,
    max_wait: Duration,
}

impl RetryPolicy {
    pub fn backoff(&self) -> Backoff {
        let delays = ExponentialBuilder::new()
            .with_min_delay(self.first_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_retries as usize)
            .build();
        Backoff {
            delays: Box::new(delays),
            max_wait: self.max_wait,
        }
    }
}

impl Backoff {
    /// How long to wait before sending again after `error`; `None` when it
    /// must not be sent again (not retryable, retries spent, or the provider
    /// asks for a longer wait than tintype will sit through).
    pub fn next_wait(&mut self, error: &ProviderError) -> Option<Duration> {
        if !error.class.is_retryable() {
            return None;
        }
        let delay = self.delays.next()?;
        match error.retry_after {
            Some(asked) if asked > self.max_wait => None,
            Some(asked) => Some(asked.max(delay)),
            None => Some(delay),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ErrorClass;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_wait: Duration::from_secs(5),
        }
    }

    #[test]
    fn retries_only_what_is_safe_and_only_so_often() {
        let transient = ProviderError::new(ErrorClass::Transient, "502");
        let mut backoff = policy().backoff();
        let waits: Vec<Duration> = std::iter::from_fn(|| backoff.next_wait(&transient)).collect();
        assert_eq!(waits.len(), 3);
        assert!(
            waits
                .iter()
                .all(|w| *w >= Duration::from_millis(100) && *w <= Duration::from_secs(2)),
            "{waits:?}"
        );
        for class in [
            ErrorClass::UnknownOutcome,
            ErrorClass::InvalidRequest,
            ErrorClass::Moderation,
            ErrorClass::BadResponse,
        ] {
            assert_eq!(
                policy()
                    .backoff()
                    .next_wait(&ProviderError::new(class, "x")),
                None,
                "{class}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_a_limit() {
        let asked = ProviderError::new(ErrorClass::RateLimited, "429")
            .with_retry_after(Duration::from_secs(3));
        assert_eq!(
            policy().backoff().next_wait(&asked),
            Some(Duration::from_secs(3))
        );
        let too_long = ProviderError::new(ErrorClass::RateLimited, "429")
            .with_retry_after(Duration::from_mins(1));
        assert_eq!(policy().backoff().next_wait(&too_long), None);
        let none = RetryPolicy {
            max_retries: 0,
            ..policy()
        };
        assert_eq!(none.backoff().next_wait(&asked), None);
    }
}
