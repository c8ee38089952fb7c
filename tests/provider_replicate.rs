//! The Replicate client against a local mock of its API: the exact create
//! requests for each catalog model, polling to the end, output downloads,
//! usage, resume and cancel, and every fault the brief lists.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tintype::catalog::{Catalog, Draft, Usage, ValidRequest, text_params};
use tintype::config::ApiKey;
use tintype::providers::http::{Connection, Limits};
use tintype::providers::replicate::Replicate;
use tintype::providers::{Call, Charged, ErrorClass, Progress, Provider, ProviderError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use common::{fast_limits, mount_post, png, run_call};

const KEY: &str = "r8_test_key_0123456789abcdef";
const SDXL_VERSION: &str = "7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc";
const ID: &str = "gm3qorzdhgbfurvjtvhg6dckhu";

/// Fast limits with quick polls that give up after 2 s.
fn limits() -> Limits {
    Limits {
        poll_first: Duration::from_millis(10),
        poll_growth_tenths: 15,
        poll_max: Duration::from_millis(40),
        poll_deadline: Duration::from_secs(2),
        ..fast_limits(1 << 20, Duration::from_secs(2))
    }
}

fn connection(server: &MockServer, limits: Limits) -> Connection {
    Connection::new(&format!("{}/v1", server.uri()), ApiKey::new(KEY), limits).unwrap()
}

fn replicate(server: &MockServer) -> Replicate {
    Replicate::new(connection(server, limits()))
}

fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        tintype::providers::http::encode_base64(bytes)
    )
}

fn request(model: &str, params: &[(&str, &str)], inputs: &[&Path]) -> ValidRequest {
    let draft = Draft {
        model: model.into(),
        prompt: Some("a lighthouse at dusk".into()),
        params: text_params(params),
        inputs: inputs
            .iter()
            .map(|p| tintype::catalog::input::probe(p).unwrap())
            .collect(),
        split: true,
        ..Draft::default()
    };
    Catalog::embedded()
        .unwrap()
        .validate(&draft)
        .unwrap_or_else(|e| panic!("{model}: {e:?}"))
}

fn prediction(status: &str, extra: &Value) -> Value {
    let mut body = json!({
        "id": ID,
        "model": "black-forest-labs/flux-schnell",
        "version": "hidden",
        "input": {},
        "output": null,
        "data_removed": false,
        "error": null,
        "status": status,
        "created_at": "2026-11-21T10:00:00Z",
        "urls": {
            "web": format!("https://replicate.com/p/{ID}"),
            "get": format!("https://api.replicate.com/v1/predictions/{ID}"),
            "cancel": format!("https://api.replicate.com/v1/predictions/{ID}/cancel")
        }
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}

/// Answers with each template in turn, then repeats the last.
struct Sequence {
    answers: Vec<ResponseTemplate>,
    next: AtomicUsize,
}

impl Sequence {
    fn new(answers: Vec<ResponseTemplate>) -> Sequence {
        Sequence {
            answers,
            next: AtomicUsize::new(0),
        }
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let at = self.next.fetch_add(1, Ordering::SeqCst);
        self.answers[at.min(self.answers.len() - 1)].clone()
    }
}

fn json_answer(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

async fn mount_polls(server: &MockServer, answers: Vec<ResponseTemplate>) {
    Mock::given(method("GET"))
        .and(path(format!("/v1/predictions/{ID}")))
        .respond_with(Sequence::new(answers))
        .mount(server)
        .await;
}

async fn requests_to(server: &MockServer, verb: &str, route: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == route)
        .collect()
}

/// The one create request: its auth header and JSON body.
async fn created_body(server: &MockServer, route: &str) -> Value {
    let creates = requests_to(server, "POST", route).await;
    assert_eq!(creates.len(), 1, "one create request to {route}");
    let create = &creates[0];
    assert_eq!(
        create.headers.get("authorization").unwrap(),
        &format!("Bearer {KEY}")
    );
    assert!(
        create.headers.get("prefer").is_none(),
        "no Prefer header unless opted in"
    );
    serde_json::from_slice(&create.body).unwrap()
}

fn done_with(outputs: &Value) -> Value {
    prediction("succeeded", &json!({ "output": outputs }))
}

#[tokio::test]
async fn flux_schnell_is_created_by_model_name_with_count_and_seed() {
    let server = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-schnell/predictions";
    let image = png(8, 8, [1, 90, 200, 255]);
    let outputs = json!([data_url("image/png", &image), data_url("image/png", &image)]);
    mount_post(&server, route, json_answer(201, &done_with(&outputs))).await;
    let req = request(
        "replicate/black-forest-labs/flux-schnell",
        &[
            ("aspect_ratio", "16:9"),
            ("output_format", "png"),
            ("go_fast", "false"),
        ],
        &[],
    );
    let (result, events) = run_call(&replicate(&server), &req, 2, Some(42)).await;
    let output = result.unwrap();
    assert_eq!(
        created_body(&server, route).await,
        json!({"input": {
            "prompt": "a lighthouse at dusk",
            "aspect_ratio": "16:9",
            "output_format": "png",
            "go_fast": false,
            "num_outputs": 2,
            "seed": 42
        }})
    );
    assert_eq!(output.images.len(), 2);
    assert_eq!(output.images[0].bytes, image);
    assert_eq!(output.images[0].format, "png");
    assert_eq!(output.images[0].seed, Some(42));
    assert_eq!(output.usage, Some(Usage::Images { count: 2 }));
    assert_eq!(output.remote_id.as_deref(), Some(ID));
    assert_eq!(events[0], Progress::RemoteId(ID.into()));
}

#[tokio::test]
async fn flux_pro_takes_no_count_and_sends_custom_sizes() {
    let server = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-1.1-pro/predictions";
    let outputs = json!(data_url("image/png", &png(4, 4, [2, 90, 200, 255])));
    mount_post(&server, route, json_answer(201, &done_with(&outputs))).await;
    let req = request(
        "replicate/black-forest-labs/flux-1.1-pro",
        &[
            ("aspect_ratio", "custom"),
            ("width", "512"),
            ("height", "768"),
            ("prompt_upsampling", "true"),
        ],
        &[],
    );
    let output = run_call(&replicate(&server), &req, 1, Some(7))
        .await
        .0
        .unwrap();
    assert_eq!(
        created_body(&server, route).await,
        json!({"input": {
            "prompt": "a lighthouse at dusk",
            "aspect_ratio": "custom",
            "width": 512,
            "height": 768,
            "prompt_upsampling": true,
            "seed": 7
        }})
    );
    assert_eq!(output.usage, Some(Usage::Images { count: 1 }));
}

#[tokio::test]
async fn sdxl_is_created_by_version_with_width_height_and_billed_by_seconds() {
    let server = MockServer::start().await;
    let route = "/v1/predictions";
    mount_post(
        &server,
        route,
        json_answer(201, &prediction("starting", &json!({}))),
    )
    .await;
    let image = png(16, 16, [3, 90, 200, 255]);
    mount_polls(
        &server,
        vec![json_answer(
            200,
            &prediction(
                "succeeded",
                &json!({
                    "output": [data_url("image/png", &image)],
                    "metrics": {"predict_time": 4.2346, "total_time": 5.1}
                }),
            ),
        )],
    )
    .await;
    let req = request(
        "replicate/stability-ai/sdxl",
        &[
            ("size", "1152x896"),
            ("negative_prompt", "blurry"),
            ("guidance_scale", "5.5"),
            ("seed", "99"),
        ],
        &[],
    );
    let output = run_call(&replicate(&server), &req, 1, Some(3))
        .await
        .0
        .unwrap();
    assert_eq!(
        created_body(&server, route).await,
        json!({
            "version": SDXL_VERSION,
            "input": {
                "prompt": "a lighthouse at dusk",
                "width": 1152,
                "height": 896,
                "negative_prompt": "blurry",
                "guidance_scale": 5.5,
                "num_outputs": 1,
                "seed": 3
            }
        }),
        "the call's seed wins over the request's first seed"
    );
    assert_eq!(output.usage, Some(Usage::Seconds { millis: 4235 }));
    assert_eq!(output.images[0].bytes, image);
}

#[tokio::test]
async fn qwen_edit_sends_its_images_as_an_array_of_data_urls() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("subject.png");
    std::fs::write(&first, png(32, 24, [4, 90, 200, 255])).unwrap();
    let second = dir.path().join("style.jpg");
    image::RgbImage::from_pixel(20, 20, image::Rgb([10, 200, 30]))
        .save(&second)
        .unwrap();
    let server = MockServer::start().await;
    let route = "/v1/models/qwen/qwen-image-edit-plus/predictions";
    let outputs = json!([data_url("image/png", &png(4, 4, [5, 90, 200, 255]))]);
    mount_post(&server, route, json_answer(201, &done_with(&outputs))).await;
    let req = request(
        "replicate/qwen/qwen-image-edit-plus",
        &[("aspect_ratio", "1:1")],
        &[&first, &second],
    );
    run_call(&replicate(&server), &req, 1, Some(11))
        .await
        .0
        .unwrap();
    let expected_images = json!([
        data_url("image/png", &std::fs::read(&first).unwrap()),
        data_url("image/jpeg", &std::fs::read(&second).unwrap()),
    ]);
    assert_eq!(
        created_body(&server, route).await,
        json!({"input": {
            "prompt": "a lighthouse at dusk",
            "aspect_ratio": "1:1",
            "num_outputs": 1,
            "seed": 11,
            "image": expected_images
        }})
    );
}

#[tokio::test]
async fn polls_through_starting_and_processing_then_downloads_without_the_key() {
    let server = MockServer::start().await;
    let cdn = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-schnell/predictions";
    mount_post(
        &server,
        route,
        json_answer(201, &prediction("starting", &json!({}))),
    )
    .await;
    let urls = json!([
        format!("{}/out/1.webp", cdn.uri()),
        format!("{}/out/2.webp", cdn.uri())
    ]);
    mount_polls(
        &server,
        vec![
            json_answer(200, &prediction("starting", &json!({}))),
            json_answer(
                200,
                &prediction("processing", &json!({"logs": "Using seed: 5\nstep 1/4\n"})),
            ),
            json_answer(
                200,
                &prediction(
                    "processing",
                    &json!({"logs": "Using seed: 5\nstep 1/4\nstep 4/4 \u{1b}]0;pwned\u{7}\n"}),
                ),
            ),
            json_answer(200, &done_with(&urls)),
        ],
    )
    .await;
    let (one, two) = (png(8, 8, [10, 90, 200, 255]), png(8, 8, [20, 90, 200, 255]));
    for (file, bytes) in [("/out/1.webp", &one), ("/out/2.webp", &two)] {
        Mock::given(method("GET"))
            .and(path(file))
            .respond_with(ResponseTemplate::new(200).set_body_raw(bytes.clone(), "image/png"))
            .mount(&cdn)
            .await;
    }
    let req = request("replicate/black-forest-labs/flux-schnell", &[], &[]);
    let (result, events) = run_call(&replicate(&server), &req, 2, Some(5)).await;
    let output = result.unwrap();
    assert_eq!(output.images.len(), 2);
    assert_eq!(output.images[0].bytes, one);
    assert_eq!(output.images[1].bytes, two);
    assert!(
        output
            .images
            .iter()
            .all(|i| i.format == "png" && image::load_from_memory(&i.bytes).is_ok())
    );
    assert_eq!(output.usage, Some(Usage::Images { count: 2 }));

    assert_eq!(events.first(), Some(&Progress::RemoteId(ID.into())));
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Progress::Status(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(texts.contains(&"step 1/4"), "{texts:?}");
    assert!(
        texts.contains(&"step 4/4"),
        "escape sequences stripped: {texts:?}"
    );
    assert_eq!(texts.iter().filter(|t| **t == "step 1/4").count(), 1);
    assert!(texts.iter().any(|t| t.contains("processing")), "{texts:?}");

    let polls = requests_to(&server, "GET", &format!("/v1/predictions/{ID}")).await;
    assert_eq!(polls.len(), 4);
    assert!(
        polls
            .iter()
            .all(|r| r.headers.get("authorization").unwrap() == &format!("Bearer {KEY}"))
    );
    let downloads = cdn.received_requests().await.unwrap();
    assert_eq!(downloads.len(), 2);
    assert!(
        downloads
            .iter()
            .all(|r| !r.headers.contains_key("authorization")),
        "the key never leaves the API host"
    );
}

#[tokio::test]
async fn an_expired_output_link_is_output_lost() {
    let server = MockServer::start().await;
    let cdn = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-schnell/predictions";
    let url = json!(format!("{}/gone.webp", cdn.uri()));
    mount_post(&server, route, json_answer(201, &done_with(&url))).await;
    Mock::given(path("/gone.webp"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&cdn)
        .await;
    let req = request("replicate/black-forest-labs/flux-schnell", &[], &[]);
    let error = run_call(&replicate(&server), &req, 1, Some(1))
        .await
        .0
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::OutputLost);
    assert_eq!(error.charged, Charged::Yes);
    assert!(
        error.message.contains("403") && error.message.contains(ID),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_failed_prediction_says_why() {
    let server = MockServer::start().await;
    let route = "/v1/predictions";
    mount_post(
        &server,
        route,
        json_answer(201, &prediction("starting", &json!({}))),
    )
    .await;
    mount_polls(
        &server,
        vec![json_answer(
            200,
            &prediction("failed", &json!({"error": "CUDA out of memory"})),
        )],
    )
    .await;
    let req = request("replicate/stability-ai/sdxl", &[], &[]);
    let error = run_call(&replicate(&server), &req, 1, Some(1))
        .await
        .0
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::Transient);
    assert_eq!(error.charged, Charged::Maybe);
    assert_eq!(
        error.message,
        format!("prediction {ID} failed: CUDA out of memory")
    );
}

#[tokio::test]
async fn an_nsfw_refusal_is_moderation() {
    let server = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-schnell/predictions";
    let refused = prediction(
        "failed",
        &json!({"error": "NSFW content detected. Try running it again, or try a different prompt."}),
    );
    mount_post(&server, route, json_answer(201, &refused)).await;
    let req = request("replicate/black-forest-labs/flux-schnell", &[], &[]);
    let error = run_call(&replicate(&server), &req, 1, Some(1))
        .await
        .0
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::Moderation);
    assert_eq!(error.charged, Charged::No);
    assert!(error.message.contains("NSFW"), "{}", error.message);
}

#[tokio::test]
async fn a_prediction_canceled_elsewhere_is_canceled() {
    let server = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-schnell/predictions";
    mount_post(
        &server,
        route,
        json_answer(201, &prediction("starting", &json!({}))),
    )
    .await;
    mount_polls(
        &server,
        vec![json_answer(200, &prediction("canceled", &json!({})))],
    )
    .await;
    let req = request("replicate/black-forest-labs/flux-schnell", &[], &[]);
    let error = run_call(&replicate(&server), &req, 1, Some(1))
        .await
        .0
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::Canceled);
    assert_eq!(error.charged, Charged::No);
    assert!(error.message.contains("canceled"), "{}", error.message);
}

#[tokio::test]
async fn a_prediction_stuck_starting_is_canceled_at_the_deadline() {
    let server = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-schnell/predictions";
    mount_post(
        &server,
        route,
        json_answer(201, &prediction("starting", &json!({}))),
    )
    .await;
    mount_polls(
        &server,
        vec![json_answer(200, &prediction("starting", &json!({})))],
    )
    .await;
    let cancel_route = format!("/v1/predictions/{ID}/cancel");
    Mock::given(method("POST"))
        .and(path(cancel_route.as_str()))
        .respond_with(json_answer(200, &prediction("canceled", &json!({}))))
        .mount(&server)
        .await;
    let short = Limits {
        poll_deadline: Duration::from_millis(150),
        ..limits()
    };
    let provider = Replicate::new(connection(&server, short));
    let req = request("replicate/black-forest-labs/flux-schnell", &[], &[]);
    let started = std::time::Instant::now();
    let error = run_call(&provider, &req, 1, Some(1)).await.0.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(error.class, ErrorClass::Transient);
    assert_eq!(error.charged, Charged::No, "it never left starting");
    assert!(
        error.message.contains("canceled it at Replicate")
            && error.message.contains("starting")
            && error.message.contains(ID),
        "{}",
        error.message
    );
    let cancels = requests_to(&server, "POST", &cancel_route).await;
    assert_eq!(cancels.len(), 1);
    assert_eq!(
        cancels[0].headers.get("authorization").unwrap(),
        &format!("Bearer {KEY}")
    );
    assert!(
        !requests_to(&server, "GET", &format!("/v1/predictions/{ID}"))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn resume_follows_an_existing_prediction_without_creating_one() {
    let server = MockServer::start().await;
    let image = png(8, 8, [30, 90, 200, 255]);
    mount_polls(
        &server,
        vec![
            json_answer(200, &prediction("processing", &json!({}))),
            json_answer(200, &done_with(&json!([data_url("image/png", &image)]))),
        ],
    )
    .await;
    let req = request("replicate/black-forest-labs/flux-schnell", &[], &[]);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let call = Call {
        request: &req,
        index: 0,
        n: 1,
        seed: Some(4),
    };
    let output = replicate(&server)
        .resume(call, ID, &tx)
        .await
        .expect("Replicate can resume")
        .unwrap();
    assert_eq!(output.images[0].bytes, image);
    assert_eq!(output.remote_id.as_deref(), Some(ID));
    let received = server.received_requests().await.unwrap();
    assert!(received.iter().all(|r| r.method.as_str() == "GET"));
    assert_eq!(received.len(), 2);

    let refused = replicate(&server)
        .resume(call, "../account", &tx)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.class, ErrorClass::InvalidRequest);
}

#[tokio::test]
async fn cancel_posts_to_the_prediction() {
    let server = MockServer::start().await;
    let cancel_route = format!("/v1/predictions/{ID}/cancel");
    Mock::given(method("POST"))
        .and(path(cancel_route.as_str()))
        .respond_with(json_answer(200, &prediction("canceled", &json!({}))))
        .mount(&server)
        .await;
    let provider = replicate(&server);
    provider.cancel(ID).await.unwrap();
    let cancels = requests_to(&server, "POST", &cancel_route).await;
    assert_eq!(cancels.len(), 1);
    assert_eq!(
        cancels[0].headers.get("authorization").unwrap(),
        &format!("Bearer {KEY}")
    );
    let error = provider.cancel("a/../../b").await.unwrap_err();
    assert_eq!(error.class, ErrorClass::InvalidRequest);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

async fn create_error(answer: ResponseTemplate) -> ProviderError {
    let server = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-schnell/predictions";
    mount_post(&server, route, answer).await;
    let req = request("replicate/black-forest-labs/flux-schnell", &[], &[]);
    let (result, events) = run_call(&replicate(&server), &req, 1, Some(1)).await;
    assert!(
        !events.iter().any(|e| matches!(e, Progress::RemoteId(_))),
        "no prediction, no remote id"
    );
    result.unwrap_err()
}

#[tokio::test]
async fn a_refused_key_is_an_authentication_error() {
    let error = create_error(json_answer(
        401,
        &json!({"title": "Unauthenticated", "detail": "You did not pass a valid authentication token", "status": 401}),
    ))
    .await;
    assert_eq!(error.class, ErrorClass::Authentication);
    assert_eq!(error.charged, Charged::No);
    assert_eq!(error.status, Some(401));
    assert!(
        error.message.contains("valid authentication token") && !error.message.contains(KEY),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn an_invalid_input_shows_replicates_detail() {
    let error = create_error(json_answer(
        422,
        &json!({"title": "Input validation failed", "detail": "- input.num_outputs: Must be less than or equal to 4", "status": 422}),
    ))
    .await;
    assert_eq!(error.class, ErrorClass::InvalidRequest);
    assert_eq!(error.charged, Charged::No);
    assert!(
        error
            .message
            .contains("input.num_outputs: Must be less than or equal to 4"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_rate_limit_carries_retry_after() {
    let error = create_error(
        json_answer(
            429,
            &json!({"title": "Request was throttled.", "detail": "Request was throttled. Expected available in 7 seconds.", "status": 429}),
        )
        .insert_header("Retry-After", "7"),
    )
    .await;
    assert_eq!(error.class, ErrorClass::RateLimited);
    assert_eq!(error.charged, Charged::No);
    assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
    assert!(error.message.contains("throttled"), "{}", error.message);
}

#[tokio::test]
async fn truncated_json_while_polling_is_a_bad_response() {
    let server = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-schnell/predictions";
    mount_post(
        &server,
        route,
        json_answer(201, &prediction("starting", &json!({}))),
    )
    .await;
    mount_polls(
        &server,
        vec![ResponseTemplate::new(200).set_body_raw("{\"id\": \"gm3q", "application/json")],
    )
    .await;
    let req = request("replicate/black-forest-labs/flux-schnell", &[], &[]);
    let error = run_call(&replicate(&server), &req, 1, Some(1))
        .await
        .0
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains(ID) && error.message.contains("truncated"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn prefer_wait_is_opt_in_and_well_formed() {
    let server = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-schnell/predictions";
    let outputs = json!(data_url("image/png", &png(4, 4, [6, 90, 200, 255])));
    mount_post(&server, route, json_answer(201, &done_with(&outputs))).await;
    let provider = Replicate::with_prefer_wait(connection(&server, limits()), 200);
    let req = request("replicate/black-forest-labs/flux-schnell", &[], &[]);
    run_call(&provider, &req, 1, Some(1)).await.0.unwrap();
    let creates = requests_to(&server, "POST", route).await;
    assert_eq!(creates[0].headers.get("prefer").unwrap(), "wait=60");
    assert!(
        requests_to(&server, "GET", &format!("/v1/predictions/{ID}"))
            .await
            .is_empty(),
        "a finished prediction needs no poll"
    );
}

#[tokio::test]
async fn a_running_prediction_past_the_deadline_may_be_charged_and_says_if_cancel_failed() {
    let server = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-schnell/predictions";
    mount_post(
        &server,
        route,
        json_answer(201, &prediction("starting", &json!({}))),
    )
    .await;
    mount_polls(
        &server,
        vec![json_answer(200, &prediction("processing", &json!({})))],
    )
    .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/predictions/{ID}/cancel")))
        .respond_with(json_answer(500, &json!({"detail": "internal error"})))
        .mount(&server)
        .await;
    let short = Limits {
        poll_deadline: Duration::from_millis(150),
        ..limits()
    };
    let provider = Replicate::new(connection(&server, short));
    let req = request("replicate/black-forest-labs/flux-schnell", &[], &[]);
    let error = run_call(&provider, &req, 1, Some(1)).await.0.unwrap_err();
    assert_eq!(error.class, ErrorClass::Transient);
    assert_eq!(error.charged, Charged::Maybe, "a worker had picked it up");
    assert!(
        error.message.contains("canceling it failed")
            && error.message.contains("cancel it on replicate.com"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_passing_fault_while_polling_is_retried() {
    let server = MockServer::start().await;
    let route = "/v1/models/black-forest-labs/flux-schnell/predictions";
    mount_post(
        &server,
        route,
        json_answer(201, &prediction("starting", &json!({}))),
    )
    .await;
    let image = png(8, 8, [40, 90, 200, 255]);
    mount_polls(
        &server,
        vec![
            ResponseTemplate::new(503).set_body_string("upstream connect error"),
            json_answer(200, &done_with(&json!([data_url("image/png", &image)]))),
        ],
    )
    .await;
    let req = request("replicate/black-forest-labs/flux-schnell", &[], &[]);
    let output = run_call(&replicate(&server), &req, 1, Some(1))
        .await
        .0
        .unwrap();
    assert_eq!(output.images[0].bytes, image);
}
