//! The `OpenAI` Images client against a local mock of the API: the exact
//! requests of every operation, the answers it understands (base64, links,
//! streams) and every way a call can fail.

mod common;

use std::io::Cursor;
use std::path::PathBuf;
use std::time::Duration;

use image::{ImageFormat, Rgba, RgbaImage};
use serde_json::{Value, json};
use tintype::catalog::{Catalog, Draft, Usage, ValidRequest, input, text_params};
use tintype::config::ApiKey;
use tintype::providers::http::{Connection, Limits};
use tintype::providers::openai::OpenAi;
use tintype::providers::{Charged, ErrorClass, Progress, ProviderError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{
    FormPart, fast_limits, mount_post, multipart_parts, only_request, run_call, write_input_image,
};

const KEY: &str = "sk-test-openai-0123456789abcdef";
const BODY_CAP: u64 = 64 * 1024;

// ---------------------------------------------------------------------------
// Helpers

/// A small body cap, to test the refusal of bigger answers.
fn limits() -> Limits {
    fast_limits(BODY_CAP, Duration::from_secs(1))
}

fn provider(server: &MockServer, limits: Limits) -> OpenAi {
    let base = format!("{}/v1", server.uri());
    OpenAi::new(Connection::new(&base, ApiKey::new(KEY), limits).unwrap())
}

/// A small picture in `format`; `shade` tells pictures apart.
fn picture(width: u32, height: u32, shade: u8, format: ImageFormat) -> Vec<u8> {
    let mut picture = RgbaImage::from_pixel(width, height, Rgba([shade, 80, 160, 255]));
    // A transparent corner, as edit masks need.
    picture.put_pixel(0, 0, Rgba([0, 0, 0, 0]));
    let mut bytes = Cursor::new(Vec::new());
    if format == ImageFormat::Jpeg {
        image::DynamicImage::ImageRgba8(picture)
            .to_rgb8()
            .write_to(&mut bytes, format)
            .unwrap();
    } else {
        picture.write_to(&mut bytes, format).unwrap();
    }
    bytes.into_inner()
}

/// A PNG [`picture`]: unlike `common::png`, with a transparent corner.
fn png(width: u32, height: u32, shade: u8) -> Vec<u8> {
    picture(width, height, shade, ImageFormat::Png)
}

fn b64(bytes: &[u8]) -> String {
    tintype::providers::http::encode_base64(bytes)
}

struct Ask<'a> {
    model: &'a str,
    operation: &'a str,
    prompt: Option<&'a str>,
    params: &'a [(&'a str, &'a str)],
    inputs: Vec<PathBuf>,
    mask: Option<PathBuf>,
}

impl<'a> Ask<'a> {
    fn generate(model: &'a str, params: &'a [(&'a str, &'a str)]) -> Ask<'a> {
        Ask {
            model,
            operation: "generate",
            prompt: Some("a lighthouse at dusk"),
            params,
            inputs: Vec::new(),
            mask: None,
        }
    }

    fn request(&self) -> ValidRequest {
        let draft = Draft {
            model: self.model.into(),
            operation: Some(self.operation.into()),
            prompt: self.prompt.map(str::to_string),
            params: text_params(self.params),
            inputs: self
                .inputs
                .iter()
                .map(|p| input::probe(p).unwrap())
                .collect(),
            mask: self.mask.as_ref().map(|p| input::probe(p).unwrap()),
            ..Draft::default()
        };
        Catalog::embedded()
            .unwrap()
            .validate(&draft)
            .unwrap_or_else(|errors| panic!("the test request is invalid: {errors:?}"))
    }
}

fn json_answer(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// The only request the server received, checked to be a POST to `route` with the key.
async fn only_request_to(server: &MockServer, route: &str) -> wiremock::Request {
    let request = only_request(server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), route);
    assert_eq!(
        request.headers["authorization"].to_str().unwrap(),
        format!("Bearer {KEY}")
    );
    request
}

fn decoded_size(bytes: &[u8]) -> (u32, u32) {
    let picture = image::load_from_memory(bytes).unwrap();
    (picture.width(), picture.height())
}

fn partials(events: &[Progress]) -> Vec<(u32, u32, (u32, u32))> {
    events
        .iter()
        .filter_map(|event| match event {
            Progress::Partial {
                image,
                index,
                preview,
            } => Some((*image, *index, decoded_size(&preview.bytes))),
            _ => None,
        })
        .collect()
}

fn no_remote_ids(events: &[Progress]) {
    assert!(
        !events.iter().any(|e| matches!(e, Progress::RemoteId(_))),
        "OpenAI images have no remote id to resume"
    );
}

/// The error of a gpt-image-1 generation answered with `answer`.
async fn generation_error(answer: ResponseTemplate, limits: Limits) -> ProviderError {
    let server = MockServer::start().await;
    mount_post(&server, "/v1/images/generations", answer).await;
    let openai = provider(&server, limits);
    let request = Ask::generate("openai/gpt-image-1", &[]).request();
    let error = run_call(&openai, &request, 1, None).await.0.unwrap_err();
    assert!(!error.message.contains(KEY), "the key stays out of errors");
    assert!(!error.explain().contains(KEY));
    error
}

fn openai_error(code: Option<&str>, kind: &str, message: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

fn sse(events: &[(&str, Value)]) -> String {
    events
        .iter()
        .map(|(name, data)| {
            if name.is_empty() {
                format!("data: {data}\n\n")
            } else {
                format!("event: {name}\ndata: {data}\n\n")
            }
        })
        .collect()
}

fn stream_answer(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

// ---------------------------------------------------------------------------
// Request shapes and successful answers

#[tokio::test]
async fn generate_for_a_gpt_image_model_sends_the_given_params_and_returns_tokens() {
    let server = MockServer::start().await;
    let webp = picture(8, 8, 10, ImageFormat::WebP);
    mount_post(
        &server,
        "/v1/images/generations",
        json_answer(&json!({
            "created": 1_750_000_000,
            "background": "transparent",
            "output_format": "webp",
            "data": [{"b64_json": b64(&webp)}, {"b64_json": b64(&webp)}, {"b64_json": b64(&webp)}],
            "usage": {
                "input_tokens": 50, "output_tokens": 18_720, "total_tokens": 18_770,
                "input_tokens_details": {"text_tokens": 50, "image_tokens": 0},
                "output_tokens_details": {"text_tokens": 0, "image_tokens": 18_720}
            }
        })),
    )
    .await;
    let openai = provider(&server, limits());
    let request = Ask::generate(
        "openai/gpt-image-1",
        &[
            ("background", "transparent"),
            ("output_format", "webp"),
            ("quality", "high"),
            ("size", "1024x1536"),
            ("n", "3"),
        ],
    )
    .request();
    let (result, events) = run_call(&openai, &request, 3, None).await;
    let output = result.unwrap();

    let sent = only_request_to(&server, "/v1/images/generations").await;
    assert!(
        sent.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        sent.body_json::<Value>().unwrap(),
        json!({
            "model": "gpt-image-1",
            "prompt": "a lighthouse at dusk",
            "n": 3,
            "background": "transparent",
            "output_format": "webp",
            "quality": "high",
            "size": "1024x1536"
        })
    );
    assert_eq!(output.images.len(), 3);
    for image in &output.images {
        assert_eq!(image.format, "webp");
        assert_eq!(image.bytes, webp);
        assert_eq!(decoded_size(&image.bytes), (8, 8));
        assert_eq!(image.seed, None);
        assert_eq!(image.revised_prompt, None);
    }
    assert_eq!(
        output.usage,
        Some(Usage::Tokens {
            text_input: 50,
            image_input: 0,
            text_output: 0,
            image_output: 18_720
        })
    );
    assert_eq!(output.remote_id, None);
    no_remote_ids(&events);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Progress::Status(s) if s.contains("gpt-image-1")))
    );
}

#[tokio::test]
async fn generate_for_dall_e_3_asks_for_base64_without_a_count_and_keeps_the_revised_prompt() {
    let server = MockServer::start().await;
    let image = png(16, 16, 40);
    mount_post(
        &server,
        "/v1/images/generations",
        json_answer(&json!({
            "created": 1_700_000_000,
            "data": [{
                "b64_json": b64(&image),
                "revised_prompt": "A \u{1b}[31mtall\u{1b}[0m lighthouse\nat dusk, oil painting"
            }]
        })),
    )
    .await;
    let openai = provider(&server, limits());
    let request = Ask::generate(
        "openai/dall-e-3",
        &[
            ("style", "natural"),
            ("quality", "hd"),
            ("size", "1792x1024"),
        ],
    )
    .request();
    let (result, events) = run_call(&openai, &request, 1, None).await;
    let output = result.unwrap();

    let sent = only_request_to(&server, "/v1/images/generations").await;
    assert_eq!(
        sent.body_json::<Value>().unwrap(),
        json!({
            "model": "dall-e-3",
            "prompt": "a lighthouse at dusk",
            "style": "natural",
            "quality": "hd",
            "size": "1792x1024",
            "response_format": "b64_json"
        })
    );
    assert_eq!(output.images.len(), 1);
    assert_eq!(output.images[0].format, "png");
    assert_eq!(output.images[0].bytes, image);
    assert_eq!(
        output.images[0].revised_prompt.as_deref(),
        Some("A tall lighthouse at dusk, oil painting")
    );
    assert_eq!(output.usage, None, "DALL·E reports no usage");
    no_remote_ids(&events);
}

#[tokio::test]
async fn edit_for_gpt_image_1_sends_two_images_a_mask_and_input_fidelity() {
    let dir = tempfile::tempdir().unwrap();
    let first = png(32, 32, 1);
    let second = picture(24, 24, 2, ImageFormat::Jpeg);
    let mask = png(32, 32, 3);
    let ask = Ask {
        model: "openai/gpt-image-1",
        operation: "edit",
        prompt: Some("put a hat on the cat"),
        params: &[("input_fidelity", "high"), ("n", "2")],
        inputs: vec![
            write_input_image(dir.path(), "cat.png", &first),
            write_input_image(dir.path(), "hat.jpg", &second),
        ],
        mask: Some(write_input_image(dir.path(), "mask.png", &mask)),
    };
    let request = ask.request();
    let server = MockServer::start().await;
    let out = png(8, 8, 99);
    mount_post(
        &server,
        "/v1/images/edits",
        json_answer(&json!({
            "created": 1,
            "data": [{"b64_json": b64(&out)}, {"b64_json": b64(&out)}],
            "usage": {
                "input_tokens": 1_560, "output_tokens": 544, "total_tokens": 2_104,
                "input_tokens_details": {"text_tokens": 30, "image_tokens": 1_530}
            }
        })),
    )
    .await;
    let openai = provider(&server, limits());
    let (result, _) = run_call(&openai, &request, 2, None).await;
    let output = result.unwrap();

    let sent = only_request_to(&server, "/v1/images/edits").await;
    assert!(
        sent.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    assert_eq!(
        multipart_parts(&sent),
        vec![
            FormPart::file("image[]", "cat.png", "image/png", first),
            FormPart::file("image[]", "hat.jpg", "image/jpeg", second),
            FormPart::file("mask", "mask.png", "image/png", mask),
            FormPart::text("model", "gpt-image-1"),
            FormPart::text("prompt", "put a hat on the cat"),
            FormPart::text("n", "2"),
            FormPart::text("input_fidelity", "high"),
        ]
    );
    assert_eq!(output.images.len(), 2);
    assert_eq!(output.images[1].bytes, out);
    assert_eq!(
        output.usage,
        Some(Usage::Tokens {
            text_input: 30,
            image_input: 1_530,
            text_output: 0,
            image_output: 544
        })
    );
}

#[tokio::test]
async fn edit_for_dall_e_2_sends_a_single_image_field() {
    let dir = tempfile::tempdir().unwrap();
    let square = png(16, 16, 7);
    let ask = Ask {
        model: "openai/dall-e-2",
        operation: "edit",
        prompt: Some("make it winter"),
        params: &[("size", "512x512")],
        inputs: vec![write_input_image(dir.path(), "square.png", &square)],
        mask: None,
    };
    let request = ask.request();
    let server = MockServer::start().await;
    let out = png(8, 8, 5);
    mount_post(
        &server,
        "/v1/images/edits",
        json_answer(&json!({"created": 1, "data": [{"b64_json": b64(&out)}]})),
    )
    .await;
    let openai = provider(&server, limits());
    let output = run_call(&openai, &request, 1, None).await.0.unwrap();

    let sent = only_request_to(&server, "/v1/images/edits").await;
    assert_eq!(
        multipart_parts(&sent),
        vec![
            FormPart::file("image", "square.png", "image/png", square),
            FormPart::text("model", "dall-e-2"),
            FormPart::text("prompt", "make it winter"),
            FormPart::text("n", "1"),
            FormPart::text("size", "512x512"),
            FormPart::text("response_format", "b64_json"),
        ]
    );
    assert_eq!(output.images[0].bytes, out);
    assert_eq!(output.usage, None);
}

#[tokio::test]
async fn variation_sends_the_image_without_a_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let square = png(16, 16, 9);
    let ask = Ask {
        model: "openai/dall-e-2",
        operation: "variation",
        prompt: None,
        params: &[("size", "256x256"), ("n", "2")],
        inputs: vec![write_input_image(dir.path(), "source.png", &square)],
        mask: None,
    };
    let request = ask.request();
    let server = MockServer::start().await;
    let out = png(8, 8, 11);
    mount_post(
        &server,
        "/v1/images/variations",
        json_answer(
            &json!({"created": 1, "data": [{"b64_json": b64(&out)}, {"b64_json": b64(&out)}]}),
        ),
    )
    .await;
    let openai = provider(&server, limits());
    let output = run_call(&openai, &request, 2, None).await.0.unwrap();

    let sent = only_request_to(&server, "/v1/images/variations").await;
    assert_eq!(
        multipart_parts(&sent),
        vec![
            FormPart::file("image", "source.png", "image/png", square),
            FormPart::text("model", "dall-e-2"),
            FormPart::text("n", "2"),
            FormPart::text("size", "256x256"),
            FormPart::text("response_format", "b64_json"),
        ]
    );
    assert_eq!(output.images.len(), 2);
}

#[tokio::test]
async fn url_outputs_are_downloaded_at_once_and_the_key_stays_home() {
    let api = MockServer::start().await;
    let cdn = MockServer::start().await;
    let image = png(12, 12, 60);
    Mock::given(method("GET"))
        .and(path("/files/out.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(image.clone(), "image/png"))
        .mount(&cdn)
        .await;
    mount_post(
        &api,
        "/v1/images/generations",
        json_answer(&json!({
            "created": 1,
            "data": [{"url": format!("{}/files/out.png", cdn.uri())}]
        })),
    )
    .await;
    let openai = provider(&api, limits());
    let request = Ask::generate("openai/dall-e-2", &[]).request();
    let output = run_call(&openai, &request, 1, None).await.0.unwrap();
    assert_eq!(output.images[0].bytes, image);
    assert_eq!(output.images[0].format, "png");
    let fetched = cdn.received_requests().await.unwrap();
    assert_eq!(fetched.len(), 1);
    assert!(
        !fetched[0].headers.contains_key("authorization"),
        "the key is never sent to another host"
    );
}

// ---------------------------------------------------------------------------
// Streams

#[tokio::test]
async fn a_stream_forwards_partials_in_order_then_returns_the_final_image_and_usage() {
    let server = MockServer::start().await;
    let final_image = png(16, 16, 200);
    let body = sse(&[
        (
            "image_generation.partial_image",
            json!({"type": "image_generation.partial_image", "b64_json": b64(&png(4, 4, 1)),
                   "partial_image_index": 0, "output_format": "png"}),
        ),
        (
            "image_generation.partial_image",
            json!({"type": "image_generation.partial_image", "b64_json": b64(&png(8, 8, 2)),
                   "partial_image_index": 1, "output_format": "png"}),
        ),
        (
            "image_generation.completed",
            json!({"type": "image_generation.completed", "b64_json": b64(&final_image),
                   "output_format": "png",
                   "usage": {"input_tokens": 12, "output_tokens": 472, "total_tokens": 484,
                             "input_tokens_details": {"text_tokens": 12, "image_tokens": 0}}}),
        ),
    ]);
    mount_post(&server, "/v1/images/generations", stream_answer(body)).await;
    let openai = provider(&server, limits());
    let request = Ask::generate(
        "openai/gpt-image-1",
        &[("stream", "true"), ("partial_images", "2")],
    )
    .request();
    let (result, events) = run_call(&openai, &request, 1, None).await;
    let output = result.unwrap();

    let sent = only_request_to(&server, "/v1/images/generations").await;
    assert_eq!(
        sent.body_json::<Value>().unwrap(),
        json!({
            "model": "gpt-image-1",
            "prompt": "a lighthouse at dusk",
            "n": 1,
            "stream": true,
            "partial_images": 2
        })
    );
    assert_eq!(partials(&events), vec![(0, 0, (4, 4)), (0, 1, (8, 8))]);
    assert_eq!(output.images.len(), 1);
    assert_eq!(output.images[0].bytes, final_image);
    assert_eq!(output.images[0].format, "png");
    assert_eq!(
        output.usage,
        Some(Usage::Tokens {
            text_input: 12,
            image_input: 0,
            text_output: 0,
            image_output: 472
        })
    );
    no_remote_ids(&events);
}

#[tokio::test]
async fn an_edit_stream_named_only_by_type_is_understood() {
    let dir = tempfile::tempdir().unwrap();
    let ask = Ask {
        model: "openai/gpt-image-1-mini",
        operation: "edit",
        prompt: Some("add snow"),
        params: &[("stream", "true"), ("partial_images", "1")],
        inputs: vec![write_input_image(dir.path(), "in.png", &png(16, 16, 4))],
        mask: None,
    };
    let request = ask.request();
    let server = MockServer::start().await;
    let final_image = picture(8, 8, 50, ImageFormat::Jpeg);
    // No `event:` lines, and no blank line after the last event.
    let mut body = sse(&[
        (
            "",
            json!({"type": "image_edit.partial_image", "b64_json": b64(&png(4, 4, 1)),
                   "partial_image_index": 0}),
        ),
        (
            "",
            json!({"type": "image_edit.completed", "b64_json": b64(&final_image),
                   "usage": {"input_tokens": 300, "output_tokens": 196, "total_tokens": 496,
                             "input_tokens_details": {"text_tokens": 10, "image_tokens": 290}}}),
        ),
    ]);
    body.truncate(body.len() - 2);
    mount_post(&server, "/v1/images/edits", stream_answer(body)).await;
    let openai = provider(&server, limits());
    let (result, events) = run_call(&openai, &request, 1, None).await;
    let output = result.unwrap();
    let parts = multipart_parts(&only_request_to(&server, "/v1/images/edits").await);
    assert!(parts.contains(&FormPart::text("stream", "true")));
    assert!(parts.contains(&FormPart::text("partial_images", "1")));
    assert_eq!(partials(&events), vec![(0, 0, (4, 4))]);
    assert_eq!(output.images[0].format, "jpeg");
    assert_eq!(
        output.usage,
        Some(Usage::Tokens {
            text_input: 10,
            image_input: 290,
            text_output: 0,
            image_output: 196
        })
    );
}

#[tokio::test]
async fn a_stream_that_ends_early_is_an_unknown_outcome() {
    let body = sse(&[(
        "image_generation.partial_image",
        json!({"type": "image_generation.partial_image", "b64_json": b64(&png(4, 4, 1)),
               "partial_image_index": 0}),
    )]);
    let server = MockServer::start().await;
    mount_post(&server, "/v1/images/generations", stream_answer(body)).await;
    let openai = provider(&server, limits());
    let request = Ask::generate(
        "openai/gpt-image-1",
        &[("stream", "true"), ("partial_images", "2")],
    )
    .request();
    let (result, events) = run_call(&openai, &request, 1, None).await;
    let error = result.unwrap_err();
    assert_eq!(error.class, ErrorClass::UnknownOutcome);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error
            .message
            .contains("ended before the final image (after 1 partial image)"),
        "{}",
        error.message
    );
    assert_eq!(partials(&events).len(), 1, "the preview still came");
}

#[tokio::test]
async fn a_stream_cut_off_in_the_middle_of_the_final_event_is_an_unknown_outcome() {
    let mut body = sse(&[(
        "image_generation.completed",
        json!({"type": "image_generation.completed", "b64_json": b64(&png(16, 16, 3))}),
    )]);
    body.truncate(body.len() / 2);
    let server = MockServer::start().await;
    mount_post(&server, "/v1/images/generations", stream_answer(body)).await;
    let openai = provider(&server, limits());
    let request = Ask::generate("openai/gpt-image-1", &[("stream", "true")]).request();
    let error = run_call(&openai, &request, 1, None).await.0.unwrap_err();
    assert_eq!(error.class, ErrorClass::UnknownOutcome);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(error.message.contains("cut off"), "{}", error.message);
}

#[tokio::test]
async fn a_garbled_preview_is_skipped_and_the_final_image_kept() {
    let final_image = png(16, 16, 9);
    let body = sse(&[
        (
            "image_generation.partial_image",
            json!({"type": "image_generation.partial_image", "b64_json": "@@@", "partial_image_index": 0}),
        ),
        (
            "image_generation.completed",
            json!({"type": "image_generation.completed", "b64_json": b64(&final_image)}),
        ),
    ]);
    let server = MockServer::start().await;
    mount_post(&server, "/v1/images/generations", stream_answer(body)).await;
    let openai = provider(&server, limits());
    let request = Ask::generate(
        "openai/gpt-image-1",
        &[("stream", "true"), ("partial_images", "1")],
    )
    .request();
    let (result, events) = run_call(&openai, &request, 1, None).await;
    assert_eq!(result.unwrap().images[0].bytes, final_image);
    assert!(partials(&events).is_empty());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Progress::Status(s) if s.contains("preview skipped")))
    );
}

#[tokio::test]
async fn an_error_event_in_a_stream_is_classified_by_its_message() {
    let body = sse(&[(
        "error",
        json!({"type": "error", "error": {"type": "image_generation_user_error",
               "code": "moderation_blocked", "message": "Your request was rejected by the safety system."}}),
    )]);
    let server = MockServer::start().await;
    mount_post(&server, "/v1/images/generations", stream_answer(body)).await;
    let openai = provider(&server, limits());
    let request = Ask::generate("openai/gpt-image-1", &[("stream", "true")]).request();
    let error = run_call(&openai, &request, 1, None).await.0.unwrap_err();
    assert_eq!(error.class, ErrorClass::Moderation);
    assert_eq!(error.charged, Charged::No);
    assert!(
        error.message.contains("rejected by the safety system"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn an_error_answer_to_a_stream_request_is_an_ordinary_json_error() {
    let server = MockServer::start().await;
    mount_post(
        &server,
        "/v1/images/generations",
        ResponseTemplate::new(400).set_body_json(openai_error(
            None,
            "invalid_request_error",
            "Invalid value for partial_images.",
        )),
    )
    .await;
    let openai = provider(&server, limits());
    let request = Ask::generate("openai/gpt-image-1", &[("stream", "true")]).request();
    let error = run_call(&openai, &request, 1, None).await.0.unwrap_err();
    assert_eq!(error.class, ErrorClass::InvalidRequest);
    assert!(error.message.contains("Invalid value for partial_images"));
}

// ---------------------------------------------------------------------------
// Faults

#[tokio::test]
async fn an_invalid_request_shows_the_apis_message() {
    let error = generation_error(
        ResponseTemplate::new(400).set_body_json(openai_error(
            Some("invalid_size"),
            "invalid_request_error",
            "Invalid size '999x999'. Supported sizes are 1024x1024, 1024x1536, 1536x1024.",
        )),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::InvalidRequest);
    assert_eq!(error.charged, Charged::No);
    assert_eq!(error.status, Some(400));
    assert!(
        error.message.starts_with("Invalid size '999x999'"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_refused_key_is_an_authentication_error() {
    let error = generation_error(
        ResponseTemplate::new(401).set_body_json(openai_error(
            Some("invalid_api_key"),
            "invalid_request_error",
            "Incorrect API key provided: sk-test*****cdef.",
        )),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::Authentication);
    assert_eq!(error.charged, Charged::No);
    assert!(
        error.message.contains("Incorrect API key"),
        "{}",
        error.message
    );
    assert!(error.explain().contains("API key"));
}

#[tokio::test]
async fn a_rate_limit_with_retry_after_says_how_long_to_wait() {
    let error = generation_error(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "7")
            .set_body_json(openai_error(
                Some("rate_limit_exceeded"),
                "requests",
                "Rate limit reached for images per minute.",
            )),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::RateLimited);
    assert_eq!(error.charged, Charged::No);
    assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
    assert!(
        error.message.contains("Rate limit reached"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_rate_limit_without_retry_after_is_still_rate_limited() {
    let error = generation_error(
        ResponseTemplate::new(429).set_body_json(openai_error(
            None,
            "requests",
            "Rate limit reached for images per minute.",
        )),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::RateLimited);
    assert_eq!(error.charged, Charged::No);
    assert_eq!(error.retry_after, None);
    assert!(error.class.is_retryable());
}

#[tokio::test]
async fn an_exhausted_quota_is_insufficient_credit() {
    let error = generation_error(
        ResponseTemplate::new(429).set_body_json(openai_error(
            Some("insufficient_quota"),
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details.",
        )),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::InsufficientCredit);
    assert_eq!(error.charged, Charged::No);
    assert!(!error.class.is_retryable());
    assert!(error.message.contains("exceeded your current quota"));
}

#[tokio::test]
async fn a_blocked_prompt_is_moderation() {
    let error = generation_error(
        ResponseTemplate::new(400).set_body_json(openai_error(
            Some("moderation_blocked"),
            "image_generation_user_error",
            "Your request was rejected as a result of our safety system.",
        )),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::Moderation);
    assert_eq!(error.charged, Charged::No);
    assert!(error.message.contains("safety system"), "{}", error.message);
    assert!(error.explain().contains("rephrase"));
}

#[tokio::test]
async fn a_server_error_is_transient() {
    let error = generation_error(
        ResponseTemplate::new(500).set_body_json(openai_error(
            None,
            "server_error",
            "The server had an error while processing your request.",
        )),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::Transient);
    assert_eq!(error.charged, Charged::No);
    assert_eq!(error.status, Some(500));
    assert!(error.message.contains("server had an error"));
}

#[tokio::test]
async fn a_bad_gateway_html_page_is_transient_and_not_dumped() {
    let error = generation_error(
        ResponseTemplate::new(502).set_body_raw(
            "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>",
            "text/html",
        ),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::Transient);
    assert_eq!(error.charged, Charged::No);
    assert_eq!(error.message, "an HTML error page (502 Bad Gateway)");
}

#[tokio::test]
async fn an_overloaded_server_is_transient() {
    let error = generation_error(
        ResponseTemplate::new(503).set_body_json(openai_error(
            None,
            "server_error",
            "The engine is currently overloaded, please try again later.",
        )),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::Transient);
    assert_eq!(error.status, Some(503));
    assert!(error.message.contains("overloaded"));
}

#[tokio::test]
async fn no_answer_in_time_is_an_unknown_outcome() {
    let short = Limits {
        request_timeout: Duration::from_millis(200),
        ..limits()
    };
    let error = generation_error(
        json_answer(&json!({"created": 1, "data": []})).set_delay(Duration::from_secs(2)),
        short,
    )
    .await;
    assert_eq!(error.class, ErrorClass::UnknownOutcome);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("no answer in time"),
        "{}",
        error.message
    );
    assert!(!error.class.is_retryable());
}

#[tokio::test]
async fn truncated_json_is_a_bad_response() {
    let error = generation_error(
        ResponseTemplate::new(200).set_body_raw(
            r#"{"created": 1, "data": [{"b64_json": "iVBO"#,
            "application/json",
        ),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("truncated or invalid"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_plain_text_answer_is_a_bad_response_naming_its_type() {
    let error = generation_error(
        ResponseTemplate::new(200).set_body_raw("upstream said: ok?? \u{1}garbage", "text/plain"),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("came as text/plain, not JSON"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn an_answer_over_the_body_cap_is_refused() {
    let huge = "A".repeat(usize::try_from(BODY_CAP).unwrap() * 2);
    let error = generation_error(
        json_answer(&json!({"created": 1, "data": [{"b64_json": huge}]})),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("limits.max_body_bytes"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_stream_over_the_body_cap_is_refused() {
    let huge = b64(&vec![7u8; usize::try_from(BODY_CAP).unwrap()]);
    let body = sse(&[(
        "image_generation.partial_image",
        json!({"type": "image_generation.partial_image", "b64_json": huge, "partial_image_index": 0}),
    )]);
    let error = generation_error(stream_answer(body), limits()).await;
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("limits.max_body_bytes"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn invalid_base64_is_a_bad_response() {
    let error = generation_error(
        json_answer(&json!({"created": 1, "data": [{"b64_json": "this is *not* base64!"}]})),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("not valid base64"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn base64_of_something_that_is_not_an_image_is_a_bad_response() {
    let error = generation_error(
        json_answer(&json!({"created": 1, "data": [{"b64_json": b64(b"just some text")}]})),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(error.message.contains("not an image"), "{}", error.message);
}

#[tokio::test]
async fn an_answer_without_images_is_a_bad_response() {
    let error = generation_error(json_answer(&json!({"created": 1, "data": []})), limits()).await;
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(error.message.contains("no images"), "{}", error.message);
}

#[tokio::test]
async fn an_expired_output_link_is_output_lost_and_charged() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/expired.png"))
        .respond_with(ResponseTemplate::new(403).set_body_string("AuthenticationFailed"))
        .mount(&server)
        .await;
    let error = generation_error(
        json_answer(
            &json!({"created": 1, "data": [{"url": format!("{}/expired.png", server.uri())}]}),
        ),
        limits(),
    )
    .await;
    assert_eq!(error.class, ErrorClass::OutputLost);
    assert_eq!(error.charged, Charged::Yes);
    assert!(error.message.contains("403"), "{}", error.message);
    assert!(error.explain().contains("make it again"));
}

#[tokio::test]
async fn a_60_mb_answer_is_refused_by_the_default_cap_without_reading_it() {
    let huge = vec![b' '; 60 * 1024 * 1024];
    let error = generation_error(
        ResponseTemplate::new(200).set_body_raw(huge, "application/json"),
        Limits {
            request_timeout: Duration::from_secs(20),
            ..Limits::default()
        },
    )
    .await;
    assert_eq!(error.class, ErrorClass::BadResponse);
    // 62,914,560 bytes against the 52,428,800 default.
    assert!(
        error
            .message
            .contains("the answer is 62 MB, more than the 52 MB"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("limits.max_body_bytes"),
        "{}",
        error.message
    );
}
