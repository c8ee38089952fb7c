//! The Stability AI v2beta client against a local mock server: the exact
//! multipart forms, the image answers and their headers, every error the
//! spec lists, and async creative upscales (poll, deadline, resume).

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tintype::catalog::{Catalog, Draft, Usage, ValidRequest, input, text_params};
use tintype::config::ApiKey;
use tintype::providers::http::{Connection, Limits};
use tintype::providers::stability::Stability;
use tintype::providers::{
    Call, CallOutput, Charged, ErrorClass, Progress, Provider, ProviderError,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk-stability-test-0123456789";
const JOB: &str = "a6dc6c6e20acda010fe14d71f180658f2896ed9b4ec25aa99a6ff06c796987c4";

fn limits() -> Limits {
    Limits {
        max_body_bytes: 1 << 20,
        request_timeout: Duration::from_secs(5),
        poll_deadline: Duration::from_secs(5),
        stability_poll: Duration::from_millis(10),
        ..Limits::default()
    }
}

fn stability(server: &MockServer, limits: Limits) -> Stability {
    Stability::new(Connection::new(&server.uri(), ApiKey::new(KEY), limits).unwrap())
}

/// A small real image, encoded as `format`.
fn encoded(format: image::ImageFormat, shade: u8) -> Vec<u8> {
    let picture = image::RgbImage::from_pixel(64, 64, image::Rgb([shade, 90, 200]));
    let mut bytes = Cursor::new(Vec::new());
    picture.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

fn write_png(dir: &Path, name: &str, shade: u8) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, encoded(image::ImageFormat::Png, shade)).unwrap();
    path
}

struct Ask<'a> {
    model: &'a str,
    operation: Option<&'a str>,
    prompt: Option<&'a str>,
    params: &'a [(&'a str, &'a str)],
    image: Option<&'a Path>,
    mask: Option<&'a Path>,
}

impl Default for Ask<'_> {
    fn default() -> Self {
        Ask {
            model: "stability/stable-image-core",
            operation: None,
            prompt: Some("a lighthouse at dusk"),
            params: &[],
            image: None,
            mask: None,
        }
    }
}

fn request(ask: &Ask<'_>) -> ValidRequest {
    let draft = Draft {
        model: ask.model.into(),
        operation: ask.operation.map(Into::into),
        prompt: ask.prompt.map(Into::into),
        params: text_params(ask.params),
        inputs: ask
            .image
            .map(|p| vec![input::probe(p).unwrap()])
            .unwrap_or_default(),
        mask: ask.mask.map(|p| input::probe(p).unwrap()),
        ..Draft::default()
    };
    Catalog::embedded()
        .unwrap()
        .validate(&draft)
        .unwrap_or_else(|e| panic!("{} should validate: {e:?}", ask.model))
}

async fn run(
    provider: &Stability,
    request: &ValidRequest,
    seed: Option<u64>,
) -> (Result<CallOutput, ProviderError>, Vec<Progress>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let call = Call {
        request,
        index: 0,
        n: 1,
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

/// An image answer as Stability sends it with `accept: image/*`.
fn image_answer(bytes: Vec<u8>, mime: &str, seed: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("finish-reason", "SUCCESS")
        .insert_header("seed", seed)
        .set_body_raw(bytes, mime)
}

fn error_answer(status: u16, name: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(serde_json::json!({
        "id": "2a1b6d4fbb0f4f5f9f4e0e1c7d6f1a2b",
        "name": name,
        "errors": [message],
    }))
}

async fn answer_all(server: &MockServer, template: ResponseTemplate) {
    Mock::given(method("POST"))
        .respond_with(template)
        .mount(server)
        .await;
}

/// One multipart field as it went over the wire.
#[derive(Debug, PartialEq, Eq)]
struct Field {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

impl Field {
    fn text(name: &str, value: &str) -> Field {
        Field {
            name: name.into(),
            file_name: None,
            content_type: None,
            bytes: value.as_bytes().to_vec(),
        }
    }

    fn file(name: &str, path: &Path) -> Field {
        Field {
            name: name.into(),
            file_name: Some(path.file_name().unwrap().to_string_lossy().into_owned()),
            content_type: Some("image/png".into()),
            bytes: std::fs::read(path).unwrap(),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Splits a `multipart/form-data` body into its fields, sorted by name.
fn multipart(request: &Request) -> Vec<Field> {
    let content_type = request.headers["content-type"].to_str().unwrap();
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
    let mut fields = Vec::new();
    while let Some(start) = find(rest, delimiter.as_bytes()) {
        rest = &rest[start + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let rest_of_part = &rest[2..];
        let head_end = find(rest_of_part, b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&rest_of_part[..head_end]).into_owned();
        let body_start = head_end + 4;
        let body_end = find(
            &rest_of_part[body_start..],
            format!("\r\n{delimiter}").as_bytes(),
        )
        .unwrap()
            + body_start;
        let attribute = |key: &str| {
            let marker = format!("{key}=\"");
            head.find(&marker).map(|at| {
                let value = &head[at + marker.len()..];
                value[..value.find('"').unwrap()].to_string()
            })
        };
        let content_type = head.lines().find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        });
        fields.push(Field {
            name: attribute("name").unwrap(),
            file_name: attribute("filename"),
            content_type,
            bytes: rest_of_part[body_start..body_end].to_vec(),
        });
        rest = &rest_of_part[body_end..];
    }
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    fields
}

fn sorted(mut fields: Vec<Field>) -> Vec<Field> {
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    fields
}

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "exactly one request");
    requests.remove(0)
}

fn assert_sent_to(request: &Request, endpoint: &str, accept: &str) {
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), endpoint);
    assert_eq!(
        request.headers["authorization"],
        format!("Bearer {KEY}").as_str()
    );
    assert_eq!(request.headers["accept"], accept);
}

async fn failure(template: ResponseTemplate) -> ProviderError {
    let server = MockServer::start().await;
    answer_all(&server, template).await;
    let req = request(&Ask::default());
    let error = run(&stability(&server, limits()), &req, Some(1))
        .await
        .0
        .unwrap_err();
    assert!(!error.message.contains(KEY), "the key never shows");
    assert!(!error.explain().contains(KEY));
    error
}

#[tokio::test]
async fn sd3_large_generate_sends_the_exact_form_and_reads_the_image() {
    let server = MockServer::start().await;
    let jpeg = encoded(image::ImageFormat::Jpeg, 10);
    answer_all(&server, image_answer(jpeg.clone(), "image/jpeg", "77")).await;
    let req = request(&Ask {
        model: "stability/sd3.5-large",
        params: &[
            ("negative_prompt", "fog"),
            ("aspect_ratio", "16:9"),
            ("output_format", "jpeg"),
        ],
        ..Ask::default()
    });
    let (result, events) = run(&stability(&server, limits()), &req, Some(77)).await;
    let output = result.unwrap();

    let sent = only_request(&server).await;
    assert_sent_to(&sent, "/v2beta/stable-image/generate/sd3", "image/*");
    assert_eq!(
        multipart(&sent),
        sorted(vec![
            Field::text("prompt", "a lighthouse at dusk"),
            Field::text("negative_prompt", "fog"),
            Field::text("aspect_ratio", "16:9"),
            Field::text("output_format", "jpeg"),
            Field::text("model", "sd3.5-large"),
            Field::text("seed", "77"),
        ])
    );
    let image = &output.images[0];
    assert_eq!(image.bytes, jpeg);
    assert_eq!(image.format, "jpeg");
    assert_eq!(image.seed, Some(77));
    assert!(image::load_from_memory(&image.bytes).is_ok());
    assert_eq!(output.usage, Some(Usage::Images { count: 1 }));
    assert_eq!(output.remote_id, None);
    assert!(
        events.iter().all(|e| matches!(e, Progress::Status(_))),
        "{events:?}"
    );
}

#[tokio::test]
async fn ultra_sends_only_what_was_given() {
    let server = MockServer::start().await;
    answer_all(
        &server,
        image_answer(encoded(image::ImageFormat::Png, 20), "image/png", "5"),
    )
    .await;
    let req = request(&Ask {
        model: "stability/stable-image-ultra",
        params: &[("style_preset", "anime")],
        ..Ask::default()
    });
    let output = run(&stability(&server, limits()), &req, Some(5))
        .await
        .0
        .unwrap();
    let sent = only_request(&server).await;
    assert_sent_to(&sent, "/v2beta/stable-image/generate/ultra", "image/*");
    assert_eq!(
        multipart(&sent),
        sorted(vec![
            Field::text("prompt", "a lighthouse at dusk"),
            Field::text("style_preset", "anime"),
            Field::text("seed", "5"),
        ])
    );
    assert_eq!(output.images[0].format, "png");
}

#[tokio::test]
async fn inpaint_sends_the_image_and_mask_as_files() {
    let dir = tempfile::tempdir().unwrap();
    let photo = write_png(dir.path(), "photo.png", 30);
    let mask = write_png(dir.path(), "mask.png", 255);
    let server = MockServer::start().await;
    answer_all(
        &server,
        image_answer(encoded(image::ImageFormat::Png, 40), "image/png", "9"),
    )
    .await;
    let req = request(&Ask {
        model: "stability/inpaint",
        prompt: Some("a red door"),
        params: &[("grow_mask", "12")],
        image: Some(&photo),
        mask: Some(&mask),
        ..Ask::default()
    });
    run(&stability(&server, limits()), &req, Some(9))
        .await
        .0
        .unwrap();
    let sent = only_request(&server).await;
    assert_sent_to(&sent, "/v2beta/stable-image/edit/inpaint", "image/*");
    assert_eq!(
        multipart(&sent),
        sorted(vec![
            Field::text("prompt", "a red door"),
            Field::text("grow_mask", "12"),
            Field::text("seed", "9"),
            Field::file("image", &photo),
            Field::file("mask", &mask),
        ])
    );
}

#[tokio::test]
async fn erase_sends_no_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let photo = write_png(dir.path(), "street.png", 50);
    let mask = write_png(dir.path(), "wires.png", 255);
    let server = MockServer::start().await;
    answer_all(
        &server,
        image_answer(encoded(image::ImageFormat::Png, 60), "image/png", "3"),
    )
    .await;
    let req = request(&Ask {
        model: "stability/erase",
        prompt: None,
        image: Some(&photo),
        mask: Some(&mask),
        ..Ask::default()
    });
    run(&stability(&server, limits()), &req, Some(3))
        .await
        .0
        .unwrap();
    let sent = only_request(&server).await;
    assert_sent_to(&sent, "/v2beta/stable-image/edit/erase", "image/*");
    assert_eq!(
        multipart(&sent),
        sorted(vec![
            Field::text("seed", "3"),
            Field::file("image", &photo),
            Field::file("mask", &mask),
        ])
    );
}

#[tokio::test]
async fn remove_background_sends_the_image_and_no_seed() {
    let dir = tempfile::tempdir().unwrap();
    let photo = write_png(dir.path(), "cup.png", 70);
    let server = MockServer::start().await;
    let webp = encoded(image::ImageFormat::WebP, 80);
    answer_all(&server, image_answer(webp.clone(), "image/webp", "0")).await;
    let req = request(&Ask {
        model: "stability/remove-background",
        prompt: None,
        params: &[("output_format", "webp")],
        image: Some(&photo),
        ..Ask::default()
    });
    // The operation takes no seed, so none is sent even if one is offered.
    let output = run(&stability(&server, limits()), &req, Some(11))
        .await
        .0
        .unwrap();
    let sent = only_request(&server).await;
    assert_sent_to(
        &sent,
        "/v2beta/stable-image/edit/remove-background",
        "image/*",
    );
    assert_eq!(
        multipart(&sent),
        sorted(vec![
            Field::text("output_format", "webp"),
            Field::file("image", &photo),
        ])
    );
    assert_eq!(output.images[0].format, "webp");
    assert_eq!(output.images[0].bytes, webp);
}

#[tokio::test]
async fn upscale_fast_sends_only_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let photo = write_png(dir.path(), "small.png", 90);
    let server = MockServer::start().await;
    answer_all(
        &server,
        image_answer(encoded(image::ImageFormat::Png, 100), "image/png", "0"),
    )
    .await;
    let req = request(&Ask {
        model: "stability/upscale-fast",
        prompt: None,
        image: Some(&photo),
        ..Ask::default()
    });
    let output = run(&stability(&server, limits()), &req, None)
        .await
        .0
        .unwrap();
    let sent = only_request(&server).await;
    assert_sent_to(&sent, "/v2beta/stable-image/upscale/fast", "image/*");
    assert_eq!(multipart(&sent), vec![Field::file("image", &photo)]);
    assert_eq!(output.usage, Some(Usage::Images { count: 1 }));
}

#[tokio::test]
async fn the_seed_used_comes_back_from_the_header() {
    let server = MockServer::start().await;
    answer_all(
        &server,
        image_answer(
            encoded(image::ImageFormat::Png, 110),
            "image/png",
            "343940597",
        ),
    )
    .await;
    let req = request(&Ask::default());
    let output = run(&stability(&server, limits()), &req, Some(0))
        .await
        .0
        .unwrap();
    assert_eq!(output.images[0].seed, Some(343_940_597));
}

#[tokio::test]
async fn a_blurred_image_is_a_moderation_error_that_may_be_charged() {
    let error = failure(
        ResponseTemplate::new(200)
            .insert_header("finish-reason", "CONTENT_FILTERED")
            .insert_header("seed", "1")
            .set_body_raw(encoded(image::ImageFormat::Png, 0), "image/png"),
    )
    .await;
    assert_eq!(error.class, ErrorClass::Moderation);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("CONTENT_FILTERED"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_403_is_content_moderation_not_a_bad_key() {
    let error = failure(error_answer(
        403,
        "content_moderation",
        "Your request was flagged by our content moderation system",
    ))
    .await;
    assert_eq!(error.class, ErrorClass::Moderation);
    assert_eq!(error.charged, Charged::No);
    assert_eq!(error.status, Some(403));
    assert!(error.message.contains("flagged"), "{}", error.message);
}

#[tokio::test]
async fn a_401_is_a_bad_key() {
    let error = failure(error_answer(
        401,
        "unauthorized",
        "authorization: invalid API key",
    ))
    .await;
    assert_eq!(error.class, ErrorClass::Authentication);
    assert_eq!(error.charged, Charged::No);
    assert!(
        error.message.contains("invalid API key"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_413_says_the_request_is_too_large() {
    let error = failure(error_answer(
        413,
        "payload_too_large",
        "body: payloads cannot be larger than 10MiB in size",
    ))
    .await;
    assert_eq!(error.class, ErrorClass::InvalidRequest);
    assert_eq!(error.charged, Charged::No);
    assert!(
        error.message.contains("smaller input image"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_422_is_an_invalid_request_in_stabilitys_words() {
    let error = failure(error_answer(
        422,
        "invalid_language",
        "English is the only supported language for this service.",
    ))
    .await;
    assert_eq!(error.class, ErrorClass::InvalidRequest);
    assert_eq!(error.charged, Charged::No);
    assert!(
        error
            .message
            .contains("English is the only supported language")
            && error.message.contains("invalid_language"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_429_without_retry_after_waits_the_60_second_time_out() {
    let error = failure(error_answer(
        429,
        "rate_limit_exceeded",
        "You have exceeded the rate limit of 150 requests within a 10 second period",
    ))
    .await;
    assert_eq!(error.class, ErrorClass::RateLimited);
    assert_eq!(error.retry_after, Some(Duration::from_mins(1)));
    assert_eq!(error.charged, Charged::No);
}

#[tokio::test]
async fn a_500_is_transient() {
    let error = failure(error_answer(
        500,
        "internal_error",
        "An unexpected server error has occurred, please try again later.",
    ))
    .await;
    assert_eq!(error.class, ErrorClass::Transient);
    assert!(error.class.is_retryable());
    assert!(
        error.message.contains("try again later"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_200_with_json_instead_of_an_image_is_a_bad_response() {
    let error = failure(
        ResponseTemplate::new(200)
            .set_body_raw(r#"{"status":"ok","note":"no image"}"#, "application/json"),
    )
    .await;
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("without a readable image"),
        "{}",
        error.message
    );
    let mislabeled =
        failure(ResponseTemplate::new(200).set_body_raw("{\"garbage\": tru", "image/png")).await;
    assert_eq!(mislabeled.class, ErrorClass::BadResponse);
}

fn creative_request(dir: &Path) -> ValidRequest {
    let photo = write_png(dir, "face.png", 120);
    request(&Ask {
        model: "stability/upscale-creative",
        prompt: Some("a sharp portrait"),
        params: &[("creativity", "0.2")],
        image: Some(&photo),
        ..Ask::default()
    })
}

async fn mount_job(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v2beta/stable-image/upscale/creative"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({ "id": JOB })))
        .mount(server)
        .await;
}

fn in_progress() -> ResponseTemplate {
    ResponseTemplate::new(202)
        .set_body_json(serde_json::json!({ "id": JOB, "status": "in-progress" }))
}

#[tokio::test]
async fn creative_upscale_reports_its_id_and_polls_until_done() {
    let dir = tempfile::tempdir().unwrap();
    let req = creative_request(dir.path());
    let server = MockServer::start().await;
    mount_job(&server).await;
    let result_path = format!("/v2beta/results/{JOB}");
    Mock::given(method("GET"))
        .and(path(result_path.as_str()))
        .respond_with(in_progress())
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    let png = encoded(image::ImageFormat::Png, 130);
    Mock::given(method("GET"))
        .and(path(result_path.as_str()))
        .respond_with(image_answer(png.clone(), "image/png", "4242"))
        .mount(&server)
        .await;

    let (result, events) = run(&stability(&server, limits()), &req, Some(8)).await;
    let output = result.unwrap();
    assert_eq!(output.remote_id.as_deref(), Some(JOB));
    assert_eq!(output.images[0].bytes, png);
    assert_eq!(output.images[0].seed, Some(4242));
    assert_eq!(output.usage, Some(Usage::Images { count: 1 }));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Progress::RemoteId(id) if id == JOB))
            .count(),
        1
    );

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 4, "one POST and three polls");
    assert_sent_to(
        &requests[0],
        "/v2beta/stable-image/upscale/creative",
        "application/json",
    );
    assert_eq!(
        multipart(&requests[0]),
        sorted(vec![
            Field::text("prompt", "a sharp portrait"),
            Field::text("creativity", "0.2"),
            Field::text("seed", "8"),
            Field::file("image", &dir.path().join("face.png")),
        ])
    );
    for poll in &requests[1..] {
        assert_eq!(poll.method.as_str(), "GET");
        assert_eq!(poll.url.path(), result_path);
        assert_eq!(
            poll.headers["authorization"],
            format!("Bearer {KEY}").as_str()
        );
        assert_eq!(poll.headers["accept"], "image/*");
    }
}

#[tokio::test]
async fn a_job_that_never_finishes_stops_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let req = creative_request(dir.path());
    let server = MockServer::start().await;
    mount_job(&server).await;
    Mock::given(method("GET"))
        .respond_with(in_progress())
        .mount(&server)
        .await;
    let short = Limits {
        poll_deadline: Duration::from_millis(200),
        stability_poll: Duration::from_millis(20),
        ..limits()
    };
    let (result, events) = run(&stability(&server, short), &req, Some(8)).await;
    let error = result.unwrap_err();
    assert_eq!(error.class, ErrorClass::Transient);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains(JOB) && error.message.contains("limits.poll_deadline"),
        "{}",
        error.message
    );
    assert!(events.contains(&Progress::RemoteId(JOB.into())));
}

#[tokio::test]
async fn a_job_is_resumed_by_its_id_without_posting_again() {
    let dir = tempfile::tempdir().unwrap();
    let req = creative_request(dir.path());
    let server = MockServer::start().await;
    let png = encoded(image::ImageFormat::Png, 140);
    Mock::given(method("GET"))
        .and(path(format!("/v2beta/results/{JOB}").as_str()))
        .respond_with(image_answer(png.clone(), "image/png", "17"))
        .mount(&server)
        .await;
    let provider = stability(&server, limits());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let call = Call {
        request: &req,
        index: 0,
        n: 1,
        seed: Some(8),
    };
    let output = provider.resume(call, JOB, &tx).await.unwrap().unwrap();
    assert_eq!(output.images[0].bytes, png);
    assert_eq!(output.remote_id.as_deref(), Some(JOB));
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.method.as_str() == "GET"));

    let bad = provider
        .resume(call, "../v2beta/account", &tx)
        .await
        .unwrap();
    assert_eq!(bad.unwrap_err().class, ErrorClass::BadResponse);

    let sync = request(&Ask::default());
    let sync_call = Call {
        request: &sync,
        ..call
    };
    assert!(provider.resume(sync_call, JOB, &tx).await.is_none());
}

#[tokio::test]
async fn a_result_that_is_gone_says_results_last_24_hours() {
    let dir = tempfile::tempdir().unwrap();
    let req = creative_request(dir.path());
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(error_answer(
            404,
            "generation_not_found",
            "id: generation not found",
        ))
        .mount(&server)
        .await;
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let call = Call {
        request: &req,
        index: 0,
        n: 1,
        seed: None,
    };
    let error = stability(&server, limits())
        .resume(call, JOB, &tx)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::OutputLost);
    assert_eq!(error.status, Some(404));
    assert!(
        error.message.contains("generation_not_found") && error.message.contains("24 hours"),
        "{}",
        error.message
    );
}
