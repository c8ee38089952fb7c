//! Fidelity to the providers' official specs: every model and operation of
//! `OpenAI`, Replicate, Stability and Gemini in the embedded catalog, with every
//! listed parameter value, sent by the real clients to Stoplight Prism serving
//! the provider's own `OpenAPI` spec (`../shared/tools/prism-up.sh`). Prism
//! rejects a request that breaks the schema; none may be rejected.
//!
//! Only the requests are checked. Prism answers with the specs' examples, not
//! real images, so a client that cannot decode an answer (`bad_response`), or
//! a Replicate prediction that never leaves `starting` (canceled at the
//! deadline), is expected and fine.
//!
//! Each client talks to Prism through a recording pass-through (a local mock
//! server that forwards every request unchanged and returns Prism's answer
//! unchanged). That way every HTTP request a call makes is checked, the
//! create, the polls and the cancel alike, and a rejection can be reported
//! with the exact request and Prism's reasons (the `validation` array of its
//! problem+json body, or its `sl-violations` header).
//!
//! Left out: remove.bg, whose API has no machine-readable spec in
//! `../shared/specs`, and the sandbox, which makes no HTTP requests.
//!
//! Run with `scripts/spec-fidelity`, which starts and stops the mocks. Base
//! URLs: `TINTYPE_PRISM_OPENAI` (default `http://127.0.0.1:4010/v1`),
//! `TINTYPE_PRISM_REPLICATE` (`:4011/v1`), `TINTYPE_PRISM_STABILITY`
//! (`:4012`), `TINTYPE_PRISM_GEMINI` (`:4013/v1beta`). `TINTYPE_SHARED`
//! (default `../shared`) locates two more checks: Prism's logs
//! (`tools/prism/run/<provider>.log`), where a "did not pass the validation
//! rules" line logged during the run fails the test even if the answer
//! somehow looked fine, and Stability's spec, for the `accept` values that
//! Prism does not check.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use image::ImageFormat;
use serde_json::Value;
use tintype::catalog::spec::{Condition, Operation, ParamType};
use tintype::catalog::{Catalog, Draft, InputImage, Model, ParamValue, Params, input};
use tintype::config::ApiKey;
use tintype::providers::gemini::Gemini;
use tintype::providers::http::{Connection, Limits};
use tintype::providers::openai::OpenAi;
use tintype::providers::replicate::Replicate;
use tintype::providers::stability::Stability;
use tintype::providers::{ErrorClass, Provider};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use common::{encoded_image, multipart_parts, png, run_call, write_input_image};

#[tokio::test]
#[ignore = "needs the Prism mocks: scripts/spec-fidelity"]
async fn openai_requests_pass_its_spec() {
    check_provider("openai").await;
}

#[tokio::test]
#[ignore = "needs the Prism mocks: scripts/spec-fidelity"]
async fn replicate_requests_pass_its_spec() {
    check_provider("replicate").await;
}

#[tokio::test]
#[ignore = "needs the Prism mocks: scripts/spec-fidelity"]
async fn stability_requests_pass_its_spec() {
    check_provider("stability").await;
}

#[tokio::test]
#[ignore = "needs the Prism mocks: scripts/spec-fidelity"]
async fn gemini_requests_pass_its_spec() {
    check_provider("gemini").await;
}

// ---------------------------------------------------------------------------
// One provider's run

/// Where the provider's Prism mock listens: the API root its client uses.
fn prism_base(provider: &str) -> String {
    let (variable, default) = match provider {
        "openai" => ("TINTYPE_PRISM_OPENAI", "http://127.0.0.1:4010/v1"),
        "replicate" => ("TINTYPE_PRISM_REPLICATE", "http://127.0.0.1:4011/v1"),
        "stability" => ("TINTYPE_PRISM_STABILITY", "http://127.0.0.1:4012"),
        "gemini" => ("TINTYPE_PRISM_GEMINI", "http://127.0.0.1:4013/v1beta"),
        other => panic!("no Prism mock for {other}"),
    };
    std::env::var(variable)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
        .trim_end_matches('/')
        .to_string()
}

/// Short waits: Prism answers at once, and a Replicate prediction it serves
/// stays `starting` for ever, so it is given up (and canceled) quickly.
fn limits() -> Limits {
    Limits {
        request_timeout: Duration::from_secs(30),
        poll_first: Duration::from_millis(5),
        poll_growth_tenths: 10,
        poll_max: Duration::from_millis(5),
        poll_deadline: Duration::from_millis(40),
        stability_poll: Duration::from_millis(1),
        ..Limits::default()
    }
}

fn client(provider: &str, base_url: &str, prefer_wait: bool) -> Box<dyn Provider> {
    let conn = Connection::new(
        base_url,
        ApiKey::new("sk-spec-fidelity-0123456789"),
        limits(),
    )
    .unwrap();
    match provider {
        "openai" => Box::new(OpenAi::new(conn)),
        "replicate" if prefer_wait => Box::new(Replicate::with_prefer_wait(conn, 60)),
        "replicate" => Box::new(Replicate::new(conn)),
        "stability" => Box::new(Stability::new(conn)),
        "gemini" => Box::new(Gemini::new(conn)),
        other => panic!("no client for {other}"),
    }
}

async fn check_provider(provider: &str) {
    let started = Instant::now();
    let upstream = prism_base(provider);
    let (origin, base_path) = split_origin(&upstream);
    ensure_listening(provider, &origin);
    let log = PrismLog::open(provider, &origin);
    let accepts = AcceptRules::load(provider);

    let recorder = Recorder::new(origin);
    let exchanges = recorder.exchanges.clone();
    let proxy = MockServer::start().await;
    Mock::given(any())
        .respond_with(recorder)
        .mount(&proxy)
        .await;
    let base_url = format!("{}{base_path}", proxy.uri());
    let log = self_check(provider, &base_url, &exchanges, log).await;
    let self_checks = exchanges.lock().unwrap().len();

    let dir = tempfile::tempdir().unwrap();
    let images = Images::write(dir.path());
    let catalog = Catalog::embedded().unwrap();
    let mut failures = Vec::new();
    let mut calls = 0;
    for model in catalog.models().filter(|m| m.provider == provider) {
        for (op_name, op) in &model.operations {
            for case in cases(&catalog, model, op_name, op, &images, &mut failures) {
                calls += 1;
                let client = client(provider, &base_url, case.prefer_wait);
                let before = exchanges.lock().unwrap().len();
                let request = case.request;
                let n = request.calls[0];
                let (result, _) = run_call(client.as_ref(), &request, n, request.seed()).await;
                let sent: Vec<Exchange> = exchanges.lock().unwrap()[before..].to_vec();
                let mut problems: Vec<String> =
                    sent.iter().filter_map(Exchange::rejection).collect();
                if let Some(rules) = &accepts {
                    problems.extend(sent.iter().filter_map(|e| rules.violation(e)));
                }
                if sent.is_empty() {
                    problems.push("the client sent no request".into());
                }
                if let Err(error) = &result
                    && matches!(
                        error.class,
                        ErrorClass::InvalidRequest | ErrorClass::Authentication
                    )
                {
                    problems.push(format!(
                        "the client reported {} (status {:?}): {}",
                        error.class, error.status, error.message
                    ));
                }
                if !problems.is_empty() {
                    failures.push(format!(
                        "{provider} {} {op_name} [{}]:\n    {}",
                        model.id,
                        case.label,
                        problems.join("\n    ")
                    ));
                }
            }
        }
    }
    let checked = exchanges.lock().unwrap().len() - self_checks;
    for (method, template) in follow_ups(provider) {
        let seen = exchanges.lock().unwrap()[self_checks..]
            .iter()
            .any(|e| e.method == *method && fits(&format!("{base_path}{template}"), &e.path));
        if !seen {
            failures.push(format!(
                "{provider}: no {method} {template} was sent, so it went unchecked"
            ));
        }
    }
    if let Some(log) = log {
        let logged = log.rejections();
        if failures.is_empty() {
            failures = logged;
        } else if !logged.is_empty() {
            failures.push(format!(
                "(Prism's log {} lists {} rejected requests too)",
                log.path.display(),
                logged.len()
            ));
        }
    }
    eprintln!(
        "spec fidelity: {provider}: {checked} HTTP requests from {calls} calls checked against its spec in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        calls > 0 && checked > 0,
        "no {provider} request was checked: the catalog has no {provider} operation to send"
    );
    assert!(
        failures.is_empty(),
        "{} of {provider}'s requests broke its spec (Prism at {upstream}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Sends one request that breaks the spec on purpose, and checks that its
/// rejection is seen, in Prism's answer and in its log: a mock that stopped
/// validating, or a change in how Prism reports violations, must not let
/// every real request pass unexamined. Returns the log, read from after the
/// deliberate rejection.
async fn self_check(
    provider: &str,
    base_url: &str,
    exchanges: &Mutex<Vec<Exchange>>,
    log: Option<PrismLog>,
) -> Option<PrismLog> {
    let client = reqwest::Client::new();
    let cat = serde_json::json!([{ "parts": [{ "text": "a cat" }] }]);
    let broken = match provider {
        "openai" => client
            .post(format!("{base_url}/images/generations"))
            .bearer_auth("sk-test")
            .json(&serde_json::json!({ "prompt": "a cat", "n": "two" })),
        "replicate" => client
            .post(format!(
                "{base_url}/models/black-forest-labs/flux-schnell/predictions"
            ))
            .bearer_auth("r8_test")
            .json(&serde_json::json!({ "prompt": "a cat" })),
        "stability" => client
            .post(format!("{base_url}/v2beta/stable-image/generate/core"))
            .bearer_auth("sk-test")
            .multipart(
                reqwest::multipart::Form::new()
                    .text("prompt", "a cat")
                    .text("aspect_ratio", "4:3"),
            ),
        "gemini" => client
            .post(format!(
                "{base_url}/models/gemini-2.5-flash-image:generateContent"
            ))
            .header("x-goog-api-key", "test")
            .json(&serde_json::json!({
                "contents": cat,
                "generationConfig": { "responseModalities": ["PICTURE"] },
            })),
        other => panic!("no self-check for {other}"),
    };
    broken.send().await.expect("the pass-through answers");
    let seen = exchanges.lock().unwrap().last().cloned().unwrap();
    assert!(
        !seen.violations.is_empty() && seen.rejection().is_some(),
        "a request that breaks {provider}'s spec was not seen as rejected: {seen:?}"
    );
    let log = log?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while log.rejections().is_empty() {
        assert!(
            Instant::now() < deadline,
            "Prism's log {} shows no rejection of a request that breaks {provider}'s spec",
            log.path.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    PrismLog::open(provider, &log.origin)
}

/// `http://host:port` and the path after it (`/v1`).
fn split_origin(url: &str) -> (String, String) {
    let parsed = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    let origin = parsed.origin().ascii_serialization();
    let path = parsed.path().trim_end_matches('/').to_string();
    (origin, path)
}

/// Fails at once, and plainly, when nothing listens where Prism should.
fn ensure_listening(provider: &str, origin: &str) {
    let address = origin.trim_start_matches("http://");
    let reachable = address
        .parse()
        .ok()
        .and_then(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(2)).ok())
        .is_some();
    assert!(
        reachable,
        "nothing answers at {origin}, where {provider}'s Prism mock should be; \
         scripts/spec-fidelity starts the mocks and runs these tests"
    );
}

// ---------------------------------------------------------------------------
// What to send

/// The input images: small enough for every operation's limits (64x64 is
/// Stability's smallest side and pixel count, and square for DALL·E 2).
struct Images {
    png: InputImage,
    jpeg: InputImage,
    webp: InputImage,
    mask: InputImage,
}

impl Images {
    fn write(dir: &Path) -> Images {
        let probe = |name: &str, bytes: Vec<u8>| {
            let path: PathBuf = write_input_image(dir, name, &bytes);
            input::probe(&path).unwrap()
        };
        Images {
            png: probe("input.png", png(64, 64, [200, 120, 40, 255])),
            jpeg: probe(
                "input.jpg",
                encoded_image(ImageFormat::Jpeg, 64, 64, [40, 120, 200]),
            ),
            webp: probe(
                "input.webp",
                encoded_image(ImageFormat::WebP, 64, 64, [120, 200, 40]),
            ),
            mask: probe("mask.png", png(64, 64, [0, 0, 0, 0])),
        }
    }

    fn of(&self, format: &str) -> Option<&InputImage> {
        match format {
            "png" => Some(&self.png),
            "jpeg" => Some(&self.jpeg),
            "webp" => Some(&self.webp),
            _ => None,
        }
    }
}

struct Case {
    label: String,
    request: tintype::catalog::ValidRequest,
    prefer_wait: bool,
}

/// The calls that exercise one operation: its least valid request, then one
/// per non-default value of each parameter (every listed value, a custom
/// size where any size is taken, the ends of numeric ranges, the other
/// boolean, some text), the optional prompt, several images, each input
/// format, the mask and the largest count per call.
fn cases(
    catalog: &Catalog,
    model: &Model,
    op_name: &str,
    op: &Operation,
    images: &Images,
    failures: &mut Vec<String>,
) -> Vec<Case> {
    let base = base_draft(model, op_name, op, images);
    let mut drafts: Vec<(String, Draft)> = vec![("defaults".into(), base.clone())];
    for (name, spec) in &op.params {
        for value in variant_values(catalog, &base, name, spec) {
            let mut draft = base.clone();
            draft
                .params
                .insert(name.clone(), ParamValue::text(value.to_string()));
            obey_rules(op, &mut draft.params, name);
            drafts.push((format!("{name}={value}"), draft));
        }
    }
    if op.n.max_per_request > 1 {
        let mut draft = base.clone();
        let n = op.n.max_per_request;
        draft.params.insert("n".into(), ParamValue::Int(n.into()));
        drafts.push((format!("n={n}"), draft));
    }
    if op.prompt.as_ref().is_some_and(|p| !p.required) {
        let mut draft = base.clone();
        draft.prompt = Some("a lighthouse at dusk".into());
        drafts.push(("with a prompt".into(), draft));
    }
    if let Some(rules) = &op.inputs {
        if rules.max >= 2 {
            let mut draft = base.clone();
            draft.inputs = vec![images.png.clone(), images.png.clone()];
            drafts.push(("2 input images".into(), draft));
        }
        for format in rules.formats.iter().filter(|f| *f != "png") {
            if let Some(image) = images.of(format) {
                let mut draft = base.clone();
                draft.inputs = vec![image.clone()];
                drafts.push((format!("a {format} input"), draft));
            }
        }
    }
    if op.mask.is_some() {
        let mut draft = base.clone();
        draft.mask = Some(images.mask.clone());
        drafts.push(("with a mask".into(), draft));
    }

    let mut cases = Vec::new();
    for (label, draft) in drafts {
        match catalog.validate(&draft) {
            Ok(request) => cases.push(Case {
                label: describe(&label, &draft),
                request,
                prefer_wait: false,
            }),
            Err(errors) => failures.push(format!(
                "{} {op_name} [{label}]: the test built a request the catalog refuses: {errors:?}",
                model.id
            )),
        }
    }
    // Replicate's `Prefer: wait` header is pattern-checked by its spec.
    if model.provider == "replicate"
        && let Some(first) = cases.first()
    {
        cases.push(Case {
            label: format!("{} with Prefer: wait=60", first.label),
            request: first.request.clone(),
            prefer_wait: true,
        });
    }
    cases
}

/// The least a request needs: the prompt when required, required parameters,
/// one non-zero `at_least_one` value and the fewest input images (PNG).
fn base_draft(model: &Model, op_name: &str, op: &Operation, images: &Images) -> Draft {
    let mut draft = Draft {
        model: model.id.clone(),
        operation: Some(op_name.to_string()),
        ..Draft::default()
    };
    if op.prompt.as_ref().is_some_and(|p| p.required) {
        draft.prompt = Some("a lighthouse at dusk".into());
    }
    for (name, spec) in &op.params {
        if spec.required && spec.default.is_none() {
            draft
                .params
                .insert(name.clone(), ParamValue::text("a red door"));
        }
    }
    if let Some(first) = op.at_least_one.first() {
        draft.params.insert(first.clone(), ParamValue::text("64"));
    }
    let needed = op.inputs.as_ref().map_or(0, |i| i.min);
    draft.inputs = (0..needed).map(|_| images.png.clone()).collect();
    draft
}

/// The values of `name` other than its default that a request should carry.
fn variant_values(
    catalog: &Catalog,
    base: &Draft,
    name: &str,
    spec: &tintype::catalog::ParamSpec,
) -> Vec<ParamValue> {
    let is_default = |v: &ParamValue| spec.default.as_ref().is_some_and(|d| d.matches(v));
    let mut values: Vec<ParamValue> = match spec.kind {
        ParamType::Enum | ParamType::Size => spec.values.clone(),
        ParamType::Int | ParamType::Float => [spec.min, spec.max]
            .into_iter()
            .flatten()
            .map(|bound| {
                if spec.kind == ParamType::Int {
                    ParamValue::Int(bound as i64)
                } else {
                    ParamValue::Float(bound)
                }
            })
            .collect(),
        ParamType::Bool => vec![ParamValue::Bool(true), ParamValue::Bool(false)],
        ParamType::Text => vec![ParamValue::text("blurry, low contrast")],
    };
    if spec.kind == ParamType::Size && spec.custom.is_some() {
        // Sizes off the list, where the model takes any size within rules:
        // the largest that fits and an ordinary one.
        let custom: Vec<ParamValue> = ["3840x2160", "2048x1152", "1280x720", "1024x768"]
            .into_iter()
            .map(ParamValue::text)
            .filter(|size| {
                !spec.values.iter().any(|v| v.matches(size)) && {
                    let mut draft = base.clone();
                    draft.params.insert(name.to_string(), size.clone());
                    catalog.validate(&draft).is_ok()
                }
            })
            .collect();
        values.extend(custom.first().cloned());
        values.extend(custom.last().cloned().filter(|_| custom.len() > 1));
    }
    values.retain(|v| !is_default(v));
    // A value already in the least request is no variant (`at_least_one`).
    values.retain(|v| base.params.get(name).is_none_or(|given| !given.matches(v)));
    values
}

/// Makes the catalog's `if ... then ...` rules hold without touching
/// `varied`: the other side of a broken rule is set to its first allowed
/// value, or dropped when it is the condition.
fn obey_rules(op: &Operation, params: &mut Params, varied: &str) {
    for _ in 0..=op.rules.len() {
        let mut changed = false;
        for rule in &op.rules {
            if !holds(op, params, &rule.when) || holds(op, params, &rule.then) {
                continue;
            }
            if rule.then.param != varied
                && let Some(first) = rule.then.one_of.as_ref().and_then(|v| v.first())
            {
                params.insert(rule.then.param.clone(), first.clone());
                changed = true;
            } else if rule.when.param != varied {
                changed |= params.remove(&rule.when.param).is_some();
            }
        }
        if !changed {
            break;
        }
    }
}

fn holds(op: &Operation, params: &Params, condition: &Condition) -> bool {
    let given = params.get(&condition.param);
    if condition.set.is_some_and(|set| set != given.is_some()) {
        return false;
    }
    let Some(allowed) = &condition.one_of else {
        return true;
    };
    let effective = given
        .cloned()
        .or_else(|| op.params.get(&condition.param)?.default.clone());
    effective.is_some_and(|value| allowed.iter().any(|a| a.matches(&value)))
}

/// `size=1024x1536 (prompt, 1 png input, mask; params: ...)` for a failure.
fn describe(label: &str, draft: &Draft) -> String {
    let mut text = label.to_string();
    let params: Vec<String> = draft
        .params
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let _ = write!(
        text,
        "; params: {{{}}}; prompt: {}; inputs: {}",
        params.join(", "),
        if draft.prompt.is_some() { "yes" } else { "no" },
        if draft.inputs.is_empty() {
            "none".to_string()
        } else {
            draft
                .inputs
                .iter()
                .map(|i| i.format.clone())
                .collect::<Vec<_>>()
                .join(" + ")
        }
    );
    if draft.mask.is_some() {
        text.push_str("; mask");
    }
    text
}

// ---------------------------------------------------------------------------
// The recording pass-through

/// One request as it went to Prism, and Prism's answer.
#[derive(Clone, Debug)]
struct Exchange {
    method: String,
    path: String,
    accept: Option<String>,
    request: String,
    status: u16,
    /// Prism's request violations, from its body or its `sl-violations` header.
    violations: Vec<String>,
    body: String,
}

impl Exchange {
    /// Why Prism refused this request, if it did. A 5xx counts too: Prism
    /// then could not say whether the request was valid.
    fn rejection(&self) -> Option<String> {
        if self.violations.is_empty() && self.status < 400 {
            return None;
        }
        let reason = if self.violations.is_empty() {
            self.body.clone()
        } else {
            self.violations.join("; ")
        };
        Some(format!("{} -> {}: {reason}", self.request, self.status))
    }
}

type Job = (Request, mpsc::Sender<Answer>);

struct Answer {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

/// Forwards each request to Prism unchanged and answers with Prism's answer,
/// keeping both. Forwarding happens on a thread of its own, with its own
/// runtime, because a mock server's responder may not block its runtime on
/// async work.
struct Recorder {
    jobs: Mutex<mpsc::Sender<Job>>,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl Recorder {
    fn new(origin: String) -> Recorder {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let client = reqwest::Client::builder().no_proxy().build().unwrap();
            while let Ok((request, reply)) = queue.recv() {
                let answer = runtime.block_on(forward(&client, &origin, &request));
                let _ = reply.send(answer);
            }
        });
        Recorder {
            jobs: Mutex::new(jobs),
            exchanges: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

async fn forward(client: &reqwest::Client, origin: &str, request: &Request) -> Answer {
    let mut url = format!("{origin}{}", request.url.path());
    if let Some(query) = request.url.query() {
        url = format!("{url}?{query}");
    }
    let mut headers = request.headers.clone();
    for hop in ["host", "content-length", "transfer-encoding", "connection"] {
        headers.remove(hop);
    }
    let sent = client
        .request(request.method.clone(), url)
        .headers(headers)
        .body(request.body.clone())
        .timeout(Duration::from_secs(30))
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            return Answer {
                status: 502,
                headers: Vec::new(),
                body: format!("the pass-through could not reach Prism: {error}").into_bytes(),
            };
        }
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec()))
        .collect();
    let body = response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

impl Respond for Recorder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let (reply, answer) = mpsc::channel();
        self.jobs
            .lock()
            .unwrap()
            .send((request.clone(), reply))
            .unwrap();
        let answer = answer.recv().unwrap();
        let header = |name: &str| {
            answer
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        };
        self.exchanges.lock().unwrap().push(Exchange {
            method: request.method.to_string(),
            path: request.url.path().to_string(),
            accept: request
                .headers
                .get("accept")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            request: summarize(request),
            status: answer.status,
            violations: violations(header("sl-violations").as_deref(), &answer.body),
            body: excerpt(&String::from_utf8_lossy(&answer.body), 400),
        });
        let mut template = ResponseTemplate::new(answer.status);
        for (name, value) in &answer.headers {
            let skip = [
                "content-type",
                "content-length",
                "transfer-encoding",
                "connection",
            ];
            if !skip.contains(&name.as_str()) {
                template = template.append_header(name.as_str(), value.as_slice());
            }
        }
        match header("content-type") {
            Some(mime) => template.set_body_raw(answer.body, &mime),
            None => template.set_body_bytes(answer.body),
        }
    }
}

/// Prism's request violations: the `validation` array of a problem+json
/// body, or the `request` entries of the `sl-violations` header (which may
/// also list Prism's own response examples, not our concern).
fn violations(header: Option<&str>, body: &[u8]) -> Vec<String> {
    let from_list = |list: &Value, request_only: bool| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter(|v| !request_only || v["location"][0] == "request")
            .map(|v| {
                let location: Vec<String> = v["location"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|part| {
                        part.as_str()
                            .map_or_else(|| part.to_string(), str::to_string)
                    })
                    .collect();
                format!(
                    "{} ({}): {}",
                    location.join("."),
                    v["severity"].as_str().unwrap_or("?"),
                    v["message"].as_str().unwrap_or("?")
                )
            })
            .collect()
    };
    let mut found = header
        .and_then(|h| serde_json::from_str::<Value>(h).ok())
        .map(|list| from_list(&list, true))
        .unwrap_or_default();
    if let Ok(problem) = serde_json::from_slice::<Value>(body) {
        found.extend(from_list(&problem["validation"], false));
    }
    found
}

/// `POST /v1/images/edits multipart{image[]=<png 1234 bytes>, prompt=...}`.
fn summarize(request: &Request) -> String {
    let head = format!(
        "{} {}{}",
        request.method,
        request.url.path(),
        request
            .url
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default()
    );
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut extra: Vec<String> = ["accept", "prefer"]
        .iter()
        .filter_map(|name| {
            let value = request.headers.get(*name)?.to_str().ok()?;
            Some(format!("{name}: {value}"))
        })
        .collect();
    if content_type.starts_with("multipart/form-data") {
        let fields: Vec<String> = multipart_parts(request)
            .into_iter()
            .map(|part| match part.content_type {
                Some(mime) => format!("{}=<{mime}, {} bytes>", part.name, part.bytes.len()),
                None => format!(
                    "{}={}",
                    part.name,
                    excerpt(&String::from_utf8_lossy(&part.bytes), 60)
                ),
            })
            .collect();
        extra.push(format!("multipart{{{}}}", fields.join(", ")));
    } else if !request.body.is_empty() {
        let body = String::from_utf8_lossy(&request.body);
        extra.push(format!(
            "{content_type} {}",
            excerpt(&shorten_base64(&body), 600)
        ));
    }
    if extra.is_empty() {
        head
    } else {
        format!("{head} [{}]", extra.join("; "))
    }
}

/// Long base64 runs (inline images, data URLs) cut to their start.
fn shorten_base64(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(2000));
    let mut run = 0;
    for c in text.chars() {
        let base64 = c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=';
        run = if base64 { run + 1 } else { 0 };
        if run <= 24 {
            out.push(c);
        } else if run == 25 {
            out.push('…');
        }
    }
    out
}

fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

// ---------------------------------------------------------------------------
// What Prism does not check

/// The `shared/` directory beside the repository, holding the specs and the
/// Prism tools (`TINTYPE_SHARED` overrides).
fn shared_dir() -> PathBuf {
    std::env::var_os("TINTYPE_SHARED")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
            PathBuf::from,
        )
}

/// The `accept` values each Stability operation declares (`AcceptImage`:
/// `image/*` or `application/json`; `AcceptResult`: `*/*` or
/// `application/json`). Prism never checks them, since `OpenAPI` ignores
/// header parameters named Accept, but they are part of Stability's
/// contract. The other providers' specs declare no Accept values.
struct AcceptRules {
    /// Method, path template and the values allowed.
    operations: Vec<(String, String, Vec<String>)>,
}

impl AcceptRules {
    fn load(provider: &str) -> Option<AcceptRules> {
        if provider != "stability" {
            return None;
        }
        let path = shared_dir().join("specs/stability/openapi.v2beta-stable-image.subset.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!(
                "spec fidelity: no {}; the accept headers go unchecked",
                path.display()
            );
            return None;
        };
        let spec: Value = serde_json::from_str(&text).unwrap();
        let resolve = |param: &Value| -> Value {
            match param["$ref"].as_str() {
                Some(pointer) => spec
                    .pointer(pointer.trim_start_matches('#'))
                    .cloned()
                    .unwrap_or_default(),
                None => param.clone(),
            }
        };
        let mut operations = Vec::new();
        for (template, item) in spec["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let allowed: Vec<String> = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(resolve)
                    .filter(|p| p["in"] == "header" && p["name"] == "accept")
                    .flat_map(|p| p["schema"]["enum"].as_array().cloned().unwrap_or_default())
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                operations.push((method.to_ascii_uppercase(), template.clone(), allowed));
            }
        }
        Some(AcceptRules { operations })
    }

    /// Why the `accept` header of `exchange` is not one its operation declares.
    fn violation(&self, exchange: &Exchange) -> Option<String> {
        let (_, _, allowed) = self.operations.iter().find(|(method, template, _)| {
            *method == exchange.method && fits(template, &exchange.path)
        })?;
        let sent = exchange.accept.as_deref()?;
        (!allowed.is_empty() && !allowed.iter().any(|a| a == sent)).then(|| {
            format!(
                "{}: accept {sent} is not a value the spec declares ({})",
                exchange.request,
                allowed.join(" or ")
            )
        })
    }
}

/// Whether `path` is an instance of `template` (`/v2beta/results/{id}`).
fn fits(template: &str, path: &str) -> bool {
    let (template, path): (Vec<&str>, Vec<&str>) =
        (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && !p.is_empty()))
}

/// The requests a client makes after the first, which only happen when the
/// answers lead there: each must have been sent (and checked) at least once.
fn follow_ups(provider: &str) -> &'static [(&'static str, &'static str)] {
    match provider {
        "replicate" => &[
            ("GET", "/predictions/{id}"),
            ("POST", "/predictions/{id}/cancel"),
        ],
        "stability" => &[("GET", "/v2beta/results/{id}")],
        _ => &[],
    }
}

// ---------------------------------------------------------------------------
// Prism's own log

/// The provider's Prism log, read from where it stood when the run began.
struct PrismLog {
    path: PathBuf,
    start: u64,
    origin: String,
}

impl PrismLog {
    /// The log of the mock `prism-up.sh` started for `provider` on `origin`'s
    /// port, if that is the mock in use (a log of some other mock says
    /// nothing about this run).
    fn open(provider: &str, origin: &str) -> Option<PrismLog> {
        let run = shared_dir().join("tools/prism/run");
        let port = origin.rsplit(':').next().unwrap_or_default();
        let started_here = std::fs::read_to_string(run.join("prism.pids"))
            .unwrap_or_default()
            .lines()
            .any(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                fields.first() == Some(&provider) && fields.get(2) == Some(&port)
            });
        let path = run.join(format!("{provider}.log"));
        let start = std::fs::metadata(&path).ok().filter(|_| started_here);
        let Some(meta) = start else {
            eprintln!(
                "spec fidelity: {provider}'s mock was not started by {}/tools/prism-up.sh; \
                 checking Prism's answers without its log",
                shared_dir().display()
            );
            return None;
        };
        Some(PrismLog {
            path,
            start: meta.len(),
            origin: origin.to_string(),
        })
    }

    /// Every request Prism logged as invalid since the run began, with the
    /// reasons it logged after it.
    fn rejections(&self) -> Vec<String> {
        let bytes = std::fs::read(&self.path).unwrap_or_default();
        let start = usize::try_from(self.start)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let text = String::from_utf8_lossy(&bytes[start..]);
        let mut found = Vec::new();
        let mut route = String::new();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if line.contains("[HTTP SERVER]") && line.contains("Request received") {
                route = line.to_string();
            }
            if !line.contains("did not pass the validation rules") {
                continue;
            }
            let mut reasons = Vec::new();
            while let Some(next) = lines.peek() {
                if next.contains("[VALIDATOR]") && next.contains("error") {
                    reasons.push(
                        next.split("error")
                            .nth(1)
                            .unwrap_or(next)
                            .trim()
                            .to_string(),
                    );
                    lines.next();
                } else {
                    break;
                }
            }
            found.push(format!(
                "Prism's log ({}): {} did not pass the validation rules: {}",
                self.path.display(),
                route
                    .split("[HTTP SERVER]")
                    .nth(1)
                    .and_then(|r| r.split('ℹ').next())
                    .unwrap_or(&route)
                    .trim(),
                reasons.join("; ")
            ));
        }
        found
    }
}
