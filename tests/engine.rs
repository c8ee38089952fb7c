//! The job engine end to end against local mock servers: each fault ends its
//! own job in the right state while the others finish, the database stays
//! consistent and no cost is recorded for what was not billed; concurrency
//! limits, the circuit breaker, holds after a 429, pacing, cancellation
//! (remote too), start-up recovery and the identical-request cache.

// The fault table and the recovery scene read best whole.
#![allow(clippy::too_many_lines)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::json;
use tempfile::TempDir;
use tintype::catalog::{Catalog, Draft, ValidRequest, estimate, text_params};
use tintype::config::ApiKey;
use tintype::engine::lane::LaneSettings;
use tintype::engine::owner::Owner;
use tintype::engine::pace::Rate;
use tintype::engine::retry::RetryPolicy;
use tintype::engine::{
    ClientSource, Engine, EngineSettings, JobEvent, JobOutcome, Recovery, cache, queue,
};
use tintype::providers::http::{Connection, Limits, encode_base64};
use tintype::providers::openai::OpenAi;
use tintype::providers::replicate::Replicate;
use tintype::providers::{
    Call, CallOutput, EncodedImage, ErrorClass, Progress, ProgressSink, Provider, ProviderError,
};
use tintype::store::{JobId, JobState, SharedStore, Stamp, Store};
use tokio::sync::mpsc::UnboundedReceiver;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use common::{fast_limits, png};

struct Harness {
    engine: Engine,
    events: UnboundedReceiver<JobEvent>,
    dir: TempDir,
}

fn harness(settings: EngineSettings, clients: ClientSource) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("tintype.db")).unwrap();
    let owner = Owner::claim(&dir.path().join("locks")).unwrap();
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let engine = Engine::new(
        SharedStore::new(store),
        dir.path().join("images"),
        tx,
        settings,
        clients,
        owner,
    );
    Harness {
        engine,
        events,
        dir,
    }
}

fn quick_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        first_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(50),
        max_wait: Duration::from_secs(5),
    }
}

fn settings(lane: LaneSettings, retries: u32) -> EngineSettings {
    let mut lanes = std::collections::BTreeMap::new();
    for provider in ["openai", "replicate", "sandbox"] {
        lanes.insert(provider.to_string(), lane);
    }
    EngineSettings {
        max_concurrent: 8,
        retry: quick_retries(retries),
        lanes,
        ..EngineSettings::default()
    }
}

fn lane(max_concurrent: usize) -> LaneSettings {
    LaneSettings {
        max_concurrent,
        ..LaneSettings::default()
    }
}

fn openai_clients(base: String, limits: Limits) -> ClientSource {
    Box::new(move |name| match name {
        "openai" => Ok(Arc::new(OpenAi::new(
            Connection::new(&base, ApiKey::new("sk-test-0123456789abcdef"), limits).unwrap(),
        )) as Arc<dyn Provider>),
        other => Err(format!("no {other} in this test")),
    })
}

fn request(model: &str, prompt: &str, params: &[(&str, &str)]) -> ValidRequest {
    Catalog::embedded()
        .unwrap()
        .validate(&Draft {
            model: model.into(),
            prompt: Some(prompt.into()),
            params: text_params(params),
            split: true,
            ..Draft::default()
        })
        .unwrap_or_else(|e| panic!("{model}: {e:?}"))
}

async fn run(engine: &Engine, request: ValidRequest) -> Vec<JobOutcome> {
    let cost = estimate(&request);
    let submitted = engine.submit(request, cost, None, None).await.unwrap();
    let mut outcomes = Vec::new();
    for handle in submitted.jobs {
        outcomes.push(handle.await.unwrap());
    }
    outcomes
}

fn b64_image() -> String {
    encode_base64(&png(8, 8, [200, 40, 40, 255]))
}

fn image_answer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "created": 1,
        "data": [{"b64_json": b64_image()}],
        "usage": {"input_tokens": 10, "output_tokens": 272, "total_tokens": 282,
                  "input_tokens_details": {"text_tokens": 10, "image_tokens": 0}}
    }))
}

/// Everything a finished run must leave: no job unfinished, an intact and
/// consistent database, every image row pointing at a file, no temp files.
fn assert_consistent(harness: &Harness) {
    let store = harness.engine.store().clone();
    let mut store = store.lock();
    let conn = store.connection();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let broken: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(broken, 0);
    let unfinished: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'submitted', 'running')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unfinished, 0, "every job ended");
    let paths: Vec<String> = conn
        .prepare("SELECT path FROM images")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for path in paths {
        assert!(Path::new(&path).is_file(), "{path} is on disk");
    }
    let mut stack = vec![harness.dir.path().join("images")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.map(Result::unwrap) {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with(".tmp"), "a temp file was left: {name}");
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
        }
    }
}

/// A job's ledger row: none (never sent), its actual cost unknown (may
/// have been charged), or known.
#[derive(Debug, PartialEq, Eq)]
enum Ledger {
    NoRow,
    Unknown,
    Actual(i64),
}

fn ledger_actual(harness: &Harness, job: JobId) -> Ledger {
    let store = harness.engine.store().clone();
    let mut store = store.lock();
    store
        .connection()
        .query_row(
            "SELECT actual_micros FROM costs WHERE job_id = ?1",
            [job.0],
            |r| r.get::<_, Option<i64>>(0),
        )
        .map_or(Ledger::NoRow, |actual| {
            actual.map_or(Ledger::Unknown, Ledger::Actual)
        })
}

fn job_state(harness: &Harness, job: JobId) -> (JobState, Option<String>) {
    let record = harness.engine.store().lock().job(job).unwrap().unwrap();
    (record.state, record.error.map(|e| e.class))
}

#[tokio::test]
async fn each_fault_ends_its_own_job_and_the_others_finish() {
    let server = MockServer::start().await;
    let answer = |prompt: &str, template: ResponseTemplate| {
        Mock::given(method("POST"))
            .and(path("/v1/images/generations"))
            .and(body_string_contains(prompt))
            .respond_with(template)
    };
    let json_body = |status: u16, body: &serde_json::Value| {
        ResponseTemplate::new(status).set_body_json(body.clone())
    };
    let error_body = |message: &str, kind: &str| json!({"error": {"message": message, "type": kind, "param": null, "code": null}});
    let faults: Vec<(&str, ResponseTemplate, ErrorClass, Option<i64>)> = vec![
        (
            "fault-429-retry-after",
            json_body(429, &error_body("Rate limit reached", "requests"))
                .insert_header("retry-after", "0"),
            ErrorClass::RateLimited,
            Some(0),
        ),
        (
            "fault-429-bare",
            json_body(429, &error_body("Rate limit reached", "requests")),
            ErrorClass::RateLimited,
            Some(0),
        ),
        (
            "fault-500",
            json_body(500, &error_body("The server had an error", "server_error")),
            ErrorClass::Transient,
            Some(0),
        ),
        (
            "fault-502",
            ResponseTemplate::new(502).set_body_string("<html><body>Bad gateway</body></html>"),
            ErrorClass::Transient,
            Some(0),
        ),
        (
            "fault-503",
            json_body(503, &error_body("Overloaded", "server_error")),
            ErrorClass::Transient,
            Some(0),
        ),
        (
            "fault-timeout",
            image_answer().set_delay(Duration::from_secs(3)),
            ErrorClass::UnknownOutcome,
            None,
        ),
        (
            "fault-truncated",
            ResponseTemplate::new(200).set_body_raw(
                br#"{"created": 1, "data": [{"b64_json": "iVBO"#.to_vec(),
                "application/json",
            ),
            ErrorClass::BadResponse,
            None,
        ),
        (
            "fault-invalid-json",
            ResponseTemplate::new(200)
                .set_body_raw(b"{not json at all".to_vec(), "application/json"),
            ErrorClass::BadResponse,
            None,
        ),
        (
            "fault-html",
            ResponseTemplate::new(200)
                .set_body_raw(b"<!DOCTYPE html><html>Login</html>".to_vec(), "text/html"),
            ErrorClass::BadResponse,
            None,
        ),
        (
            "fault-content-type",
            ResponseTemplate::new(200).set_body_raw(b"plain words".to_vec(), "text/plain"),
            ErrorClass::BadResponse,
            None,
        ),
        (
            "fault-too-big",
            ResponseTemplate::new(200).set_body_raw(vec![b' '; 3 << 20], "application/json"),
            ErrorClass::BadResponse,
            None,
        ),
        (
            "fault-base64",
            json_body(
                200,
                &json!({"created": 1, "data": [{"b64_json": "not *base64*!"}]}),
            ),
            ErrorClass::BadResponse,
            None,
        ),
        (
            "fault-not-an-image",
            json_body(
                200,
                &json!({"created": 1, "data": [{"b64_json": encode_base64(b"GIF89a? no")}]}),
            ),
            ErrorClass::BadResponse,
            None,
        ),
        (
            "fault-expired-link",
            json_body(
                200,
                &json!({"created": 1, "data": [{"url": format!("{}/expired.png", server.uri())}]}),
            ),
            ErrorClass::OutputLost,
            Some(-1),
        ),
        (
            "fault-moderation",
            json_body(
                400,
                &json!({"error": {"message": "Your request was rejected by the safety system.",
                    "type": "image_generation_user_error", "param": null, "code": "moderation_blocked"}}),
            ),
            ErrorClass::Moderation,
            Some(0),
        ),
    ];
    Mock::given(method("GET"))
        .and(path("/expired.png"))
        .respond_with(ResponseTemplate::new(403).set_body_string("AuthenticationFailed"))
        .mount(&server)
        .await;
    for (prompt, template, _, _) in &faults {
        answer(prompt, template.clone()).mount(&server).await;
    }
    answer("all good", image_answer()).mount(&server).await;

    let limits = Limits {
        request_timeout: Duration::from_secs(1),
        ..fast_limits(1 << 20, Duration::from_secs(1))
    };
    // So many faults in a row would open the circuit (tested below); here
    // each must reach its own end.
    let mut isolated = settings(lane(8), 1);
    isolated.breaker.threshold = 1000;
    let harness = harness(
        isolated,
        openai_clients(format!("{}/v1", server.uri()), limits),
    );
    let mut submitted = Vec::new();
    for (prompt, _, class, charged) in &faults {
        let req = request("openai/gpt-image-1", prompt, &[("quality", "low")]);
        let cost = estimate(&req);
        let handle = harness.engine.submit(req, cost, None, None).await.unwrap();
        submitted.push((Some((*class, *charged)), handle));
    }
    for k in 0..2 {
        let req = request(
            "openai/gpt-image-1",
            &format!("all good {k}"),
            &[("quality", "low")],
        );
        let cost = estimate(&req);
        submitted.push((
            None,
            harness.engine.submit(req, cost, None, None).await.unwrap(),
        ));
    }
    for ((expected, submitted), prompt) in submitted
        .into_iter()
        .zip(faults.iter().map(|f| f.0).chain(["good", "good"]))
    {
        let job = submitted.queued.jobs[0].0;
        let outcome = submitted.jobs.into_iter().next().unwrap().await.unwrap();
        match expected {
            None => {
                assert_eq!(
                    outcome.state,
                    JobState::Succeeded,
                    "{prompt}: {:?}",
                    outcome.error
                );
                assert_eq!(outcome.images.len(), 1);
                assert!(matches!(ledger_actual(&harness, job), Ledger::Actual(m) if m > 0));
            }
            Some((class, charged)) => {
                let error = outcome.error.unwrap_or_else(|| panic!("{prompt} failed"));
                assert_eq!(error.class, class, "{prompt}: {}", error.message);
                assert_eq!(outcome.state, JobState::Failed, "{prompt}");
                assert!(!error.explain().is_empty());
                let (state, stored_class) = job_state(&harness, job);
                assert_eq!(state, JobState::Failed);
                assert_eq!(stored_class.as_deref(), Some(class.as_str()));
                let actual = ledger_actual(&harness, job);
                match charged {
                    Some(-1) => assert!(
                        matches!(actual, Ledger::Actual(m) if m > 0),
                        "{prompt} was billed: {actual:?}"
                    ),
                    Some(micros) => assert_eq!(actual, Ledger::Actual(micros), "{prompt}"),
                    None => assert_eq!(actual, Ledger::Unknown, "{prompt}"),
                }
            }
        }
    }
    // Retried once: the 429s and 5xx were sent twice, nothing else was.
    let received = server.received_requests().await.unwrap();
    let sent = |prompt: &str| {
        received
            .iter()
            .filter(|r| String::from_utf8_lossy(&r.body).contains(prompt))
            .count()
    };
    assert_eq!(sent("fault-503"), 2);
    assert_eq!(sent("fault-429-bare"), 2);
    assert_eq!(
        sent("fault-timeout"),
        1,
        "an unknown outcome is never re-sent"
    );
    assert_eq!(sent("fault-moderation"), 1);
    assert_consistent(&harness);
}

/// A provider that counts how many of its calls run at once.
struct Gauge {
    now: AtomicUsize,
    most: AtomicUsize,
    calls: AtomicUsize,
    hold: Duration,
    remote_ids: bool,
    cancels: Mutex<Vec<String>>,
}

impl Gauge {
    fn new(hold: Duration) -> Arc<Gauge> {
        Arc::new(Gauge {
            now: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
            hold,
            remote_ids: false,
            cancels: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl Provider for Gauge {
    async fn call(
        &self,
        call: Call<'_>,
        progress: &ProgressSink,
    ) -> Result<CallOutput, ProviderError> {
        let id = self.calls.fetch_add(1, Ordering::SeqCst);
        if self.remote_ids {
            let _ = progress.send(Progress::RemoteId(format!("remote-{id}")));
        }
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.hold).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        Ok(CallOutput {
            images: (0..call.n)
                .map(|_| EncodedImage {
                    bytes: png(4, 4, [10, 200, 10, 255]),
                    format: "png".into(),
                    seed: call.seed,
                    revised_prompt: None,
                })
                .collect(),
            usage: None,
            remote_id: None,
        })
    }

    async fn cancel(&self, remote_id: &str) -> Result<(), ProviderError> {
        self.cancels.lock().unwrap().push(remote_id.to_string());
        Ok(())
    }
}

fn gauge_clients(gauges: HashMap<&'static str, Arc<Gauge>>) -> ClientSource {
    Box::new(move |name| {
        gauges
            .get(name)
            .map(|g| Arc::clone(g) as Arc<dyn Provider>)
            .ok_or_else(|| format!("no {name}"))
    })
}

#[tokio::test]
async fn provider_and_global_limits_bound_the_calls_in_flight() {
    let gauge = Gauge::new(Duration::from_millis(60));
    let one_lane = harness(
        settings(lane(3), 0),
        gauge_clients(HashMap::from([("openai", Arc::clone(&gauge))])),
    );
    // dall-e-3 makes one image per call: ten jobs.
    let outcomes = run(
        &one_lane.engine,
        request("openai/dall-e-3", "limits", &[("n", "10")]),
    )
    .await;
    assert_eq!(outcomes.len(), 10);
    assert!(outcomes.iter().all(|o| o.state == JobState::Succeeded));
    assert_eq!(gauge.calls.load(Ordering::SeqCst), 10);
    assert_eq!(gauge.most.load(Ordering::SeqCst), 3, "three at a time");

    // One gauge behind two providers of three slots each, under a global
    // limit of four: it sees at most four at once.
    let both = Gauge::new(Duration::from_millis(60));
    let mut limited = settings(lane(3), 0);
    limited.max_concurrent = 4;
    let harness = harness(
        limited,
        gauge_clients(HashMap::from([
            ("sandbox", Arc::clone(&both)),
            ("openai", Arc::clone(&both)),
        ])),
    );
    let mut handles = Vec::new();
    for k in 0..8 {
        for (model, params) in [
            ("sandbox/procedural", vec![("latency_ms", "0")]),
            ("openai/dall-e-3", vec![]),
        ] {
            let req = request(model, &format!("limits {k}"), &params);
            let cost = estimate(&req);
            handles.extend(
                harness
                    .engine
                    .submit(req, cost, None, None)
                    .await
                    .unwrap()
                    .jobs,
            );
        }
    }
    for handle in handles {
        assert_eq!(handle.await.unwrap().state, JobState::Succeeded);
    }
    assert_eq!(both.calls.load(Ordering::SeqCst), 16);
    assert_eq!(both.most.load(Ordering::SeqCst), 4, "the global limit");
    assert_consistent(&harness);
}

#[tokio::test]
async fn the_circuit_opens_after_five_failures_and_fails_fast() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_json(
            json!({"error": {"message": "Service Unavailable", "type": "server_error", "param": null, "code": null}}),
        ))
        .mount(&server)
        .await;
    let harness = harness(
        settings(lane(1), 0),
        openai_clients(
            format!("{}/v1", server.uri()),
            fast_limits(1 << 20, Duration::from_secs(1)),
        ),
    );
    let mut classes = Vec::new();
    for k in 0..8 {
        let outcomes = run(
            &harness.engine,
            request("openai/gpt-image-1", &format!("breaker {k}"), &[]),
        )
        .await;
        let error = outcomes[0].error.clone().unwrap();
        if k == 7 {
            assert!(
                error.message.contains("openai failed 5 times in a row")
                    && error.message.contains("Service Unavailable"),
                "{}",
                error.message
            );
        }
        classes.push(error.class);
    }
    assert_eq!(&classes[..5], &[ErrorClass::Transient; 5]);
    assert_eq!(&classes[5..], &[ErrorClass::CircuitOpen; 3]);
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
    assert_consistent(&harness);
}

/// Records when each request arrived, and answers 429 (with `Retry-After`)
/// to the first.
struct FirstRefused {
    arrivals: Mutex<Vec<Instant>>,
    retry_after: &'static str,
}

impl Respond for FirstRefused {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut arrivals = self.arrivals.lock().unwrap();
        arrivals.push(Instant::now());
        if arrivals.len() == 1 {
            ResponseTemplate::new(429)
                .insert_header("retry-after", self.retry_after)
                .set_body_json(json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": null}}))
        } else {
            image_answer()
        }
    }
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let server = MockServer::start().await;
    let responder = Arc::new(FirstRefused {
        arrivals: Mutex::new(Vec::new()),
        retry_after: "1",
    });
    Mock::given(method("POST"))
        .respond_with(SharedResponder(Arc::clone(&responder)))
        .mount(&server)
        .await;
    let harness = harness(
        settings(lane(4), 2),
        openai_clients(
            format!("{}/v1", server.uri()),
            fast_limits(1 << 20, Duration::from_secs(2)),
        ),
    );
    let first = run(
        &harness.engine,
        request("openai/gpt-image-1", "held 0", &[]),
    )
    .await;
    assert_eq!(first[0].state, JobState::Succeeded);
    let arrivals = responder.arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 2);
    assert!(arrivals[1] - arrivals[0] >= Duration::from_millis(950));
    assert_consistent(&harness);
}

struct SharedResponder<T>(Arc<T>);

impl<T: Respond> Respond for SharedResponder<T> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request)
    }
}

#[tokio::test]
async fn jobs_queued_behind_a_429_wait_for_the_hold() {
    let server = MockServer::start().await;
    let responder = Arc::new(FirstRefused {
        arrivals: Mutex::new(Vec::new()),
        retry_after: "2",
    });
    Mock::given(method("POST"))
        .respond_with(SharedResponder(Arc::clone(&responder)))
        .mount(&server)
        .await;
    let harness = harness(
        settings(lane(4), 2),
        openai_clients(
            format!("{}/v1", server.uri()),
            fast_limits(1 << 20, Duration::from_secs(2)),
        ),
    );
    let req = request("openai/gpt-image-1", "held", &[]);
    let cost = estimate(&req);
    let first = harness.engine.submit(req, cost, None, None).await.unwrap();
    // Let the first call meet its 429.
    while responder.arrivals.lock().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut handles = first.jobs;
    for k in 0..3 {
        let req = request("openai/gpt-image-1", &format!("behind {k}"), &[]);
        let cost = estimate(&req);
        handles.extend(
            harness
                .engine
                .submit(req, cost, None, None)
                .await
                .unwrap()
                .jobs,
        );
    }
    for handle in handles {
        assert_eq!(handle.await.unwrap().state, JobState::Succeeded);
    }
    let arrivals = responder.arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 5);
    for later in &arrivals[1..] {
        assert!(
            *later - arrivals[0] >= Duration::from_millis(1900),
            "a request arrived {:?} into a 2 s hold",
            *later - arrivals[0]
        );
    }
}

/// Allows `limit` requests in any sliding `window`, answering 429 beyond.
struct SlidingWindow {
    limit: usize,
    window: Duration,
    arrivals: Mutex<Vec<Instant>>,
    refused: AtomicUsize,
}

impl Respond for SlidingWindow {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let now = Instant::now();
        let mut arrivals = self.arrivals.lock().unwrap();
        let recent = arrivals
            .iter()
            .filter(|t| now.duration_since(**t) < self.window)
            .count();
        if recent >= self.limit {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return ResponseTemplate::new(429).set_body_json(
                json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": null}}),
            );
        }
        arrivals.push(now);
        image_answer()
    }
}

#[tokio::test]
async fn a_paced_batch_stays_under_a_sliding_window_limit() {
    // 30 requests in any 3 s is 600 a minute; 45 jobs, 8 at a time. The
    // window is scaled down from a minute so the test is short, which makes
    // it 20 times more sensitive to scheduling jitter: one request landing
    // 30 ms late can meet a 429 here. `cargo bench --bench pacing` measures
    // the real thing (60 a minute, 100 jobs).
    let server = MockServer::start().await;
    let window = Arc::new(SlidingWindow {
        limit: 30,
        window: Duration::from_secs(3),
        arrivals: Mutex::new(Vec::new()),
        refused: AtomicUsize::new(0),
    });
    Mock::given(method("POST"))
        .respond_with(SharedResponder(Arc::clone(&window)))
        .mount(&server)
        .await;
    let paced = LaneSettings {
        max_concurrent: 8,
        rate: Rate {
            requests_per_minute: Some(600),
            images_per_minute: None,
        },
        rate_limit_pause: None,
    };
    let harness = harness(
        settings(paced, 3),
        openai_clients(
            format!("{}/v1", server.uri()),
            fast_limits(1 << 20, Duration::from_secs(2)),
        ),
    );
    let mut handles = Vec::new();
    for k in 0..45 {
        let req = request("openai/gpt-image-1", &format!("paced {k}"), &[]);
        let cost = estimate(&req);
        handles.extend(
            harness
                .engine
                .submit(req, cost, None, None)
                .await
                .unwrap()
                .jobs,
        );
    }
    for handle in handles {
        assert_eq!(handle.await.unwrap().state, JobState::Succeeded);
    }
    let refused = window.refused.load(Ordering::SeqCst);
    assert!(refused <= 1, "{refused} requests met a 429");
    assert_eq!(window.arrivals.lock().unwrap().len(), 45);
}

async fn wait_for_event(
    events: &mut UnboundedReceiver<JobEvent>,
    wanted: impl Fn(&JobEvent) -> bool,
) {
    tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(event) = events.recv().await {
            if wanted(&event) {
                return;
            }
        }
    })
    .await
    .expect("the event came");
}

#[tokio::test]
async fn cancel_stops_queued_jobs_before_they_leave_and_running_ones_at_the_provider() {
    let mut gauge = Gauge::new(Duration::from_secs(30));
    Arc::get_mut(&mut gauge).unwrap().remote_ids = true;
    let mut harness = harness(
        settings(lane(1), 0),
        gauge_clients(HashMap::from([("openai", Arc::clone(&gauge))])),
    );
    let req = request("openai/dall-e-3", "cancel me", &[("n", "3")]);
    let cost = estimate(&req);
    let submitted = harness.engine.submit(req, cost, None, None).await.unwrap();
    let running_job = submitted.queued.jobs[0].0;
    wait_for_event(
        &mut harness.events,
        |e| matches!(e, JobEvent::Started { job, .. } if *job == running_job),
    )
    .await;
    // The remote id reaches the store through the progress channel.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        harness
            .engine
            .cancel_requests(&[submitted.queued.request_id]),
        3
    );
    let mut outcomes = Vec::new();
    for handle in submitted.jobs {
        outcomes.push(handle.await.unwrap());
    }
    assert!(outcomes.iter().all(|o| o.state == JobState::Canceled));
    assert_eq!(*gauge.cancels.lock().unwrap(), vec!["remote-0".to_string()]);
    assert_eq!(
        gauge.calls.load(Ordering::SeqCst),
        1,
        "the others never left"
    );
    // The running one may have been billed; the queued ones have no ledger row.
    assert_eq!(ledger_actual(&harness, running_job), Ledger::Unknown);
    for (job, _) in &submitted.queued.jobs[1..] {
        assert_eq!(ledger_actual(&harness, *job), Ledger::NoRow);
        assert_eq!(job_state(&harness, *job).0, JobState::Canceled);
    }
    assert!(
        outcomes[0]
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("asked openai to stop remote-0")
    );
    assert_eq!(harness.engine.running(), 0);
    assert_consistent(&harness);
}

#[tokio::test]
async fn a_replicate_job_canceled_while_polling_is_canceled_at_replicate() {
    let server = MockServer::start().await;
    let id = "cancelme0000000000000000aa";
    let prediction = |status: &str| {
        json!({"id": id, "status": status, "input": {}, "output": null, "error": null, "logs": "",
               "created_at": "2026-11-21T10:00:00Z", "urls": {"get": "x", "cancel": "y"}})
    };
    Mock::given(method("POST"))
        .and(path(
            "/v1/models/black-forest-labs/flux-schnell/predictions",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(prediction("starting")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/predictions/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(prediction("processing")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/predictions/{id}/cancel")))
        .respond_with(ResponseTemplate::new(200).set_body_json(prediction("canceled")))
        .mount(&server)
        .await;
    let base = format!("{}/v1", server.uri());
    let limits = Limits {
        poll_first: Duration::from_millis(20),
        poll_max: Duration::from_millis(50),
        ..fast_limits(1 << 20, Duration::from_secs(2))
    };
    let mut harness = harness(
        settings(lane(2), 0),
        Box::new(move |_| {
            Ok(Arc::new(Replicate::new(
                Connection::new(&base, ApiKey::new("r8_test"), limits).unwrap(),
            )) as Arc<dyn Provider>)
        }),
    );
    let req = request(
        "replicate/black-forest-labs/flux-schnell",
        "a slow one",
        &[],
    );
    let cost = estimate(&req);
    let submitted = harness.engine.submit(req, cost, None, None).await.unwrap();
    wait_for_event(&mut harness.events, |e| {
        matches!(e, JobEvent::Status { .. })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let job = submitted.queued.jobs[0].0;
    assert_eq!(
        harness
            .engine
            .store()
            .lock()
            .job(job)
            .unwrap()
            .unwrap()
            .remote_id
            .as_deref(),
        Some(id)
    );
    assert!(harness.engine.cancel_job(job));
    let outcome = submitted.jobs.into_iter().next().unwrap().await.unwrap();
    assert_eq!(outcome.state, JobState::Canceled);
    let cancels = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().ends_with("/cancel"))
        .count();
    assert_eq!(cancels, 1);
    assert_consistent(&harness);
}

#[tokio::test]
async fn start_up_resumes_what_it_can_interrupts_the_rest_and_leaves_live_owners_alone() {
    let server = MockServer::start().await;
    let id = "resumeme000000000000000aaa";
    let image = png(8, 8, [1, 2, 3, 255]);
    Mock::given(method("GET"))
        .and(path(format!("/v1/predictions/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": id, "status": "succeeded", "input": {}, "error": null, "logs": "",
            "output": [format!("{}/files/out.png", server.uri())],
            "metrics": {"predict_time": 1.5},
            "created_at": "2026-11-21T10:00:00Z", "urls": {"get": "x", "cancel": "y"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/out.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(image.clone(), "image/png"))
        .mount(&server)
        .await;
    let base = format!("{}/v1", server.uri());
    let gauge = Gauge::new(Duration::ZERO);
    let fallback = Arc::clone(&gauge);
    let clients: ClientSource = Box::new(move |name| match name {
        "replicate" => Ok(Arc::new(Replicate::new(
            Connection::new(
                &base,
                ApiKey::new("r8_test"),
                fast_limits(1 << 20, Duration::from_secs(2)),
            )
            .unwrap(),
        )) as Arc<dyn Provider>),
        _ => Ok(Arc::clone(&fallback) as Arc<dyn Provider>),
    });
    let mut harness = harness(settings(lane(2), 0), clients);
    let locks = harness.dir.path().join("locks");
    let live = Owner::claim(&locks).unwrap();

    // What a killed tintype left: a Replicate prediction out, an OpenAI call
    // out, a job never sent; and a live tintype's job in flight.
    let left = |model: &str, owner: &str, state: &str, remote: Option<&str>| {
        let req = request(model, &format!("left {state} {owner}"), &[]);
        let cost = estimate(&req);
        let store = harness.engine.store().clone();
        let mut store = store.lock();
        let queued = queue(&mut store, &req, &cost, None, None, owner, &Stamp::now()).unwrap();
        let job = queued.jobs[0].0;
        if state != "queued" {
            store
                .submit_job(job, cost.micros, &cost.rule, &Stamp::now())
                .unwrap();
        }
        if let Some(remote) = remote {
            store.set_remote_id(job, remote).unwrap();
        }
        job
    };
    let prediction = left(
        "replicate/black-forest-labs/flux-schnell",
        "4242-dead",
        "submitted",
        Some(id),
    );
    let openai = left("openai/gpt-image-1", "4242-dead", "submitted", None);
    let never_sent = left("openai/gpt-image-1", "4242-dead", "queued", None);
    let theirs = left("openai/gpt-image-1", live.token(), "submitted", None);

    let catalog = Catalog::embedded().unwrap();
    let recovered = harness.engine.recover(&catalog).await.unwrap();
    assert_eq!(recovered.len(), 3);
    let mut resumed = None;
    for recovery in recovered {
        match recovery {
            Recovery::Resumed {
                job,
                remote_id,
                handle,
            } => {
                assert_eq!((job, remote_id.as_str()), (prediction, id));
                resumed = Some(handle.await.unwrap());
            }
            Recovery::Interrupted { job, message } => {
                if job == openai {
                    assert!(message.contains("may have been charged"), "{message}");
                } else {
                    assert_eq!(job, never_sent);
                    assert!(message.contains("nothing was charged"), "{message}");
                }
            }
        }
    }
    let resumed = resumed.expect("the prediction was resumed");
    assert_eq!(resumed.state, JobState::Succeeded, "{:?}", resumed.error);
    assert!(!std::fs::read(&resumed.images[0].path).unwrap().is_empty());
    assert_eq!(job_state(&harness, openai).0, JobState::Interrupted);
    assert_eq!(
        ledger_actual(&harness, openai),
        Ledger::Unknown,
        "estimate kept, actual unknown"
    );
    assert_eq!(job_state(&harness, never_sent).0, JobState::Interrupted);
    assert_eq!(
        job_state(&harness, theirs).0,
        JobState::Submitted,
        "a live owner's job"
    );
    assert!(
        gauge.calls.load(Ordering::SeqCst) == 0,
        "nothing was re-sent"
    );
    // Its events said so.
    let mut interrupted = 0;
    while let Ok(event) = harness.events.try_recv() {
        if matches!(event, JobEvent::Interrupted { .. }) {
            interrupted += 1;
        }
    }
    assert_eq!(interrupted, 2);
    drop(live);
    // Now the other tintype is gone too.
    let recovered = harness.engine.recover(&catalog).await.unwrap();
    assert_eq!(recovered.len(), 1);
    assert_consistent(&harness);
}

#[tokio::test]
async fn identical_requests_are_offered_until_their_images_change() {
    let gauge = Gauge::new(Duration::ZERO);
    let harness = harness(
        settings(lane(2), 0),
        gauge_clients(HashMap::from([("sandbox", Arc::clone(&gauge))])),
    );
    let ask = |prompt: &str, seed: &str| {
        request(
            "sandbox/procedural",
            prompt,
            &[("n", "2"), ("seed", seed), ("latency_ms", "0")],
        )
    };
    assert!(
        cache::identical(harness.engine.store(), &ask("a red kite", "7"))
            .await
            .unwrap()
            .is_none()
    );
    let outcomes = run(&harness.engine, ask("a red kite", "7")).await;
    let earlier = cache::identical(harness.engine.store(), &ask("a   red kite ", "7"))
        .await
        .unwrap()
        .expect("the same request, spaced differently");
    assert_eq!(earlier.images.len(), 2);
    assert_eq!(
        earlier.images[0].path,
        outcomes[0].images[0].path.display().to_string()
    );
    assert!(
        cache::identical(harness.engine.store(), &ask("a red kite", "8"))
            .await
            .unwrap()
            .is_none(),
        "another seed is another request"
    );
    std::fs::write(&outcomes[0].images[1].path, b"edited").unwrap();
    assert!(
        cache::identical(harness.engine.store(), &ask("a red kite", "7"))
            .await
            .unwrap()
            .is_none(),
        "a changed image is not offered"
    );
}

#[tokio::test]
async fn an_image_unlike_the_one_asked_for_is_kept_and_said() {
    // The gauge always answers with a 4x4 PNG.
    let gauge = Gauge::new(Duration::ZERO);
    let mut harness = harness(
        settings(lane(1), 0),
        gauge_clients(HashMap::from([("sandbox", Arc::clone(&gauge))])),
    );
    let outcomes = run(
        &harness.engine,
        request(
            "sandbox/procedural",
            "a wrong size",
            &[
                ("size", "64x48"),
                ("output_format", "webp"),
                ("latency_ms", "0"),
            ],
        ),
    )
    .await;
    assert_eq!(outcomes[0].state, JobState::Succeeded);
    let mut said = Vec::new();
    while let Ok(event) = harness.events.try_recv() {
        if let JobEvent::Status { text, .. } = event {
            said.push(text);
        }
    }
    assert!(
        said.contains(&"asked for 64x48, the provider made 4x4".to_string()),
        "{said:?}"
    );
    assert!(
        said.contains(&"asked for webp, the provider sent png".to_string()),
        "{said:?}"
    );
}
