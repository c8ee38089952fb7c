//! The Gemini client against a local mock server: the exact
//! `generateContent` JSON, images and words read back, token usage by
//! modality, refusals, Google's error bodies and garbled answers.

mod common;

use std::path::Path;
use std::time::Duration;

use image::ImageFormat;
use serde_json::{Value, json};
use tintype::catalog::{Catalog, Draft, Usage, ValidRequest, input, text_params};
use tintype::config::ApiKey;
use tintype::providers::gemini::Gemini;
use tintype::providers::http::{Connection, Limits, encode_base64};
use tintype::providers::{CallOutput, Charged, ErrorClass, Progress, ProviderError};
use wiremock::{MockServer, ResponseTemplate};

use common::{
    answer_all_posts, encoded_image, fast_limits, only_request, run_call, write_input_image,
};

const KEY: &str = "AIza-gemini-test-0123456789";

fn gemini(server: &MockServer) -> Gemini {
    let limits = fast_limits(1 << 20, Limits::default().connect_timeout);
    let base = format!("{}/v1beta", server.uri());
    Gemini::new(Connection::new(&base, ApiKey::new(KEY), limits).unwrap())
}

fn request(
    model: &str,
    operation: &str,
    params: &[(&str, &str)],
    images: &[&Path],
) -> ValidRequest {
    let draft = Draft {
        model: model.into(),
        operation: Some(operation.into()),
        prompt: Some("a fox in a paper boat".into()),
        params: text_params(params),
        inputs: images.iter().map(|p| input::probe(p).unwrap()).collect(),
        ..Draft::default()
    };
    Catalog::embedded()
        .unwrap()
        .validate(&draft)
        .unwrap_or_else(|e| panic!("{model} should validate: {e:?}"))
}

fn generate() -> ValidRequest {
    request("gemini/gemini-2.5-flash-image", "generate", &[], &[])
}

fn answer(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn image_part(bytes: &[u8]) -> Value {
    json!({ "inlineData": { "mimeType": "image/png", "data": encode_base64(bytes) } })
}

fn candidate(parts: &[Value], finish: &str) -> Value {
    json!({
        "candidates": [{
            "content": { "role": "model", "parts": parts },
            "finishReason": finish,
            "index": 0,
        }],
        "modelVersion": "gemini-2.5-flash-image",
    })
}

/// The call's result when the server answers `template`.
async fn outcome(template: ResponseTemplate) -> Result<CallOutput, ProviderError> {
    let server = MockServer::start().await;
    answer_all_posts(&server, template).await;
    let result = run_call(&gemini(&server), &generate(), 1, None).await.0;
    if let Err(error) = &result {
        assert!(!error.explain().contains(KEY), "the key never shows");
    }
    result
}

#[tokio::test]
async fn generate_sends_the_exact_json_to_the_model_path() {
    let server = MockServer::start().await;
    let png = encoded_image(ImageFormat::Png, 32, 32, [1, 40, 160]);
    answer_all_posts(&server, answer(&candidate(&[image_part(&png)], "STOP"))).await;
    let req = request(
        "gemini/gemini-2.5-flash-image",
        "generate",
        &[("aspect_ratio", "16:9")],
        &[],
    );
    let output = run_call(&gemini(&server), &req, 1, None).await.0.unwrap();

    let sent = only_request(&server).await;
    assert_eq!(sent.method.as_str(), "POST");
    assert_eq!(
        sent.url.path(),
        "/v1beta/models/gemini-2.5-flash-image:generateContent"
    );
    assert_eq!(sent.url.query(), None, "the key never goes in the URL");
    assert_eq!(sent.headers["x-goog-api-key"], KEY);
    assert!(!sent.headers.contains_key("authorization"));
    assert!(
        sent.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(
        body,
        json!({
            "contents": [{ "role": "user", "parts": [{ "text": "a fox in a paper boat" }] }],
            "generationConfig": {
                "responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": { "aspectRatio": "16:9" },
            },
        })
    );
    assert_eq!(output.images.len(), 1);
    assert_eq!(output.images[0].bytes, png);
    assert_eq!(output.images[0].format, "png");
    assert_eq!(output.images[0].seed, None);
    assert_eq!(output.usage, None, "no usageMetadata, no usage");
}

#[tokio::test]
async fn defaults_the_user_did_not_give_are_not_sent() {
    let server = MockServer::start().await;
    answer_all_posts(
        &server,
        answer(&candidate(
            &[image_part(&encoded_image(
                ImageFormat::Png,
                32,
                32,
                [2, 40, 160],
            ))],
            "STOP",
        )),
    )
    .await;
    run_call(&gemini(&server), &generate(), 1, None)
        .await
        .0
        .unwrap();
    let body: Value = serde_json::from_slice(&only_request(&server).await.body).unwrap();
    assert_eq!(
        body["generationConfig"],
        json!({ "responseModalities": ["TEXT", "IMAGE"] })
    );
}

#[tokio::test]
async fn edit_sends_each_input_image_inline() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_input_image(
        dir.path(),
        "room.png",
        &encoded_image(ImageFormat::Png, 32, 32, [10, 40, 160]),
    );
    let second = write_input_image(
        dir.path(),
        "chair.jpg",
        &encoded_image(ImageFormat::Jpeg, 32, 32, [20, 40, 160]),
    );
    let server = MockServer::start().await;
    answer_all_posts(
        &server,
        answer(&candidate(
            &[image_part(&encoded_image(
                ImageFormat::Png,
                32,
                32,
                [3, 40, 160],
            ))],
            "STOP",
        )),
    )
    .await;
    let req = request(
        "gemini/gemini-3-pro-image-preview",
        "edit",
        &[("image_size", "2K"), ("aspect_ratio", "4:3")],
        &[&first, &second],
    );
    run_call(&gemini(&server), &req, 1, None).await.0.unwrap();

    let sent = only_request(&server).await;
    assert_eq!(
        sent.url.path(),
        "/v1beta/models/gemini-3-pro-image-preview:generateContent"
    );
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(
        body,
        json!({
            "contents": [{
                "role": "user",
                "parts": [
                    { "text": "a fox in a paper boat" },
                    { "inlineData": {
                        "mimeType": "image/png",
                        "data": encode_base64(&std::fs::read(&first).unwrap()),
                    } },
                    { "inlineData": {
                        "mimeType": "image/jpeg",
                        "data": encode_base64(&std::fs::read(&second).unwrap()),
                    } },
                ],
            }],
            "generationConfig": {
                "responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": { "aspectRatio": "4:3", "imageSize": "2K" },
            },
        })
    );
}

#[tokio::test]
async fn text_parts_become_the_commentary_of_the_first_image() {
    let server = MockServer::start().await;
    let png = encoded_image(ImageFormat::Png, 32, 32, [4, 40, 160]);
    let jpeg = encoded_image(ImageFormat::Jpeg, 32, 32, [5, 40, 160]);
    let parts = [
        json!({ "text": "Here is your fox \u{1b}]0;pwned\u{7}in a boat." }),
        image_part(&png),
        json!({ "inlineData": { "mimeType": "image/jpeg", "data": encode_base64(&jpeg) } }),
        json!({ "text": "Enjoy!" }),
    ];
    answer_all_posts(&server, answer(&candidate(&parts, "STOP"))).await;
    let (result, events) = run_call(&gemini(&server), &generate(), 1, None).await;
    let output = result.unwrap();
    assert_eq!(output.images.len(), 2);
    assert_eq!(output.images[0].format, "png");
    assert_eq!(output.images[1].format, "jpeg");
    assert!(image::load_from_memory(&output.images[1].bytes).is_ok());
    assert_eq!(
        output.images[0].revised_prompt.as_deref(),
        Some("Here is your fox in a boat.\nEnjoy!")
    );
    assert_eq!(output.images[1].revised_prompt, None);
    assert!(
        events.contains(&Progress::Status(
            "Gemini says: Here is your fox in a boat. Enjoy!".into()
        )),
        "{events:?}"
    );
}

#[tokio::test]
async fn usage_is_split_by_modality_with_thoughts_as_text_output() {
    let mut body = candidate(
        &[image_part(&encoded_image(
            ImageFormat::Png,
            32,
            32,
            [6, 40, 160],
        ))],
        "STOP",
    );
    body["usageMetadata"] = json!({
        "promptTokenCount": 270,
        "candidatesTokenCount": 1300,
        "thoughtsTokenCount": 150,
        "totalTokenCount": 1720,
        "promptTokensDetails": [
            { "modality": "TEXT", "tokenCount": 12 },
            { "modality": "IMAGE", "tokenCount": 258 },
        ],
        "candidatesTokensDetails": [
            { "modality": "IMAGE", "tokenCount": 1290 },
            { "modality": "TEXT", "tokenCount": 10 },
        ],
    });
    let output = outcome(answer(&body)).await.unwrap();
    assert_eq!(
        output.usage,
        Some(Usage::Tokens {
            text_input: 12,
            image_input: 258,
            text_output: 160,
            image_output: 1290,
        })
    );
}

#[tokio::test]
async fn usage_without_details_counts_prompt_as_text_and_output_as_image() {
    let mut body = candidate(
        &[image_part(&encoded_image(
            ImageFormat::Png,
            32,
            32,
            [7, 40, 160],
        ))],
        "STOP",
    );
    body["usageMetadata"] = json!({
        "promptTokenCount": 9,
        "candidatesTokenCount": 1290,
        "totalTokenCount": 1299,
    });
    let output = outcome(answer(&body)).await.unwrap();
    assert_eq!(
        output.usage,
        Some(Usage::Tokens {
            text_input: 9,
            image_input: 0,
            text_output: 0,
            image_output: 1290,
        })
    );
}

#[tokio::test]
async fn a_blocked_prompt_is_moderation() {
    let error = outcome(answer(&json!({
        "promptFeedback": { "blockReason": "PROHIBITED_CONTENT" },
        "usageMetadata": { "promptTokenCount": 8, "totalTokenCount": 8 },
    })))
    .await
    .unwrap_err();
    assert_eq!(error.class, ErrorClass::Moderation);
    assert_eq!(error.charged, Charged::No);
    assert!(
        error.message.contains("PROHIBITED_CONTENT"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn an_image_safety_finish_is_moderation() {
    let error = outcome(answer(&candidate(&[], "IMAGE_SAFETY")))
        .await
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::Moderation);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(error.message.contains("IMAGE_SAFETY"), "{}", error.message);
}

#[tokio::test]
async fn no_image_says_so_and_may_be_charged() {
    let parts = [json!({ "text": "I can only describe foxes, not draw them." })];
    let error = outcome(answer(&candidate(&parts, "NO_IMAGE")))
        .await
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::InvalidRequest);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("returned no image")
            && error.message.contains("NO_IMAGE")
            && error.message.contains("describe foxes"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn an_invalid_api_key_is_authentication_not_a_bad_request() {
    let error = outcome(ResponseTemplate::new(400).set_body_json(json!({
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
            }],
        }
    })))
    .await
    .unwrap_err();
    assert_eq!(error.class, ErrorClass::Authentication);
    assert_eq!(error.charged, Charged::No);
    assert_eq!(error.status, Some(400));
    assert!(
        error.message.contains("API key not valid"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn resource_exhausted_is_a_rate_limit_with_its_retry_after() {
    let error = outcome(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "12")
            .set_body_json(json!({
                "error": {
                    "code": 429,
                    "message": "You exceeded your current quota, please check your plan and billing details.",
                    "status": "RESOURCE_EXHAUSTED",
                }
            })),
    )
    .await
    .unwrap_err();
    assert_eq!(error.class, ErrorClass::RateLimited);
    assert_eq!(error.retry_after, Some(Duration::from_secs(12)));
    assert_eq!(error.charged, Charged::No);
    assert!(
        error.message.contains("RESOURCE_EXHAUSTED"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn invalid_base64_in_an_image_is_a_bad_response() {
    let parts =
        [json!({ "inlineData": { "mimeType": "image/png", "data": "%%% not base64 %%%" } })];
    let error = outcome(answer(&candidate(&parts, "STOP")))
        .await
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("not valid base64"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn truncated_json_is_a_bad_response() {
    let error = outcome(ResponseTemplate::new(200).set_body_raw(
        r#"{"candidates": [{"content": {"parts": [{"inlineDa"#,
        "application/json",
    ))
    .await
    .unwrap_err();
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert_eq!(error.charged, Charged::Maybe);
    assert!(
        error.message.contains("truncated or invalid"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn an_answer_with_no_candidates_and_no_reason_is_a_bad_response() {
    let error = outcome(answer(&json!({ "modelVersion": "gemini-2.5-flash-image" })))
        .await
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::BadResponse);
    assert!(error.message.contains("no candidates"), "{}", error.message);
}

#[tokio::test]
async fn thought_images_are_previews_not_results() {
    let draft = encoded_image(ImageFormat::Png, 32, 32, [8, 40, 160]);
    let final_png = encoded_image(ImageFormat::Png, 32, 32, [9, 40, 160]);
    let parts = [
        json!({ "text": "planning the composition", "thought": true }),
        json!({ "inlineData": { "mimeType": "image/png", "data": encode_base64(&draft) }, "thought": true }),
        image_part(&final_png),
    ];
    let server = MockServer::start().await;
    answer_all_posts(&server, answer(&candidate(&parts, "STOP"))).await;
    let (result, events) = run_call(&gemini(&server), &generate(), 1, None).await;
    let output = result.unwrap();
    assert_eq!(output.images.len(), 1);
    assert_eq!(output.images[0].bytes, final_png);
    assert_eq!(
        output.images[0].revised_prompt, None,
        "thoughts are not commentary"
    );
    let previews: Vec<&Vec<u8>> = events
        .iter()
        .filter_map(|e| match e {
            Progress::Partial {
                image: 0, preview, ..
            } => Some(&preview.bytes),
            _ => None,
        })
        .collect();
    assert_eq!(previews, vec![&draft]);
}
