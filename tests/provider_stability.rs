//! The Stability AI v2beta client against a local mock server: the exact
//! multipart forms, the image answers and their headers, every error the
//! spec lists, and async creative upscales (poll, deadline, resume).

mod common;

use std::path::Path;
use std::time::Duration;

use image::ImageFormat;
use tintype::catalog::{Catalog, Draft, Usage, ValidRequest, input, text_params};
use tintype::config::ApiKey;
use tintype::providers::http::{Connection, Limits};
use tintype::providers::stability::Stability;
use tintype::providers::{Call, Charged, ErrorClass, Progress, Provider, ProviderError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use common::{
    FormPart, answer_all_posts, encoded_image, fast_limits, multipart_parts, only_request,
    run_call, write_input_image,
};

const KEY: &str = "sk-stability-test-0123456789";
const JOB: &str = "a6dc6c6e20acda010fe14d71f180658f2896ed9b4ec25aa99a6ff06c796987c4";

/// Fast limits with quick result polls that give up after 5 s.
fn limits() -> Limits {
    Limits {
        poll_deadline: Duration::from_secs(5),
        stability_poll: Duration::from_millis(10),
        ..fast_limits(1 << 20, Limits::default().connect_timeout)
    }
}

fn stability(server: &MockServer, limits: Limits) -> Stability {
    Stability::new(Connection::new(&server.uri(), ApiKey::new(KEY), limits).unwrap())
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

/// The multipart field of a PNG file, read back from `path`.
fn png_file(name: &str, path: &Path) -> FormPart {
    let filename = path.file_name().unwrap().to_string_lossy();
    FormPart::file(name, &filename, "image/png", std::fs::read(path).unwrap())
}

/// Multipart fields sorted by name.
fn sorted(mut fields: Vec<FormPart>) -> Vec<FormPart> {
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    fields
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
    answer_all_posts(&server, template).await;
    let req = request(&Ask::default());
    let error = run_call(&stability(&server, limits()), &req, 1, Some(1))
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
    let jpeg = encoded_image(ImageFormat::Jpeg, 64, 64, [10, 90, 200]);
    answer_all_posts(&server, image_answer(jpeg.clone(), "image/jpeg", "77")).await;
    let req = request(&Ask {
        model: "stability/sd3.5-large",
        params: &[
            ("negative_prompt", "fog"),
            ("aspect_ratio", "16:9"),
            ("output_format", "jpeg"),
        ],
        ..Ask::default()
    });
    let (result, events) = run_call(&stability(&server, limits()), &req, 1, Some(77)).await;
    let output = result.unwrap();

    let sent = only_request(&server).await;
    assert_sent_to(&sent, "/v2beta/stable-image/generate/sd3", "image/*");
    assert_eq!(
        sorted(multipart_parts(&sent)),
        sorted(vec![
            FormPart::text("prompt", "a lighthouse at dusk"),
            FormPart::text("negative_prompt", "fog"),
            FormPart::text("aspect_ratio", "16:9"),
            FormPart::text("output_format", "jpeg"),
            FormPart::text("model", "sd3.5-large"),
            FormPart::text("seed", "77"),
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
    answer_all_posts(
        &server,
        image_answer(
            encoded_image(ImageFormat::Png, 64, 64, [20, 90, 200]),
            "image/png",
            "5",
        ),
    )
    .await;
    let req = request(&Ask {
        model: "stability/stable-image-ultra",
        params: &[("style_preset", "anime")],
        ..Ask::default()
    });
    let output = run_call(&stability(&server, limits()), &req, 1, Some(5))
        .await
        .0
        .unwrap();
    let sent = only_request(&server).await;
    assert_sent_to(&sent, "/v2beta/stable-image/generate/ultra", "image/*");
    assert_eq!(
        sorted(multipart_parts(&sent)),
        sorted(vec![
            FormPart::text("prompt", "a lighthouse at dusk"),
            FormPart::text("style_preset", "anime"),
            FormPart::text("seed", "5"),
        ])
    );
    assert_eq!(output.images[0].format, "png");
}

#[tokio::test]
async fn inpaint_sends_the_image_and_mask_as_files() {
    let dir = tempfile::tempdir().unwrap();
    let photo = write_input_image(
        dir.path(),
        "photo.png",
        &encoded_image(ImageFormat::Png, 64, 64, [30, 90, 200]),
    );
    let mask = write_input_image(
        dir.path(),
        "mask.png",
        &encoded_image(ImageFormat::Png, 64, 64, [255, 90, 200]),
    );
    let server = MockServer::start().await;
    answer_all_posts(
        &server,
        image_answer(
            encoded_image(ImageFormat::Png, 64, 64, [40, 90, 200]),
            "image/png",
            "9",
        ),
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
    run_call(&stability(&server, limits()), &req, 1, Some(9))
        .await
        .0
        .unwrap();
    let sent = only_request(&server).await;
    assert_sent_to(&sent, "/v2beta/stable-image/edit/inpaint", "image/*");
    assert_eq!(
        sorted(multipart_parts(&sent)),
        sorted(vec![
            FormPart::text("prompt", "a red door"),
            FormPart::text("grow_mask", "12"),
            FormPart::text("seed", "9"),
            png_file("image", &photo),
            png_file("mask", &mask),
        ])
    );
}

#[tokio::test]
async fn erase_sends_no_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let photo = write_input_image(
        dir.path(),
        "street.png",
        &encoded_image(ImageFormat::Png, 64, 64, [50, 90, 200]),
    );
    let mask = write_input_image(
        dir.path(),
        "wires.png",
        &encoded_image(ImageFormat::Png, 64, 64, [255, 90, 200]),
    );
    let server = MockServer::start().await;
    answer_all_posts(
        &server,
        image_answer(
            encoded_image(ImageFormat::Png, 64, 64, [60, 90, 200]),
            "image/png",
            "3",
        ),
    )
    .await;
    let req = request(&Ask {
        model: "stability/erase",
        prompt: None,
        image: Some(&photo),
        mask: Some(&mask),
        ..Ask::default()
    });
    run_call(&stability(&server, limits()), &req, 1, Some(3))
        .await
        .0
        .unwrap();
    let sent = only_request(&server).await;
    assert_sent_to(&sent, "/v2beta/stable-image/edit/erase", "image/*");
    assert_eq!(
        sorted(multipart_parts(&sent)),
        sorted(vec![
            FormPart::text("seed", "3"),
            png_file("image", &photo),
            png_file("mask", &mask),
        ])
    );
}

#[tokio::test]
async fn remove_background_sends_the_image_and_no_seed() {
    let dir = tempfile::tempdir().unwrap();
    let photo = write_input_image(
        dir.path(),
        "cup.png",
        &encoded_image(ImageFormat::Png, 64, 64, [70, 90, 200]),
    );
    let server = MockServer::start().await;
    let webp = encoded_image(ImageFormat::WebP, 64, 64, [80, 90, 200]);
    answer_all_posts(&server, image_answer(webp.clone(), "image/webp", "0")).await;
    let req = request(&Ask {
        model: "stability/remove-background",
        prompt: None,
        params: &[("output_format", "webp")],
        image: Some(&photo),
        ..Ask::default()
    });
    // The operation takes no seed, so none is sent even if one is offered.
    let output = run_call(&stability(&server, limits()), &req, 1, Some(11))
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
        sorted(multipart_parts(&sent)),
        sorted(vec![
            FormPart::text("output_format", "webp"),
            png_file("image", &photo),
        ])
    );
    assert_eq!(output.images[0].format, "webp");
    assert_eq!(output.images[0].bytes, webp);
}

#[tokio::test]
async fn upscale_fast_sends_only_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let photo = write_input_image(
        dir.path(),
        "small.png",
        &encoded_image(ImageFormat::Png, 64, 64, [90, 90, 200]),
    );
    let server = MockServer::start().await;
    answer_all_posts(
        &server,
        image_answer(
            encoded_image(ImageFormat::Png, 64, 64, [100, 90, 200]),
            "image/png",
            "0",
        ),
    )
    .await;
    let req = request(&Ask {
        model: "stability/upscale-fast",
        prompt: None,
        image: Some(&photo),
        ..Ask::default()
    });
    let output = run_call(&stability(&server, limits()), &req, 1, None)
        .await
        .0
        .unwrap();
    let sent = only_request(&server).await;
    assert_sent_to(&sent, "/v2beta/stable-image/upscale/fast", "image/*");
    assert_eq!(
        sorted(multipart_parts(&sent)),
        vec![png_file("image", &photo)]
    );
    assert_eq!(output.usage, Some(Usage::Images { count: 1 }));
}

#[tokio::test]
async fn the_seed_used_comes_back_from_the_header() {
    let server = MockServer::start().await;
    answer_all_posts(
        &server,
        image_answer(
            encoded_image(ImageFormat::Png, 64, 64, [110, 90, 200]),
            "image/png",
            "343940597",
        ),
    )
    .await;
    let req = request(&Ask::default());
    let output = run_call(&stability(&server, limits()), &req, 1, Some(0))
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
            .set_body_raw(
                encoded_image(ImageFormat::Png, 64, 64, [0, 90, 200]),
                "image/png",
            ),
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
    let photo = write_input_image(
        dir,
        "face.png",
        &encoded_image(ImageFormat::Png, 64, 64, [120, 90, 200]),
    );
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
    let png = encoded_image(ImageFormat::Png, 64, 64, [130, 90, 200]);
    Mock::given(method("GET"))
        .and(path(result_path.as_str()))
        .respond_with(image_answer(png.clone(), "image/png", "4242"))
        .mount(&server)
        .await;

    let (result, events) = run_call(&stability(&server, limits()), &req, 1, Some(8)).await;
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
        sorted(multipart_parts(&requests[0])),
        sorted(vec![
            FormPart::text("prompt", "a sharp portrait"),
            FormPart::text("creativity", "0.2"),
            FormPart::text("seed", "8"),
            png_file("image", &dir.path().join("face.png")),
        ])
    );
    for poll in &requests[1..] {
        assert_eq!(poll.method.as_str(), "GET");
        assert_eq!(poll.url.path(), result_path);
        assert_eq!(
            poll.headers["authorization"],
            format!("Bearer {KEY}").as_str()
        );
        // `AcceptResult` declares `*/*` for the image bytes, not `image/*`.
        assert_eq!(poll.headers["accept"], "*/*");
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
    let (result, events) = run_call(&stability(&server, short), &req, 1, Some(8)).await;
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
    let png = encoded_image(ImageFormat::Png, 64, 64, [140, 90, 200]);
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
