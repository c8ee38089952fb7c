//! Frame render time of the studio with 10,000 jobs in the job list and a
//! 100,000-request history behind it.
//!
//! `cargo bench --bench studio_frame` seeds the database once (kept under
//! target/bench-studio-home), builds the studio's `State` as the studio does,
//! then draws each scenario many times into ratatui's `TestBackend` and
//! reports min / median / p99 / max per frame against the 2 ms p99 goal.
//!
//! Options after `--`: `--rows N` (requests in the database, default
//! 100000), `--jobs N` (job list, default 10000), `--frames N` (timed frames
//! per scenario, default 2000), `--home DIR` (default target/bench-studio-home),
//! `--seed-only` (make sure the database is there, then stop).
//!
//! For scripts/bench-startup: `--pty [--size COLSxROWS] [--first-frame-log
//! FILE] [--dump FILE] -- COMMAND ARGS...` runs COMMAND in a new
//! pseudo-terminal (its controlling terminal) and plays the terminal: it
//! answers the cursor-position query `ESC [ 6 n` (ratatui's `Terminal::clear`
//! sends one), appends the microseconds from spawn to the end of the first
//! frame (the first `ESC [ ? 2026 l`, `EndSynchronizedUpdate`) to the log,
//! writes all COMMAND printed to the dump, notes a panic message in the
//! output (to FILE.panics with a log, else on stderr), and exits with
//! COMMAND's status.
//! `script` cannot stand in: nothing behind it answers the cursor query, and
//! the studio gives up after crossterm's 2 s timeout.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rusqlite::params;
use tintype::app::jobs::JobMeta;
use tintype::app::keymap::Keymap;
use tintype::app::msg::CostData;
use tintype::app::screens::HISTORY_LIMIT;
use tintype::app::{Pane, Screen, State};
use tintype::catalog::{Catalog, Cost};
use tintype::config::theme::{DEFAULT_THEME, Theme};
use tintype::engine::JobEvent;
use tintype::money::Micros;
use tintype::providers::{ErrorClass, ProviderError};
use tintype::store::{
    GroupBy, JobId, JobState, RequestId, Since, Stamp, Store, parse_history_filter,
};

/// The goal from the issue: p99 per frame.
const GOAL: Duration = Duration::from_millis(2);
const WARM_UP: usize = 200;

#[path = "shared/seed.rs"]
mod seed;
use seed::{MODELS, WORDS};

const PARAMS: &[&str] = &[
    r#"{"size":"1024x1024","quality":"high","background":"auto","output_format":"png"}"#,
    r#"{"size":"1536x1024","quality":"medium","moderation":"auto"}"#,
    r#"{"aspect_ratio":"16:9","output_format":"webp","output_quality":90,"num_inference_steps":4}"#,
    r#"{"aspect_ratio":"3:2","style_preset":"cinematic","negative_prompt_strength":0.6}"#,
    "{}",
];

const FAILURES: &[(ErrorClass, &str)] = &[
    (
        ErrorClass::Moderation,
        "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed.",
    ),
    (
        ErrorClass::RateLimited,
        "Rate limit reached for images per minute (limit 5, used 5): try again in 12s.",
    ),
    (
        ErrorClass::Transient,
        "502 Bad Gateway from api.example.com after 3 attempts; the provider may be down.",
    ),
    (
        ErrorClass::UnknownOutcome,
        "the connection closed after the request was sent; it may have been billed",
    ),
    (
        ErrorClass::InsufficientCredit,
        "Billing hard limit has been reached: add credit at the provider's dashboard.",
    ),
];

struct Options {
    rows: u64,
    jobs: usize,
    frames: usize,
    home: PathBuf,
    seed_only: bool,
    pty: Option<Pty>,
}

/// `--pty`: run a command in a pseudo-terminal, as its terminal.
struct Pty {
    cols: u16,
    rows: u16,
    first_frame_log: Option<PathBuf>,
    /// Where to write everything the command printed.
    dump: Option<PathBuf>,
    command: Vec<String>,
}

fn options() -> Options {
    let mut options = Options {
        rows: 100_000,
        jobs: 10_000,
        frames: 2_000,
        home: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-studio-home"),
        seed_only: false,
        pty: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--rows" => options.rows = iter.next().and_then(|v| v.parse().ok()).expect("--rows N"),
            "--jobs" => options.jobs = iter.next().and_then(|v| v.parse().ok()).expect("--jobs N"),
            "--frames" => {
                options.frames = iter
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .expect("--frames N (N > 0)");
            }
            "--home" => options.home = iter.next().map(PathBuf::from).expect("--home DIR"),
            "--seed-only" => options.seed_only = true,
            "--pty" => {
                options.pty = Some(Pty {
                    cols: 160,
                    rows: 48,
                    first_frame_log: None,
                    dump: None,
                    command: Vec::new(),
                });
            }
            "--size" => {
                let pty = options.pty.as_mut().expect("--size goes after --pty");
                let (cols, rows) = iter
                    .next()
                    .and_then(|v| v.split_once('x'))
                    .and_then(|(c, r)| Some((c.parse().ok()?, r.parse().ok()?)))
                    .expect("--size COLSxROWS");
                (pty.cols, pty.rows) = (cols, rows);
            }
            "--first-frame-log" => {
                options
                    .pty
                    .as_mut()
                    .expect("--first-frame-log goes after --pty")
                    .first_frame_log = Some(iter.next().map(PathBuf::from).expect("FILE"));
            }
            "--dump" => {
                options.pty.as_mut().expect("--dump goes after --pty").dump =
                    Some(iter.next().map(PathBuf::from).expect("--dump FILE"));
            }
            "--" if options.pty.is_some() => {
                options.pty.as_mut().expect("checked").command = iter.by_ref().cloned().collect();
            }
            // cargo passes --bench to every bench binary.
            _ => {}
        }
    }
    options
}

/// Picks index < len, favouring small indexes (roughly Zipf with s = 1).
fn zipf(len: usize) -> usize {
    let u = fastrand::f64();
    ((len as f64).powf(u) - 1.0) as usize % len
}

fn prompt() -> String {
    let words = 6 + fastrand::usize(..9);
    (0..words)
        .map(|_| WORDS[zipf(WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

/// The history database, through tintype's own `Store` (real schema, indexes
/// and FTS triggers), in one transaction as `benches/history_cost.rs` does;
/// with start times, errors, negative prompts and review marks as well, so
/// every column the studio shows has something in it.
#[allow(clippy::too_many_lines)] // one INSERT per table, in order
fn seed(path: &Path, rows: u64) -> rusqlite::Result<()> {
    let started = Instant::now();
    let mut store = Store::open(path).expect("the bench database opens");
    let conn = store.connection();
    conn.pragma_update(None, "synchronous", "OFF")?;
    fastrand::seed(2026);
    let now = Stamp::now().ms;
    let year_ms: i64 = 365 * 24 * 3600 * 1000;
    let tx = conn.transaction()?;
    {
        let mut request = tx.prepare(
            "INSERT INTO requests (id, created_at, model, provider, operation, prompt, negative_prompt, \
             params_json, seed, n, request_hash, estimated_micros, estimate_rule) \
             VALUES (?1, ?2, ?3, ?4, 'generate', ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'bench')",
        )?;
        let mut job = tx.prepare(
            "INSERT INTO jobs (request_id, call_index, n, state, attempts, error_class, error_message, \
             created_at, updated_at, started_at, finished_at) \
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?7, ?8)",
        )?;
        let mut cost = tx.prepare(
            "INSERT INTO costs (job_id, request_id, created_at, day, provider, model, images, estimated_micros, \
             estimate_rule, actual_micros) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'bench', ?9)",
        )?;
        let mut image = tx.prepare(
            "INSERT INTO images (job_id, request_id, idx, path, sha256, width, height, format, seed, mark, \
             starred, created_at) VALUES (?1, ?2, ?3, ?4, 'bench', 1024, 1024, 'png', ?5, ?6, ?7, ?8)",
        )?;
        for id in 1..=rows as i64 {
            // Ids grow with time, as real history does.
            let at = now - year_ms + year_ms * id / rows as i64;
            let day = chrono::DateTime::from_timestamp_millis(at)
                .expect("a valid time")
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d")
                .to_string();
            let (model, provider, price) = MODELS[zipf(MODELS.len())];
            let calls = if fastrand::u8(..10) == 0 {
                2 + fastrand::u32(..3)
            } else {
                1
            };
            let per_call = 1 + fastrand::u32(..2);
            let seed = i64::from(fastrand::u32(..));
            let negative =
                (fastrand::u8(..10) == 0).then_some("blurry, text, watermark, extra fingers");
            request.execute(params![
                id,
                at,
                model,
                provider,
                prompt(),
                negative,
                PARAMS[fastrand::usize(..PARAMS.len())],
                seed,
                calls * per_call,
                format!("{id:064x}"),
                price * i64::from(calls * per_call)
            ])?;
            for call in 0..calls {
                let state = match fastrand::u8(..100) {
                    0..=89 => "succeeded",
                    90..=95 => "failed",
                    96..=97 => "canceled",
                    _ => "interrupted",
                };
                let (class, message) = if state == "failed" {
                    let (class, message) = FAILURES[fastrand::usize(..FAILURES.len())];
                    (Some(class.as_str()), Some(message))
                } else {
                    (None, None)
                };
                let latency = 2_000 + fastrand::i64(..40_000);
                job.execute(params![
                    id,
                    call,
                    per_call,
                    state,
                    class,
                    message,
                    at - latency,
                    at
                ])?;
                let job_id = tx.last_insert_rowid();
                let delivered = if state == "succeeded" { per_call } else { 0 };
                let actual = (state != "interrupted").then_some(price * i64::from(delivered));
                cost.execute(params![
                    job_id,
                    id,
                    at,
                    day,
                    provider,
                    model,
                    delivered,
                    price * i64::from(per_call),
                    actual
                ])?;
                for k in 0..delivered {
                    let path =
                        format!("/home/u/.local/share/tintype/images/{day}/{id:06}-{call}-{k}.png");
                    let mark = match fastrand::u8(..100) {
                        0..=4 => "keep",
                        5..=7 => "reject",
                        _ => "none",
                    };
                    let starred = i64::from(fastrand::u8(..25) == 0);
                    image.execute(params![
                        job_id,
                        id,
                        k,
                        path,
                        seed + i64::from(k),
                        mark,
                        starred,
                        at
                    ])?;
                }
            }
        }
    }
    tx.commit()?;
    // No ANALYZE: tintype keeps its own statistics (`PRAGMA optimize` when a
    // store closes), as in benches/history_cost.rs.
    println!(
        "seeded {rows} requests in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn request_count(path: &Path) -> u64 {
    rusqlite::Connection::open(path)
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM requests", [], |r| r.get::<_, i64>(0)))
        .map_or(0, |n| n as u64)
}

/// The studio's state as `cli::studio` builds it with no config: default
/// theme and keys, shipped presets, a prompt in the editor.
fn studio_state(catalog: &Arc<Catalog>) -> (State, Theme) {
    let (presets, _) = tintype::presets::load(None);
    let (theme, _) = Theme::load(DEFAULT_THEME, None, false);
    let mut state = State::new(
        Arc::clone(catalog),
        Keymap::default(),
        Arc::new(presets),
        "openai/gpt-image-1",
    );
    state.today = chrono::Local::now().date_naive();
    state.now_ms = chrono::Utc::now().timestamp_millis();
    state.prompt.style(
        theme
            .style("selection")
            .remove_modifier(ratatui::style::Modifier::all())
            .bg(ratatui::style::Color::Reset),
        theme.style("variable"),
    );
    state.prompt.set_text(
        "a lighthouse on a cliff at dusk, cinematic light, {style} colours, long exposure sea",
    );
    state.revalidate();
    state.spend.known = true;
    state.spend.today = Micros(1_840_000);
    state.spend.month = Micros(41_250_000);
    (state, theme)
}

/// `count` jobs through `JobList::add` and the engine's events: queued,
/// running (some retrying), succeeded with images, failed, canceled and
/// interrupted, oldest first, about 1.5 s apart.
fn add_jobs(state: &mut State, count: usize) {
    fastrand::seed(7);
    let now = state.now_ms;
    let mut request = 0;
    let mut batch = None;
    for k in 0..count {
        let id = JobId(k as i64 + 1);
        // Mostly one job per request; now and then a batch of several.
        if fastrand::u8(..8) != 0 || k == 0 {
            request += 1;
            batch = (fastrand::u8(..10) == 0).then_some(RequestId(request));
        }
        let (model, provider, price) = MODELS[zipf(MODELS.len())];
        let n = 1 + fastrand::u32(..4);
        let meta = JobMeta {
            request: RequestId(request),
            batch,
            model: model.into(),
            provider: provider.into(),
            prompt: prompt(),
            n,
            estimate: Micros(price * i64::from(n)),
            seed: Some(fastrand::u64(..u64::from(u32::MAX))),
            size: None,
        };
        state.jobs.add(id, meta, JobState::Queued, k < 5);
        let roll = fastrand::u8(..100);
        if roll < 6 {
            continue; // still queued
        }
        let at = now - (count - k) as i64 * 1_500;
        state.jobs.apply(
            &JobEvent::Started {
                job: id,
                attempt: 1,
            },
            at,
        );
        let event = match roll {
            6..=9 => JobEvent::Retrying {
                job: id,
                attempt: 2 + u32::from(roll % 3),
                wait: Duration::from_secs(12),
                reason: "429 Too Many Requests: rate limit reached for images per minute".into(),
            },
            10..=13 => JobEvent::Status {
                job: id,
                text: format!("processing (step {} of 28)", 1 + roll),
            },
            14..=21 => {
                let (class, message) = FAILURES[usize::from(roll) % FAILURES.len()];
                JobEvent::Failed {
                    job: id,
                    error: ProviderError::new(class, message),
                }
            }
            22..=25 => JobEvent::Canceled { job: id },
            26..=27 => JobEvent::Interrupted {
                job: id,
                message: "tintype stopped while this job was out; it may have been billed".into(),
            },
            _ => {
                for image in 0..n {
                    state.jobs.apply(
                        &JobEvent::ImageSaved {
                            job: id,
                            path: PathBuf::from(format!(
                                "/home/u/.local/share/tintype/images/2026-11-21/{:06}-{image}.png",
                                id.0
                            )),
                            width: 1024,
                            height: 1024,
                            seed: None,
                        },
                        at + 9_000,
                    );
                }
                JobEvent::Succeeded {
                    job: id,
                    cost: Cost {
                        micros: Micros(price * i64::from(n)),
                        rule: "per image".into(),
                    },
                    elapsed: Duration::from_millis(4_000 + fastrand::u64(..30_000)),
                }
            }
        };
        state.jobs.apply(&event, at + 10_000);
    }
}

/// What the history screen loads for an empty filter, through the same
/// `Store::history` call the studio makes.
fn load_history(store: &Store, state: &mut State) -> Duration {
    let started = Instant::now();
    let query = parse_history_filter("", state.today, HISTORY_LIMIT).expect("the empty filter");
    let rows = store.history(&query).expect("the history query");
    let took = started.elapsed();
    state.history.rows = rows;
    state.history.loaded = true;
    state.history.selected = 0;
    took
}

/// What the cost screen loads: the same three queries as the studio's
/// runner (`cost_data`): a report by day, 30 days of spend, job stats.
fn load_cost(store: &Store, state: &mut State) -> Duration {
    let started = Instant::now();
    let today = chrono::Local::now().date_naive();
    let first = Since::Days(30).first_day(today).unwrap_or_default();
    let last = today.format("%Y-%m-%d").to_string();
    let since_ms = chrono::Local::now().timestamp_millis() - 30 * 24 * 3600 * 1000;
    let report = store
        .cost_report(GroupBy::Day, Some(&first))
        .expect("cost report");
    let daily = store.daily_spend(&first, &last).expect("daily spend");
    let stats = store.job_stats(since_ms, None, None).expect("job stats");
    let took = started.elapsed();
    assert_eq!(daily.len(), 30, "30 days of spend");
    state.cost.group = GroupBy::Day;
    state.cost.data = Some(CostData {
        group: Some(GroupBy::Day),
        report: Some(report),
        daily,
        stats,
        error: None,
    });
    took
}

/// Moves the selection before frame `i`.
type Step<'a> = &'a dyn Fn(&mut State, usize);

/// CPU time of this thread: unlike the wall clock it stops while the
/// scheduler runs someone else, which on a shared machine is most of the
/// tail.
fn thread_cpu() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which outlives the call.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut now) };
    assert_eq!(ok, 0, "clock_gettime: {}", std::io::Error::last_os_error());
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

struct Sample {
    /// `Terminal::draw`: the view, then ratatui's diff and the backend.
    total: Vec<Duration>,
    /// The same, in this thread's CPU time.
    cpu: Vec<Duration>,
    /// Of which `tintype::ui::draw` (building the frame's buffer).
    view: Vec<Duration>,
}

/// Draws `frames` frames after a warm-up; `step(state, i)` moves the
/// selection before frame `i`.
fn run(
    state: &mut State,
    theme: &Theme,
    (width, height): (u16, u16),
    frames: usize,
    step: Step<'_>,
) -> Sample {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    let mut sample = Sample {
        total: Vec::with_capacity(frames),
        cpu: Vec::with_capacity(frames),
        view: Vec::with_capacity(frames),
    };
    for i in 0..WARM_UP + frames {
        step(state, i);
        let mut view = Duration::ZERO;
        let cpu = thread_cpu();
        let started = Instant::now();
        terminal
            .draw(|frame| {
                let started = Instant::now();
                let wants = tintype::ui::draw(frame, state, theme);
                view = started.elapsed();
                std::hint::black_box(wants);
            })
            .expect("drawing to the test backend");
        let total = started.elapsed();
        let cpu = thread_cpu().saturating_sub(cpu);
        if i >= WARM_UP {
            sample.total.push(total);
            sample.cpu.push(cpu);
            sample.view.push(view);
        }
    }
    sample
}

/// The value at percentile `p` (nearest rank) of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// The end of a frame: crossterm's `EndSynchronizedUpdate`.
const END_FRAME: &[u8] = b"\x1b[?2026l";
/// The cursor-position query (DSR 6) and a terminal's answer (row 1, column 1).
const CURSOR_QUERY: &[u8] = b"\x1b[6n";
const CURSOR_ANSWER: &[u8] = b"\x1b[1;1R";

/// Runs `pty.command` with a new pseudo-terminal as its stdin, stdout,
/// stderr and controlling terminal; plays the terminal until it exits.
/// Returns its exit code.
fn run_in_pty(pty: &Pty) -> i32 {
    use std::io::{Read, Write};
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;

    let (program, args) = pty.command.split_first().expect("--pty -- COMMAND");
    let size = libc::winsize {
        ws_row: pty.rows,
        ws_col: pty.cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors into the given ints; the name
    // and termios pointers may be null; `size` outlives the call.
    let opened = unsafe {
        libc::openpty(
            &raw mut master,
            &raw mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &raw const size,
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut command = std::process::Command::new(program);
    command
        .args(args)
        .stdin(slave.try_clone().expect("dup"))
        .stdout(slave.try_clone().expect("dup"))
        .stderr(slave);
    // SAFETY: between fork and exec only async-signal-safe calls: a new
    // session, then stdin (the pty) becomes its controlling terminal, so
    // /dev/tty (where crossterm reads the size) is this pty.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = command.spawn().expect("the command starts");
    // The child holds the only copies of the slave end now.
    drop(command);
    let mut terminal = std::fs::File::from(master);
    let mut output = Vec::new();
    let mut first_frame = None;
    let mut answered = 0;
    let mut buf = [0u8; 16 * 1024];
    loop {
        match terminal.read(&mut buf) {
            // EIO: every copy of the slave end is closed, the command ended.
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let from = output
                    .len()
                    .saturating_sub(CURSOR_QUERY.len().max(END_FRAME.len()));
                output.extend_from_slice(&buf[..n]);
                let queries = count(&output, CURSOR_QUERY);
                while answered < queries {
                    terminal
                        .write_all(CURSOR_ANSWER)
                        .expect("answering the cursor query");
                    answered += 1;
                }
                if first_frame.is_none() && find(&output[from..], END_FRAME).is_some() {
                    first_frame = Some(started.elapsed());
                }
            }
        }
    }
    let status = child.wait().expect("the command ends");
    let code = status.code().unwrap_or(1);
    report_run(pty, program, &output, first_frame, code)
}

/// The dump, panic note and first-frame time of one `--pty` run; the exit
/// code to leave with.
fn report_run(
    pty: &Pty,
    program: &str,
    output: &[u8],
    first_frame: Option<Duration>,
    code: i32,
) -> i32 {
    use std::io::Write;

    if let Some(dump) = &pty.dump {
        std::fs::write(dump, output).expect("writing the dump");
    }
    // A panic message after the frame: noted beside the log (FILE.panics),
    // since the timed runs' output goes nowhere.
    if let Some(at) = find(output, b"panicked at") {
        let start = output[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let end = output[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(output.len(), |i| at + i);
        let line = String::from_utf8_lossy(&output[start..end])
            .trim()
            .to_string();
        match &pty.first_frame_log {
            Some(log) => {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(format!("{}.panics", log.display()))
                    .expect("the panic log opens");
                writeln!(file, "{line}").expect("writing the panic log");
            }
            None => eprintln!("{program} panicked: {line}"),
        }
    }
    match (first_frame, &pty.first_frame_log) {
        (Some(at), Some(log)) => {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("the first-frame log opens");
            writeln!(file, "{}", at.as_micros()).expect("writing the first-frame log");
        }
        (None, Some(_)) => {
            eprintln!(
                "no frame in the output of {program} (exit {code}):\n{}",
                String::from_utf8_lossy(output)
            );
            return if code == 0 { 1 } else { code };
        }
        (Some(at), None) => println!("first frame after {:.1} ms", at.as_secs_f64() * 1000.0),
        (None, None) => {}
    }
    code
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fn main() {
    let options = options();
    if let Some(pty) = &options.pty {
        std::process::exit(run_in_pty(pty));
    }
    let db = options.home.join("data/tintype.db");
    if request_count(&db) != options.rows {
        let _ = std::fs::remove_dir_all(&options.home);
        seed(&db, options.rows).expect("seeding the bench database");
    }
    let size = std::fs::metadata(&db).map_or(0, |m| m.len());
    println!(
        "database: {} ({} requests, {} MB)",
        db.display(),
        options.rows,
        size / 1_000_000
    );
    if options.seed_only {
        return;
    }

    let catalog = Arc::new(Catalog::embedded().expect("the embedded catalog"));
    let (mut state, theme) = studio_state(&catalog);
    let started = Instant::now();
    add_jobs(&mut state, options.jobs);
    println!(
        "job list: {} jobs ({} unfinished) built in {:.1} ms",
        state.jobs.len(),
        state.jobs.running(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    // The one per-frame cost that grows with the job list: the top bar's
    // running count walks every job.
    let started = Instant::now();
    for _ in 0..1000 {
        std::hint::black_box(std::hint::black_box(&state).running_jobs());
    }
    println!(
        "State::running_jobs() over {} jobs: {:.1} µs a call (once per frame, in the top bar)",
        state.jobs.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    let store = Store::open(&db).expect("the bench database opens");
    let history_took = load_history(&store, &mut state);
    let cost_took = load_cost(&store, &mut state);
    println!(
        "history: {} rows in {:.1} ms (Store::history, empty filter, limit {HISTORY_LIMIT}); \
         cost data in {:.1} ms",
        state.history.rows.len(),
        history_took.as_secs_f64() * 1000.0,
        cost_took.as_secs_f64() * 1000.0
    );
    drop(store);
    time_frames(&mut state, &theme, options.frames);
}

/// Every scenario at 160x48 and 80x24; prints the table.
fn time_frames(state: &mut State, theme: &Theme, frames: usize) {
    let report_rows = state
        .cost
        .data
        .as_ref()
        .and_then(|d| d.report.as_ref())
        .map_or(1, |r| r.rows.len().max(1));
    let history_rows = state.history.rows.len().max(1);
    let jobs = state.jobs.len().max(1);

    let studio = |state: &mut State, i: usize| {
        state.screen = Screen::Studio;
        state.focus = Pane::Jobs;
        state.jobs.select(i % jobs);
    };
    let history = |state: &mut State, i: usize| {
        state.screen = Screen::History;
        state.history.selected = i % history_rows;
    };
    let cost = |state: &mut State, i: usize| {
        state.screen = Screen::Cost;
        state.cost.selected = i % report_rows;
    };
    let scenarios: [(&str, Step<'_>); 3] = [
        ("studio, jobs pane, selection down 1 row/frame", &studio),
        ("history, 1000 rows, scrolling 1 row/frame", &history),
        ("cost, 30 days + report by day", &cost),
    ];

    let mut table = String::from(
        "| scenario | size | frames | min | median | p99 | max | CPU p99 | view p99 | p99 < 2 ms |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut all_pass = true;
    let bench_started = Instant::now();
    for size in [(160, 48), (80, 24)] {
        for (name, step) in &scenarios {
            let mut sample = run(state, theme, size, frames, *step);
            sample.total.sort_unstable();
            sample.cpu.sort_unstable();
            sample.view.sort_unstable();
            let total = &sample.total;
            let p99 = percentile(total, 99.0);
            let pass = p99 < GOAL;
            all_pass &= pass;
            table.push_str(&format!(
                "| {name} | {}x{} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                size.0,
                size.1,
                total.len(),
                ms(total[0]),
                ms(percentile(total, 50.0)),
                ms(p99),
                ms(total[total.len() - 1]),
                ms(percentile(&sample.cpu, 99.0)),
                ms(percentile(&sample.view, 99.0)),
                if pass { "PASS" } else { "FAIL" }
            ));
        }
    }
    println!(
        "\n{table}\nmin to max: wall time of `Terminal::draw` per frame. `CPU`: the same \
         frames in this thread's CPU time (what is left when time spent preempted is taken \
         out). `view`: tintype::ui::draw alone (wall); the rest of a frame is ratatui's diff \
         and the TestBackend.\n{} frames drawn in {:.1}s. Goal p99 < 2 ms: {}",
        (WARM_UP + frames) * scenarios.len() * 2,
        bench_started.elapsed().as_secs_f64(),
        if all_pass { "PASS" } else { "FAIL" }
    );
}
