//! Pacing against a provider that allows 60 requests per minute: a mock
//! `OpenAI` images API on 127.0.0.1 that answers 429 to any request beyond 60
//! in a sliding minute, and a 100-job batch through the engine configured
//! with `requests_per_minute = 60`. Reports the rate achieved and how many
//! requests met a 429. Takes about 100 s.
//!
//!     cargo bench --bench pacing
//!
//! Environment: `PACING_RPM` (default 60), `PACING_JOBS` (default 100).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tintype::catalog::{Catalog, Draft, estimate, text_params};
use tintype::config::ApiKey;
use tintype::engine::lane::LaneSettings;
use tintype::engine::owner::Owner;
use tintype::engine::pace::Rate;
use tintype::engine::{Engine, EngineSettings};
use tintype::providers::Provider;
use tintype::providers::http::{Connection, Limits, encode_base64};
use tintype::providers::openai::OpenAi;
use tintype::store::{JobState, SharedStore, Store};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct SlidingWindow {
    limit: usize,
    window: Duration,
    accepted: Mutex<Vec<Instant>>,
    refused: AtomicUsize,
    image: String,
}

struct Shared(Arc<SlidingWindow>);

impl Respond for Shared {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let this = &self.0;
        let now = Instant::now();
        let mut accepted = this.accepted.lock().unwrap();
        let recent = accepted
            .iter()
            .filter(|t| now.duration_since(**t) < this.window)
            .count();
        if recent >= this.limit {
            this.refused.fetch_add(1, Ordering::SeqCst);
            return ResponseTemplate::new(429).set_body_json(json!({"error": {
                "message": "Rate limit reached for images per min", "type": "requests",
                "param": null, "code": "rate_limit_exceeded"}}));
        }
        accepted.push(now);
        ResponseTemplate::new(200).set_body_json(json!({
            "created": 1, "data": [{"b64_json": this.image}],
            "usage": {"input_tokens": 10, "output_tokens": 272, "total_tokens": 282}
        }))
    }
}

fn tiny_png() -> Vec<u8> {
    let picture = image::RgbaImage::from_pixel(8, 8, image::Rgba([90, 120, 200, 255]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rpm = env_number("PACING_RPM", 60);
    let jobs = env_number("PACING_JOBS", 100);
    let server = MockServer::start().await;
    let window = Arc::new(SlidingWindow {
        limit: rpm,
        window: Duration::from_mins(1),
        accepted: Mutex::new(Vec::new()),
        refused: AtomicUsize::new(0),
        image: encode_base64(&tiny_png()),
    });
    Mock::given(method("POST"))
        .respond_with(Shared(Arc::clone(&window)))
        .mount(&server)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let base = format!("{}/v1", server.uri());
    let mut settings = EngineSettings::default();
    settings.lanes.insert(
        "openai".into(),
        LaneSettings {
            max_concurrent: 4,
            rate: Rate {
                requests_per_minute: Some(u32::try_from(rpm).unwrap()),
                images_per_minute: None,
            },
            rate_limit_pause: None,
        },
    );
    let (events, mut updates) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move { while updates.recv().await.is_some() {} });
    let engine = Engine::new(
        SharedStore::new(Store::open(&dir.path().join("tintype.db")).unwrap()),
        dir.path().join("images"),
        events,
        settings,
        Box::new(move |_| {
            Ok(Arc::new(OpenAi::new(
                Connection::new(&base, ApiKey::new("sk-bench"), Limits::default()).unwrap(),
            )) as Arc<dyn Provider>)
        }),
        Owner::claim(&dir.path().join("locks")).unwrap(),
    );
    let catalog = Catalog::embedded().unwrap();
    println!(
        "pacing: {jobs} jobs against a {rpm}-per-minute sliding window (about {} s)",
        jobs * 60 / rpm
    );
    let started = Instant::now();
    let mut handles = Vec::new();
    for k in 0..jobs {
        let request = catalog
            .validate(&Draft {
                model: "openai/gpt-image-1".into(),
                prompt: Some(format!("pacing {k}")),
                params: text_params(&[("quality", "low")]),
                ..Draft::default()
            })
            .unwrap();
        let cost = estimate(&request);
        handles.extend(engine.submit(request, cost, None, None).await.unwrap().jobs);
    }
    let mut succeeded = 0;
    for handle in handles {
        if handle.await.unwrap().state == JobState::Succeeded {
            succeeded += 1;
        }
    }
    let elapsed = started.elapsed();
    let accepted = window.accepted.lock().unwrap().clone();
    let refused = window.refused.load(Ordering::SeqCst);
    let sent = accepted.len() + refused;
    // The rate over the batch: intervals between the first and last accepted.
    let span = accepted
        .last()
        .zip(accepted.first())
        .map_or(Duration::ZERO, |(l, f)| *l - *f);
    let achieved = (accepted.len().saturating_sub(1)) as f64 / span.as_secs_f64() * 60.0;
    println!("succeeded        {succeeded}/{jobs}");
    println!("elapsed          {:.1} s", elapsed.as_secs_f64());
    println!(
        "achieved rate    {achieved:.2} per minute ({:.1}% of {rpm})",
        achieved / rpm as f64 * 100.0
    );
    println!(
        "answered 429     {refused} of {sent} requests ({:.2}%)",
        refused as f64 / sent.max(1) as f64 * 100.0
    );
}
