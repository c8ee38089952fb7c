//! The remove.bg client against a local mock: the exact multipart request,
//! credits charged, and its refusals.

mod common;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tintype::catalog::{Catalog, Draft, Usage, ValidRequest, text_params};
use tintype::config::ApiKey;
use tintype::providers::http::Connection;
use tintype::providers::removebg::RemoveBg;
use tintype::providers::{Charged, ErrorClass, Progress};
use wiremock::{MockServer, ResponseTemplate};

use common::{FormPart, fast_limits, mount_post, multipart_parts, png, run_call};

const KEY: &str = "rbg-test-key-0123456789";
const ROUTE: &str = "/v1.0/removebg";

fn provider(server: &MockServer) -> RemoveBg {
    let limits = fast_limits(1 << 20, Duration::from_secs(2));
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

/// A photo to cut out, written to a temporary directory.
fn photo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portrait.jpg");
    image::RgbImage::from_pixel(40, 30, image::Rgb([120, 130, 140]))
        .save(&file)
        .unwrap();
    (dir, file)
}

fn cut_out(credits: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(png(40, 30, [200, 40, 40, 0]), "image/png")
        .insert_header("X-Credits-Charged", credits)
        .insert_header("X-Width", "40")
        .insert_header("X-Height", "30")
}

#[tokio::test]
async fn sends_the_photo_and_the_given_fields_and_reads_the_credits() {
    let (_dir, file) = photo();
    let server = MockServer::start().await;
    mount_post(&server, ROUTE, cut_out("1")).await;
    let req = request(
        &file,
        &[
            ("size", "full"),
            ("type", "person"),
            ("crop", "true"),
            ("bg_color", "81d4fa"),
        ],
    );
    let (result, events) = run_call(&provider(&server), &req, 1, None).await;
    let output = result.unwrap();

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let sent = &received[0];
    assert_eq!(sent.method.as_str(), "POST");
    assert_eq!(sent.headers.get("x-api-key").unwrap(), KEY);
    assert!(sent.headers.get("authorization").is_none());
    assert_eq!(
        multipart_parts(sent),
        vec![
            FormPart {
                name: "image_file".into(),
                filename: Some("image.jpg".into()),
                content_type: Some("image/jpeg".into()),
                bytes: std::fs::read(&file).unwrap(),
            },
            FormPart::text("bg_color", "81d4fa"),
            FormPart::text("crop", "true"),
            FormPart::text("size", "full"),
            FormPart::text("type", "person"),
            FormPart::text("format", "png"),
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
    mount_post(&server, ROUTE, cut_out("0.25")).await;
    let req = request(&file, &[("size", "preview")]);
    let output = run_call(&provider(&server), &req, 1, None).await.0.unwrap();
    let received = server.received_requests().await.unwrap();
    let names: Vec<String> = multipart_parts(&received[0])
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, vec!["image_file", "size", "format"]);
    assert_eq!(
        multipart_parts(&received[0])[2],
        FormPart::text("format", "png")
    );
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
    mount_post(
        &server,
        ROUTE,
        ResponseTemplate::new(402).set_body_json(
            json!({"errors": [{"title": "Insufficient credits", "code": "insufficient_credits"}]}),
        ),
    )
    .await;
    let error = run_call(&provider(&server), &request(&file, &[]), 1, None)
        .await
        .0
        .unwrap_err();
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
    mount_post(
        &server,
        ROUTE,
        ResponseTemplate::new(429)
            .set_body_json(json!({"errors": [{"title": "Rate limit exceeded", "code": "rate_limit_exceeded"}]}))
            .insert_header("Retry-After", "12"),
    )
    .await;
    let error = run_call(&provider(&server), &request(&file, &[]), 1, None)
        .await
        .0
        .unwrap_err();
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
    mount_post(
        &server,
        ROUTE,
        ResponseTemplate::new(400).set_body_json(json!({"errors": [{
            "title": "Could not identify foreground in image. For details and recommendations see https://www.remove.bg/supported-images.",
            "code": "unknown_foreground"
        }]})),
    )
    .await;
    let error = run_call(&provider(&server), &request(&file, &[]), 1, None)
        .await
        .0
        .unwrap_err();
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
    mount_post(
        &server,
        ROUTE,
        ResponseTemplate::new(403).set_body_json(
            json!({"errors": [{"title": "API Key invalid", "code": "auth_failed"}]}),
        ),
    )
    .await;
    let error = run_call(&provider(&server), &request(&file, &[]), 1, None)
        .await
        .0
        .unwrap_err();
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
    mount_post(&server, ROUTE, page()).await;
    let error = run_call(&provider(&server), &request(&file, &[]), 1, None)
        .await
        .0
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("not an image") && error.message.contains("text/html"),
        "{}",
        error.message
    );

    let billed = MockServer::start().await;
    mount_post(
        &billed,
        ROUTE,
        page().insert_header("X-Credits-Charged", "1"),
    )
    .await;
    let error = run_call(&provider(&billed), &request(&file, &[]), 1, None)
        .await
        .0
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(
        error.charged,
        Charged::Yes,
        "remove.bg said it charged a credit"
    );
}
