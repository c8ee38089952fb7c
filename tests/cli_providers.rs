//! `tintype gen` end to end against providers played by local mock servers:
//! catalog → provider client → engine → store → files, through the binary.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::RgbaImage::from_pixel(width, height, image::Rgba([10, 120, 200, 255]))
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Runs the binary with a private home and only the given environment.
fn tintype(home: &Path, env: &[(&str, String)], args: &[&str]) -> (i32, Value, String) {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("tintype"));
    command
        .env_clear()
        .env("TINTYPE_HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let body = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        output.status.code().unwrap_or(-1),
        body,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

// The mock server must keep answering while the test thread waits on the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_generation_records_the_cost_from_usage() {
    let server = MockServer::start().await;
    let image = b64(&png(64, 64));
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .and(header("authorization", "Bearer sk-test-0123456789abcdef"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "created": 1_763_700_000,
            "data": [{ "b64_json": image }, { "b64_json": image }],
            "usage": { "input_tokens": 20, "output_tokens": 544, "total_tokens": 564,
                       "input_tokens_details": { "text_tokens": 20, "image_tokens": 0 },
                       "output_tokens_details": { "text_tokens": 0, "image_tokens": 544 } }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("OPENAI_API_KEY", "sk-test-0123456789abcdef".to_string()),
        ("TINTYPE_OPENAI_BASE_URL", format!("{}/v1", server.uri())),
    ];
    let args = [
        "gen",
        "--json",
        "-q",
        "-m",
        "gpt-image-1",
        "-n",
        "2",
        "--quality",
        "low",
        "--size",
        "1024x1024",
        "a paper boat",
    ];
    let (code, body, stderr) = tokio::task::block_in_place(|| tintype(home.path(), &env, &args));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(body["status"], "succeeded");
    assert_eq!(body["images"].as_array().unwrap().len(), 2);
    // 20 text tokens x $5/1M + 544 image tokens x $40/1M.
    assert_eq!(body["actual_cost_micros"], 100 + 21_760);
    // 2 x 272 tokens x $40/1M + 3 prompt tokens x $5/1M.
    assert_eq!(body["estimated_cost_micros"], 21_760 + 15);
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(
        sent,
        json!({ "model": "gpt-image-1", "prompt": "a paper boat", "n": 2, "quality": "low", "size": "1024x1024" })
    );
    for image in body["images"].as_array().unwrap() {
        let saved = image::open(image["path"].as_str().unwrap()).unwrap();
        assert_eq!((saved.width(), saved.height()), (64, 64));
    }
    let (_, history, _) =
        tokio::task::block_in_place(|| tintype(home.path(), &env, &["history", "--json"]));
    assert_eq!(history[0]["actual_cost_micros"], 21_860);
    assert_eq!(history[0]["model"], "openai/gpt-image-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicate_generation_polls_and_keeps_the_prediction_id() {
    let server = MockServer::start().await;
    let cdn = MockServer::start().await;
    let prediction = |status: &str, output: Value| {
        json!({ "id": "p4bc2", "model": "black-forest-labs/flux-schnell", "version": "hidden", "input": {},
                "output": output, "data_removed": false, "error": null, "status": status, "logs": "",
                "created_at": "2026-11-21T06:00:00Z", "metrics": { "predict_time": 0.8 },
                "urls": { "web": "", "get": "", "cancel": "" } })
    };
    Mock::given(method("POST"))
        .and(path(
            "/v1/models/black-forest-labs/flux-schnell/predictions",
        ))
        .and(header("authorization", "Bearer r8_test0123456789abcdef"))
        .respond_with(ResponseTemplate::new(201).set_body_json(prediction("starting", Value::Null)))
        .mount(&server)
        .await;
    let output = json!([format!("{}/out/0.png", cdn.uri())]);
    Mock::given(method("GET"))
        .and(path("/v1/predictions/p4bc2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(prediction("succeeded", output)))
        .mount(&server)
        .await;
    Mock::given(path("/out/0.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(32, 32)))
        .mount(&cdn)
        .await;
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("REPLICATE_API_TOKEN", "r8_test0123456789abcdef".to_string()),
        ("TINTYPE_REPLICATE_BASE_URL", format!("{}/v1", server.uri())),
    ];
    let args = [
        "gen",
        "--json",
        "-q",
        "-m",
        "flux-schnell",
        "--seed",
        "7",
        "a lantern",
    ];
    let (code, body, stderr) = tokio::task::block_in_place(|| tintype(home.path(), &env, &args));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(body["images"][0]["seed"], 7);
    assert_eq!(body["actual_cost_micros"], 3_000);
    let created: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(
        created,
        json!({ "input": { "prompt": "a lantern", "num_outputs": 1, "seed": 7 } })
    );
    assert!(
        cdn.received_requests()
            .await
            .unwrap()
            .iter()
            .all(|r| !r.headers.contains_key("authorization"))
    );
    let db = rusqlite::Connection::open(home.path().join("data/tintype.db")).unwrap();
    let remote: String = db
        .query_row("SELECT remote_id FROM jobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(remote, "p4bc2", "the prediction id is stored for resuming");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_refusal_ends_the_job_clearly_and_costs_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": { "message": "Your request was rejected by the safety system.", "type": "invalid_request_error",
                       "param": null, "code": "moderation_blocked" }
        })))
        .mount(&server)
        .await;
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("OPENAI_API_KEY", "sk-test-0123456789abcdef".to_string()),
        ("TINTYPE_OPENAI_BASE_URL", format!("{}/v1", server.uri())),
    ];
    let (code, body, stderr) = tokio::task::block_in_place(|| {
        tintype(
            home.path(),
            &env,
            &["gen", "--json", "-m", "gpt-image-2", "x"],
        )
    });
    assert_eq!(code, 3);
    assert_eq!(body["error"]["class"], "moderation");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rejected by the safety system")
    );
    assert_eq!(
        body["actual_cost_micros"], 0,
        "a refusal is recorded as not charged"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "a refusal is not retried"
    );
    assert!(!stderr.contains("0123456789abcdef"), "the key never shows");
}
