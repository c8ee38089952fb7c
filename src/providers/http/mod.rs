//! What every HTTP provider shares: a rustls client with timeouts, bodies
//! read under a size cap, failures classified (status, body, transport), and
//! output downloads that never carry a key to another host.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use super::{ErrorClass, ProviderError};
use crate::config::ApiKey;
use crate::text::strip_controls;

/// Bounds on what tintype waits for and accepts. Tests shrink the polls.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The largest response body read; a bigger one is refused, not buffered.
    pub max_body_bytes: u64,
    pub connect_timeout: Duration,
    /// How long one request may take, image generation included.
    pub request_timeout: Duration,
    /// Replicate: first poll after, growth factor x10, longest gap.
    pub poll_first: Duration,
    pub poll_growth_tenths: u32,
    pub poll_max: Duration,
    /// Give up on a remote job that has not finished by then.
    pub poll_deadline: Duration,
    /// Stability asks for at most one results poll every 10 s.
    pub stability_poll: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 50 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_mins(5),
            poll_first: Duration::from_secs(1),
            poll_growth_tenths: 15,
            poll_max: Duration::from_secs(10),
            poll_deadline: Duration::from_mins(10),
            stability_poll: Duration::from_secs(10),
        }
    }
}

/// Where and as whom a provider module talks.
#[derive(Clone, Debug)]
pub struct Connection {
    /// API root without a trailing slash: `https://api.openai.com/v1`.
    pub base_url: String,
    pub key: ApiKey,
    pub client: reqwest::Client,
    pub limits: Limits,
}

impl Connection {
    pub fn new(base_url: &str, key: ApiKey, limits: Limits) -> Result<Connection, String> {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(concat!("tintype/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.request_timeout)
            .build()
            .map_err(|e| format!("cannot set up HTTPS: {e}"))?;
        Ok(Connection {
            base_url: base_url.trim_end_matches('/').to_string(),
            key,
            client,
            limits,
        })
    }

    /// `base_url` + `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Whether `url` is on the API's own host, the only place a key may go.
    pub fn same_host(&self, url: &str) -> bool {
        let host = |u: &str| {
            reqwest::Url::parse(u).ok().map(|u| {
                (
                    u.scheme().to_string(),
                    u.host_str().map(str::to_string),
                    u.port_or_known_default(),
                )
            })
        };
        host(url).is_some() && host(url) == host(&self.base_url)
    }
}

/// Sends a request. `billable` says whether the provider may act on it once
/// sent (creating an image): then a timeout or a dropped connection is an
/// unknown outcome, never something to send again blindly.
pub async fn send(request: RequestBuilder, billable: bool) -> Result<Response, ProviderError> {
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(&e, billable))?;
    rate::report(response.headers());
    Ok(response)
}

pub fn transport_error(error: &reqwest::Error, billable: bool) -> ProviderError {
    let detail = strip_controls(&error.to_string(), true);
    if error.is_connect() {
        return ProviderError::new(
            ErrorClass::Transient,
            format!("cannot reach the provider: {detail}"),
        );
    }
    if error.is_timeout() {
        let class = if billable {
            ErrorClass::UnknownOutcome
        } else {
            ErrorClass::Transient
        };
        return ProviderError::new(class, format!("no answer in time: {detail}"));
    }
    let class = if billable {
        ErrorClass::UnknownOutcome
    } else {
        ErrorClass::Transient
    };
    ProviderError::new(
        class,
        format!("the connection failed mid-request: {detail}"),
    )
}

/// A response's status, headers and body, read under the size cap.
pub struct Body {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Body {
    pub fn content_type(&self) -> String {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Parses the body as JSON, or says plainly what came instead.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, ProviderError> {
        if !self.content_type().contains("json") && looks_like_html(&self.bytes) {
            return Err(bad_response(format!(
                "{what}: an HTML page came instead of JSON ({})",
                self.status
            )));
        }
        serde_json::from_slice(&self.bytes).map_err(|e| {
            bad_response(format!(
                "{what}: the JSON is truncated or invalid ({}, {} bytes)",
                strip_controls(&e.to_string(), true),
                self.bytes.len()
            ))
        })
    }

    /// Ok for 2xx; otherwise the classified error (see [`classify`]).
    pub fn ok(self) -> Result<Body, ProviderError> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(classify(self.status, &self.headers, &self.bytes))
        }
    }
}

/// Reads the whole body, refusing one larger than `max` bytes without
/// buffering it. A connection dropped mid-body after a billable request is an
/// unknown outcome.
pub async fn read(response: Response, max: u64, billable: bool) -> Result<Body, ProviderError> {
    let status = response.status();
    let headers = response.headers().clone();
    let too_big = |size: u64| {
        bad_response(format!(
            "the answer is {}, more than the {} tintype accepts (limits.max_body_bytes)",
            byte_size(size),
            byte_size(max)
        ))
    };
    if let Some(length) = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && length > max
    {
        return Err(too_big(length));
    }
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| transport_error(&e, billable))?;
        if bytes.len() as u64 + chunk.len() as u64 > max {
            return Err(too_big(bytes.len() as u64 + chunk.len() as u64));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Body {
        status,
        headers,
        bytes,
    })
}

/// `612 bytes`, `3 MB`: sizes people read.
pub fn byte_size(bytes: u64) -> String {
    if bytes < 1_000_000 {
        format!("{bytes} bytes")
    } else {
        format!("{} MB", bytes / 1_000_000)
    }
}

pub(super) fn bad_response(message: String) -> ProviderError {
    ProviderError::new(ErrorClass::BadResponse, message)
}

pub(super) fn looks_like_html(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    head.trim_start().starts_with("<!doctype html") || head.contains("<html")
}

mod classify;
mod media;
pub mod rate;

pub use classify::{classify, error_message, retry_after};
pub use media::{decode_base64, download, encode_base64, image_format, mime_type, read_input};

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn connection(server: &MockServer) -> Connection {
        let limits = Limits {
            max_body_bytes: 1024,
            ..Limits::default()
        };
        Connection::new(&server.uri(), ApiKey::new("sk-test-key-0123456789"), limits).unwrap()
    }

    #[tokio::test]
    async fn bodies_over_the_cap_are_refused() {
        let server = MockServer::start().await;
        Mock::given(path("/big"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 4096]))
            .mount(&server)
            .await;
        Mock::given(path("/small"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{\"a\":1}"))
            .mount(&server)
            .await;
        let conn = connection(&server);
        let big = send(conn.client.get(conn.url("/big")), true).await.unwrap();
        let error = read(big, conn.limits.max_body_bytes, true)
            .await
            .err()
            .unwrap();
        assert_eq!(error.class, ErrorClass::BadResponse);
        assert!(
            error.message.contains("limits.max_body_bytes"),
            "{}",
            error.message
        );
        let small = send(conn.client.get(conn.url("/small")), true)
            .await
            .unwrap();
        let body = read(small, 1024, true).await.unwrap();
        let value: serde_json::Value = body.json("test").unwrap();
        assert_eq!(value["a"], 1);
    }

    #[tokio::test]
    async fn garbage_json_and_html_are_bad_responses() {
        let server = MockServer::start().await;
        Mock::given(path("/truncated"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw("{\"data\": [", "application/json"),
            )
            .mount(&server)
            .await;
        Mock::given(path("/html"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw("<html><body>maintenance</body></html>", "text/html"),
            )
            .mount(&server)
            .await;
        let conn = connection(&server);
        for (route, expected) in [
            ("/truncated", "truncated or invalid"),
            ("/html", "HTML page"),
        ] {
            let response = send(conn.client.get(conn.url(route)), true).await.unwrap();
            let body = read(response, 1024, true).await.unwrap();
            let error = body.json::<serde_json::Value>("images").unwrap_err();
            assert_eq!(error.class, ErrorClass::BadResponse, "{route}");
            assert!(
                error.message.contains(expected),
                "{route}: {}",
                error.message
            );
        }
    }

    #[tokio::test]
    async fn refused_connections_and_timeouts_are_told_apart() {
        // Nothing listens on this port once the listener is dropped.
        let address = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", listener.local_addr().unwrap())
        };
        let conn = Connection::new(&address, ApiKey::new("k"), Limits::default()).unwrap();
        let refused = send(conn.client.post(conn.url("/images/generations")), true)
            .await
            .unwrap_err();
        assert_eq!(refused.class, ErrorClass::Transient, "{}", refused.message);

        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
            .mount(&server)
            .await;
        let limits = Limits {
            request_timeout: Duration::from_millis(100),
            ..Limits::default()
        };
        let slow = Connection::new(&server.uri(), ApiKey::new("k"), limits).unwrap();
        let billable = send(slow.client.post(slow.url("/x")), true)
            .await
            .unwrap_err();
        assert_eq!(billable.class, ErrorClass::UnknownOutcome);
        assert_eq!(billable.charged, crate::providers::Charged::Maybe);
        let harmless = send(slow.client.post(slow.url("/x")), false)
            .await
            .unwrap_err();
        assert_eq!(harmless.class, ErrorClass::Transient);
    }
}
