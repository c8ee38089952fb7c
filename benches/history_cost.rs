//! `tintype cost --by model` and `tintype history --search WORD --limit 50`
//! over a 1,000,000-request database, side by side with the sqlite3 shell
//! running the very same SQL on the same file.
//!
//! `cargo bench --bench history_cost` seeds the database once (kept under
//! target/bench-home), then times every command with hyperfine.
//! Options after `--`: `--rows N` (default 1000000), `--runs N` (default 20).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rusqlite::params;
use tintype::store::{GroupBy, Since, Stamp, Store, cost_sql, fts_query, history_sql};

#[path = "shared/seed.rs"]
mod seed;
use seed::{MODELS, WORDS};

struct Options {
    rows: u64,
    runs: u32,
    home: PathBuf,
}

fn options() -> Options {
    let mut options = Options {
        rows: 1_000_000,
        runs: 20,
        home: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-home"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--rows" => options.rows = iter.next().and_then(|v| v.parse().ok()).expect("--rows N"),
            "--runs" => options.runs = iter.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--home" => options.home = iter.next().map(PathBuf::from).expect("--home DIR"),
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
            "INSERT INTO requests (id, created_at, model, provider, operation, prompt, params_json, seed, n, \
             request_hash, estimated_micros, estimate_rule) \
             VALUES (?1, ?2, ?3, ?4, 'generate', ?5, '{}', ?6, ?7, ?8, ?9, 'bench')",
        )?;
        let mut job = tx.prepare(
            "INSERT INTO jobs (request_id, call_index, n, state, attempts, created_at, updated_at, finished_at) \
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, ?5)",
        )?;
        let mut cost = tx.prepare(
            "INSERT INTO costs (job_id, request_id, created_at, day, provider, model, images, estimated_micros, \
             estimate_rule, actual_micros) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'bench', ?9)",
        )?;
        let mut image = tx.prepare(
            "INSERT INTO images (job_id, request_id, idx, path, sha256, width, height, format, seed, created_at) \
             VALUES (?1, ?2, ?3, ?4, 'bench', 1024, 1024, 'png', ?5, ?6)",
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
            request.execute(params![
                id,
                at,
                model,
                provider,
                prompt(),
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
                job.execute(params![id, call, per_call, state, at])?;
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
                    image.execute(params![job_id, id, k, path, seed + i64::from(k), at])?;
                }
            }
        }
    }
    tx.commit()?;
    // No ANALYZE here: tintype keeps its own statistics (`PRAGMA optimize`
    // when a store closes), so the first timed run does what a user's does.
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

/// The SQL with its named parameters written in, for the sqlite3 shell.
fn inline(sql: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(sql.to_string(), |sql, (name, value)| {
        sql.replace(name, value)
    })
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn main() {
    let options = options();
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

    let tintype = env!("CARGO_BIN_EXE_tintype");
    let db_path = db.display().to_string();
    let first_day = Since::Days(30)
        .first_day(chrono::Local::now().date_naive())
        .expect("a day");
    let cost_30d = inline(
        &cost_sql(GroupBy::Model, true),
        &[(":since", quote(&first_day))],
    );
    let cost_all = cost_sql(GroupBy::Model, false);
    let history = |word: &str| {
        let query = fts_query(word).expect("a word");
        inline(
            &history_sql(true, false),
            &[(":query", quote(&query)), (":limit", "50".into())],
        )
    };
    let pairs = [
        (
            "cost --by model (30 days)",
            format!("{tintype} cost --by model"),
            cost_30d,
        ),
        (
            "cost --by model --since all",
            format!("{tintype} cost --by model --since all"),
            cost_all,
        ),
        (
            "history --search neon --limit 50 (common word)",
            format!("{tintype} history --search neon --limit 50"),
            history("neon"),
        ),
        (
            "history --search capybara --limit 50 (rare word)",
            format!("{tintype} history --search capybara --limit 50"),
            history("capybara"),
        ),
    ];
    println!("\n{}", time_pairs(&pairs, &db_path, &options));
}

/// Times each (label, tintype command, SQL) with hyperfine; a markdown table.
fn time_pairs(pairs: &[(&str, String, String)], db_path: &str, options: &Options) -> String {
    if Command::new("hyperfine").arg("--version").output().is_err() {
        eprintln!(
            "hyperfine is needed to time the commands: apt-get install hyperfine (or cargo install hyperfine)"
        );
        std::process::exit(1);
    }
    let home = options.home.display().to_string();
    let mut table = String::from("| command | tintype | sqlite3 | ratio |\n|---|---|---|---|\n");
    for (label, ours, sql) in pairs {
        let theirs = format!("sqlite3 {db_path} {}", shell_quote(sql));
        let json = options.home.join("hyperfine.json");
        let status = Command::new("hyperfine")
            .args([
                "-N",
                "--warmup",
                "3",
                "--runs",
                &options.runs.to_string(),
                "--style",
                "basic",
                "--export-json",
            ])
            .arg(&json)
            .args([
                "--command-name",
                "tintype",
                ours,
                "--command-name",
                "sqlite3",
                &theirs,
            ])
            .env("TINTYPE_HOME", &home)
            .status()
            .expect("hyperfine runs");
        assert!(status.success(), "hyperfine failed for {label}");
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).expect("hyperfine wrote its report"))
                .expect("json");
        let mean = |i: usize| report["results"][i]["mean"].as_f64().unwrap_or(f64::NAN) * 1000.0;
        let spread =
            |i: usize| report["results"][i]["stddev"].as_f64().unwrap_or(f64::NAN) * 1000.0;
        table.push_str(&format!(
            "| `{label}` | {:.1} ± {:.1} ms | {:.1} ± {:.1} ms | {:.2}x |\n",
            mean(0),
            spread(0),
            mean(1),
            spread(1),
            mean(0) / mean(1)
        ));
    }
    table
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
