//! The rate-limit headers providers send with their answers. When one says
//! nothing is left until a reset, the engine's pacer for that provider holds
//! every job until then instead of letting them bounce off 429s.
//!
//! The clients stay unaware of pacing: the engine runs each call inside
//! [`observe_limits`], and [`super::send`] reports every answer's headers
//! to whoever is observing.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;

/// Told how long to hold off when a provider says its limit is spent.
pub type LimitObserver = Arc<dyn Fn(Duration) + Send + Sync>;

tokio::task_local! {
    static OBSERVER: LimitObserver;
}

/// Runs `call` with `observer` told of every exhausted limit it meets.
pub async fn observe_limits<F: Future>(observer: LimitObserver, call: F) -> F::Output {
    OBSERVER.scope(observer, call).await
}

pub(super) fn report(headers: &HeaderMap) {
    if let Some(pause) = exhausted_for(headers) {
        // Outside an engine call (a test, a one-off download) nobody listens.
        let _ = OBSERVER.try_with(|observer| observer(pause));
    }
}

/// How long until a spent limit resets, when a header says one is spent:
/// `OpenAI`'s `x-ratelimit-remaining-{requests,images,tokens}` with
/// `x-ratelimit-reset-*` ("6m0s", "1s", "20ms"), the IETF draft's
/// `ratelimit-remaining`/`ratelimit-reset` (seconds), and the common
/// `x-ratelimit-remaining`/`x-ratelimit-reset` (seconds or a unix time).
pub fn exhausted_for(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    let pairs = [
        (
            "x-ratelimit-remaining-requests",
            "x-ratelimit-reset-requests",
        ),
        ("x-ratelimit-remaining-images", "x-ratelimit-reset-images"),
        ("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
        ("ratelimit-remaining", "ratelimit-reset"),
        ("x-ratelimit-remaining", "x-ratelimit-reset"),
    ];
    pairs
        .iter()
        .filter(|(remaining, _)| {
            text(remaining)
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|left| left < 1.0)
        })
        .filter_map(|(_, reset)| text(reset).and_then(reset_in))
        .max()
}

/// "6m0s", "1m30.5s", "20ms", "0.5s", or plain seconds; a number that can
/// only be a unix time counts from now. Capped at an hour.
fn reset_in(value: &str) -> Option<Duration> {
    let cap = Duration::from_hours(1);
    if let Ok(seconds) = value.parse::<f64>() {
        if !seconds.is_finite() || seconds < 0.0 {
            return None;
        }
        if seconds > 1e9 {
            let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
            return Some(Duration::from_secs_f64((seconds - now).max(0.0)).min(cap));
        }
        return Some(Duration::from_secs_f64(seconds).min(cap));
    }
    let mut total = 0.0;
    let mut number = String::new();
    let mut chars = value.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let amount: f64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            'h' => 3600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += amount * unit;
        any = true;
    }
    (any && number.is_empty()).then(|| Duration::from_secs_f64(total).min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn reset_times_in_every_spelling() {
        assert_eq!(reset_in("6m0s"), Some(Duration::from_mins(6)));
        assert_eq!(reset_in("1m30.5s"), Some(Duration::from_millis(90_500)));
        assert_eq!(reset_in("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(reset_in("1h"), Some(Duration::from_hours(1)));
        assert_eq!(reset_in("7"), Some(Duration::from_secs(7)));
        assert_eq!(reset_in("soon"), None);
        assert_eq!(reset_in("5x"), None);
        assert_eq!(reset_in("12"), Some(Duration::from_secs(12)));
        let in_ten = (chrono::Utc::now().timestamp() + 10).to_string();
        let wait = reset_in(&in_ten).unwrap();
        assert!(wait > Duration::from_secs(8) && wait <= Duration::from_secs(10));
    }

    #[test]
    fn only_a_spent_limit_asks_for_a_pause() {
        let spent = headers(&[
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "1.5s"),
            ("x-ratelimit-remaining-tokens", "1000"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ]);
        assert_eq!(exhausted_for(&spent), Some(Duration::from_millis(1500)));
        let left = headers(&[
            ("x-ratelimit-remaining-requests", "3"),
            ("x-ratelimit-reset-requests", "1s"),
        ]);
        assert_eq!(exhausted_for(&left), None);
        let draft = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "4")]);
        assert_eq!(exhausted_for(&draft), Some(Duration::from_secs(4)));
        assert_eq!(exhausted_for(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn observers_hear_only_within_their_call() {
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Arc::clone(&heard);
        let spent = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "2")]);
        report(&spent);
        observe_limits(Arc::new(move |d| sink.lock().unwrap().push(d)), async {
            report(&spent);
        })
        .await;
        assert_eq!(*heard.lock().unwrap(), vec![Duration::from_secs(2)]);
    }
}
