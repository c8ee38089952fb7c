//! The remove.bg client against a local mock: the exact multipart request,
//! credits charged, and its refusals.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tintype::catalog::{Catalog, Draft, Usage, ValidRequest, text_params};
use tintype::config::ApiKey;
use tintype::providers::http::{Connection, Limits};
use tintype::providers::removebg::RemoveBg;
use tintype::providers::{
    Call, CallOutput, Charged, ErrorClass, Progress, Provider, ProviderError,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "rbg-test-key-0123456789";

fn png(width: u32, height: u32, alpha: u8) -> Vec<u8> {
    let picture = image::RgbaImage::from_pixel(width, height, image::Rgba([200, 40, 40, alpha]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

fn provider(server: &MockServer) -> RemoveBg {
    let limits = Limits {
        max_body_bytes: 1 << 20,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        ..Limits::default()
    };
    RemoveBg::new(
        Connection::new(&format!("{}/v1.0", server.uri()), ApiKey::new(KEY), limits).unwrap(),
    )
}

fn request(input: &Path, params: &[(&str, &str)]) -> ValidRequest {
    let draft = Draft {
        model: "removebg/remove-background".into(),
        params: text_params(params),
        inputs: vec![tintype::catalog::input::probe(input).unwrap()],
        ..Draft::default()
    };
    Catalog::embedded()
        .unwrap()
        .validate(&draft)
        .unwrap_or_else(|e| panic!("{e:?}"))
}

async fn run(
    server: &MockServer,
    request: &ValidRequest,
) -> (Result<CallOutput, ProviderError>, Vec<Progress>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let call = Call {
        request,
        index: 0,
        n: 1,
        seed: None,
    };
    let result = provider(server).call(call, &tx).await;
    drop(tx);
    let mut events = Vec::new();
    while let Some(event) = rx.recv().await {
        events.push(event);
    }
    (result, events)
}

/// A photo to cut out, written to a temporary directory.
fn photo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portrait.jpg");
    image::RgbImage::from_pixel(40, 30, image::Rgb([120, 130, 140]))
        .save(&file)
        .unwrap();
    (dir, file)
}

async fn mount(server: &MockServer, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v1.0/removebg"))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// One multipart part: its field name, file name, content type and bytes.
#[derive(Debug, PartialEq)]
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn quoted(header: &str, key: &str) -> Option<String> {
    let start = header.find(&format!("{key}=\""))? + key.len() + 2;
    let end = header[start..].find('"')? + start;
    Some(header[start..end].to_string())
}

/// Splits a multipart/form-data body into its parts.
fn parts(request: &Request) -> Vec<Part> {
    let content_type = request
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        content_type.starts_with("multipart/form-data"),
        "{content_type}"
    );
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap()
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let mut rest = &request.body[..];
    let mut found = Vec::new();
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        rest = &rest[at + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let head_end = find(rest, b"\r\n\r\n").unwrap();
        let head = String::from_utf8(rest[..head_end].to_vec()).unwrap();
        let after = &rest[head_end + 4..];
        let body_end = find(after, format!("\r\n{delimiter}").as_bytes()).unwrap();
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .unwrap();
        found.push(Part {
            name: quoted(disposition, "name").unwrap(),
            filename: quoted(disposition, "filename"),
            content_type: head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("content-type"))
                .map(|l| l.split_once(':').unwrap().1.trim().to_string()),
            body: after[..body_end].to_vec(),
        });
        rest = &after[body_end..];
    }
    found
}

fn field(name: &str, value: &str) -> Part {
    Part {
        name: name.into(),
        filename: None,
        content_type: None,
        body: value.as_bytes().to_vec(),
    }
}

fn cut_out(credits: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(png(40, 30, 0), "image/png")
        .insert_header("X-Credits-Charged", credits)
        .insert_header("X-Width", "40")
        .insert_header("X-Height", "30")
}

#[tokio::test]
async fn sends_the_photo_and_the_given_fields_and_reads_the_credits() {
    let (_dir, file) = photo();
    let server = MockServer::start().await;
    mount(&server, cut_out("1")).await;
    let req = request(
        &file,
        &[
            ("size", "full"),
            ("type", "person"),
            ("crop", "true"),
            ("bg_color", "81d4fa"),
        ],
    );
    let (result, events) = run(&server, &req).await;
    let output = result.unwrap();

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let sent = &received[0];
    assert_eq!(sent.method.as_str(), "POST");
    assert_eq!(sent.headers.get("x-api-key").unwrap(), KEY);
    assert!(sent.headers.get("authorization").is_none());
    assert_eq!(
        parts(sent),
        vec![
            Part {
                name: "image_file".into(),
                filename: Some("image.jpg".into()),
                content_type: Some("image/jpeg".into()),
                body: std::fs::read(&file).unwrap(),
            },
            field("bg_color", "81d4fa"),
            field("crop", "true"),
            field("size", "full"),
            field("type", "person"),
            field("format", "png"),
        ]
    );

    assert_eq!(output.images.len(), 1);
    let image = &output.images[0];
    assert_eq!(image.format, "png");
    let decoded = image::load_from_memory(&image.bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (40, 30));
    assert_eq!(image.seed, None);
    assert_eq!(
        output.usage,
        Some(Usage::Credits {
            micro_credits: 1_000_000
        })
    );
    assert!(
        events.contains(&Progress::Status(
            "remove.bg returned the cut-out 40x30, 1 credit(s)".into()
        )),
        "{events:?}"
    );
}

#[tokio::test]
async fn asks_for_png_when_no_format_is_given_and_counts_quarter_credits() {
    let (_dir, file) = photo();
    let server = MockServer::start().await;
    mount(&server, cut_out("0.25")).await;
    let req = request(&file, &[("size", "preview")]);
    let output = run(&server, &req).await.0.unwrap();
    let received = server.received_requests().await.unwrap();
    let names: Vec<String> = parts(&received[0]).into_iter().map(|p| p.name).collect();
    assert_eq!(names, vec!["image_file", "size", "format"]);
    assert_eq!(parts(&received[0])[2], field("format", "png"));
    assert_eq!(
        output.usage,
        Some(Usage::Credits {
            micro_credits: 250_000
        })
    );
}

#[tokio::test]
async fn insufficient_credits_is_its_own_class() {
    let (_dir, file) = photo();
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(402).set_body_json(
            json!({"errors": [{"title": "Insufficient credits", "code": "insufficient_credits"}]}),
        ),
    )
    .await;
    let error = run(&server, &request(&file, &[])).await.0.unwrap_err();
    assert_eq!(error.class, ErrorClass::InsufficientCredit);
    assert_eq!(error.charged, Charged::No);
    assert_eq!(error.status, Some(402));
    assert!(
        error.message.contains("Insufficient credits"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_rate_limit_carries_retry_after() {
    let (_dir, file) = photo();
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(429)
            .set_body_json(json!({"errors": [{"title": "Rate limit exceeded", "code": "rate_limit_exceeded"}]}))
            .insert_header("Retry-After", "12"),
    )
    .await;
    let error = run(&server, &request(&file, &[])).await.0.unwrap_err();
    assert_eq!(error.class, ErrorClass::RateLimited);
    assert_eq!(error.charged, Charged::No);
    assert_eq!(error.retry_after, Some(Duration::from_secs(12)));
    assert!(
        error.message.contains("Rate limit exceeded"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn an_unknown_foreground_is_an_invalid_request() {
    let (_dir, file) = photo();
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(400).set_body_json(json!({"errors": [{
            "title": "Could not identify foreground in image. For details and recommendations see https://www.remove.bg/supported-images.",
            "code": "unknown_foreground"
        }]})),
    )
    .await;
    let error = run(&server, &request(&file, &[])).await.0.unwrap_err();
    assert_eq!(error.class, ErrorClass::InvalidRequest);
    assert_eq!(error.charged, Charged::No);
    assert!(
        error.message.contains("Could not identify foreground"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_refused_key_is_an_authentication_error() {
    let (_dir, file) = photo();
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(403).set_body_json(
            json!({"errors": [{"title": "API Key invalid", "code": "auth_failed"}]}),
        ),
    )
    .await;
    let error = run(&server, &request(&file, &[])).await.0.unwrap_err();
    assert_eq!(error.class, ErrorClass::Authentication);
    assert!(
        error.message.contains("API Key invalid") && !error.message.contains(KEY),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_200_that_is_not_an_image_is_a_bad_response() {
    let (_dir, file) = photo();
    let page = || {
        ResponseTemplate::new(200)
            .set_body_raw("<html><body>maintenance</body></html>", "text/html")
    };
    let server = MockServer::start().await;
    mount(&server, page()).await;
    let error = run(&server, &request(&file, &[])).await.0.unwrap_err();
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("not an image") && error.message.contains("text/html"),
        "{}",
        error.message
    );

    let billed = MockServer::start().await;
    mount(&billed, page().insert_header("X-Credits-Charged", "1")).await;
    let error = run(&billed, &request(&file, &[])).await.0.unwrap_err();
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(
        error.charged,
        Charged::Yes,
        "remove.bg said it charged a credit"
    );
}
