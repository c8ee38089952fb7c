//! Helpers shared by the provider tests (`tests/provider_*.rs`): running one
//! call, small encoded images, limits for a local mock server, and reading
//! back what the mock received.

// Each test file compiles this module on its own and uses only some of it.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use tintype::catalog::ValidRequest;
use tintype::providers::http::Limits;
use tintype::providers::{Call, CallOutput, Progress, Provider, ProviderError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Makes one call (image index 0) and collects the progress it reported.
pub async fn run_call(
    provider: &dyn Provider,
    request: &ValidRequest,
    n: u32,
    seed: Option<u64>,
) -> (Result<CallOutput, ProviderError>, Vec<Progress>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let call = Call {
        request,
        index: 0,
        n,
        seed,
    };
    let result = provider.call(call, &tx).await;
    drop(tx);
    let mut events = Vec::new();
    while let Some(event) = rx.recv().await {
        events.push(event);
    }
    (result, events)
}

/// A `width` x `height` PNG of one RGBA colour.
pub fn png(width: u32, height: u32, rgba: [u8; 4]) -> Vec<u8> {
    let picture = RgbaImage::from_pixel(width, height, Rgba(rgba));
    let mut bytes = Cursor::new(Vec::new());
    picture.write_to(&mut bytes, ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// A `width` x `height` picture of one RGB colour, encoded as `format`.
pub fn encoded_image(format: ImageFormat, width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let picture = RgbImage::from_pixel(width, height, Rgb(rgb));
    let mut bytes = Cursor::new(Vec::new());
    picture.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

/// Writes `bytes` to `dir/name`, for a request to read as an input image.
pub fn write_input_image(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    file
}

/// Limits for a local mock server: a `max_body_bytes` cap, `connect_timeout`,
/// a 5 s request timeout, and the defaults for everything else.
pub fn fast_limits(max_body_bytes: u64, connect_timeout: Duration) -> Limits {
    Limits {
        max_body_bytes,
        connect_timeout,
        request_timeout: Duration::from_secs(5),
        ..Limits::default()
    }
}

/// Answers every POST to `route` with `answer`.
pub async fn mount_post(server: &MockServer, route: &str, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// Answers every POST, whatever its path, with `answer`.
pub async fn answer_all_posts(server: &MockServer, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// The only request the server received.
pub async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "exactly one request");
    requests.remove(0)
}

/// One part of a `multipart/form-data` body as it went over the wire.
#[derive(Debug, PartialEq, Eq)]
pub struct FormPart {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl FormPart {
    /// A text field.
    pub fn text(name: &str, value: &str) -> FormPart {
        FormPart {
            name: name.into(),
            filename: None,
            content_type: None,
            bytes: value.as_bytes().to_vec(),
        }
    }

    /// A file field.
    pub fn file(name: &str, filename: &str, content_type: &str, bytes: Vec<u8>) -> FormPart {
        FormPart {
            name: name.into(),
            filename: Some(filename.into()),
            content_type: Some(content_type.into()),
            bytes,
        }
    }
}

/// Splits the `multipart/form-data` body of `request` into its parts, in
/// the order they were sent.
pub fn multipart_parts(request: &Request) -> Vec<FormPart> {
    let content_type = request.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("multipart/form-data"),
        "{content_type}"
    );
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a multipart boundary")
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let mut rest = &request.body[..];
    let mut parts = Vec::new();
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        rest = &rest[at + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        // Skip the CRLF that ends the delimiter line.
        let part = &rest[2..];
        let head_end = find(part, b"\r\n\r\n").expect("part headers end");
        let head = String::from_utf8_lossy(&part[..head_end]).into_owned();
        let body = &part[head_end + 4..];
        let body_end = find(body, format!("\r\n{delimiter}").as_bytes()).expect("part end");
        let header = |name: &str| {
            head.lines()
                .find(|l| l.to_ascii_lowercase().starts_with(name))
        };
        let disposition = header("content-disposition").expect("a content-disposition");
        parts.push(FormPart {
            name: quoted(disposition, "name").expect("a field name"),
            filename: quoted(disposition, "filename"),
            content_type: header("content-type")
                .and_then(|l| l.split_once(':'))
                .map(|(_, value)| value.trim().to_string()),
            bytes: body[..body_end].to_vec(),
        });
        rest = &body[body_end..];
    }
    parts
}

/// The value of `key="..."` in a header line.
fn quoted(header: &str, key: &str) -> Option<String> {
    let start = header.find(&format!("{key}=\""))? + key.len() + 2;
    let end = header[start..].find('"')? + start;
    Some(header[start..end].to_string())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
