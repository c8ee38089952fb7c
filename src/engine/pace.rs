//! Pacing one provider's calls to its rate limits (governor's GCRA, one
//! limiter for requests and one for images per minute), and holding them all
//! when the provider says to wait (Retry-After, a spent rate-limit header).

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// Per-minute limits; `None` is unpaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rate {
    pub requests_per_minute: Option<u32>,
    pub images_per_minute: Option<u32>,
}

/// Pacing runs this much under the limit, so that timer slack and network
/// jitter never land one request inside the provider's window early.
const HEADROOM: f64 = 1.02;

pub struct Pacer {
    requests: Option<DefaultDirectRateLimiter>,
    images: Option<DefaultDirectRateLimiter>,
    hold_until: Mutex<Option<Instant>>,
}

fn limiter(per_minute: Option<u32>) -> Option<DefaultDirectRateLimiter> {
    let per_minute = per_minute.filter(|n| *n > 0)?;
    let period = Duration::from_secs_f64(60.0 / f64::from(per_minute) * HEADROOM);
    // A burst of one spaces calls evenly: a sliding-window limit upstream
    // never sees a clump at the start.
    let quota = Quota::with_period(period)?.allow_burst(NonZeroU32::MIN);
    Some(RateLimiter::direct(quota))
}

impl Pacer {
    pub fn new(rate: Rate) -> Pacer {
        Pacer {
            requests: limiter(rate.requests_per_minute),
            images: limiter(rate.images_per_minute),
            hold_until: Mutex::new(None),
        }
    }

    /// Holds every call of this provider for `wait` (extending, never
    /// shortening, a hold already in place).
    pub fn hold(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut hold = self
            .hold_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if hold.is_none_or(|h| h < until) {
            *hold = Some(until);
        }
    }

    fn held_for(&self) -> Option<Duration> {
        let hold = *self
            .hold_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        hold.map(|until| until.saturating_duration_since(Instant::now()))
            .filter(|d| !d.is_zero())
    }

    /// Waits until a call making `images` images may be sent. `on_wait`
    /// hears of each wait of a second or more before it starts, so a person
    /// sees why nothing moves.
    pub async fn ready(&self, images: u32, on_wait: impl Fn(Duration, &str)) {
        self.wait_out_hold(&on_wait).await;
        if let Some(requests) = &self.requests {
            wait_for_slot(requests, &on_wait, "the requests-per-minute limit").await;
        }
        if let Some(limit) = &self.images {
            for _ in 0..images.max(1) {
                wait_for_slot(limit, &on_wait, "the images-per-minute limit").await;
            }
        }
        // Another call may have met a 429 meanwhile.
        self.wait_out_hold(&on_wait).await;
    }

    async fn wait_out_hold(&self, on_wait: &impl Fn(Duration, &str)) {
        while let Some(wait) = self.held_for() {
            if wait >= Duration::from_secs(1) {
                on_wait(wait, "the provider asked to wait");
            }
            tokio::time::sleep(wait).await;
        }
    }
}

async fn wait_for_slot(
    limiter: &DefaultDirectRateLimiter,
    on_wait: &impl Fn(Duration, &str),
    why: &str,
) {
    if let Err(not_until) = limiter.check() {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        if wait >= Duration::from_secs(1) {
            on_wait(wait, why);
        }
        limiter.until_ready().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spaces_calls_evenly_at_the_rate_less_the_headroom() {
        // 1200 a minute: one every 50 ms (51 ms with headroom).
        let pacer = Pacer::new(Rate {
            requests_per_minute: Some(1200),
            images_per_minute: None,
        });
        let start = std::time::Instant::now();
        for _ in 0..6 {
            pacer.ready(1, |_, _| {}).await;
        }
        // The first is free; five gaps follow.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    }

    #[tokio::test]
    async fn a_hold_stops_every_call_until_it_ends_and_is_reported() {
        let pacer = Pacer::new(Rate::default());
        pacer.hold(Duration::from_millis(1200));
        pacer.hold(Duration::from_millis(10)); // never shortens
        let heard = Mutex::new(Vec::new());
        let start = std::time::Instant::now();
        pacer
            .ready(1, |wait, why| {
                heard.lock().unwrap().push((wait, why.to_string()));
            })
            .await;
        assert!(start.elapsed() >= Duration::from_millis(1150));
        let heard = heard.into_inner().unwrap();
        assert_eq!(heard.len(), 1);
        assert!(heard[0].1.contains("asked to wait"));
    }

    #[tokio::test]
    async fn images_per_minute_counts_each_image() {
        let pacer = Pacer::new(Rate {
            requests_per_minute: None,
            images_per_minute: Some(600),
        });
        let start = std::time::Instant::now();
        pacer.ready(4, |_, _| {}).await;
        // Four images at one per ~102 ms: three gaps.
        assert!(start.elapsed() >= Duration::from_millis(290));
    }
}
