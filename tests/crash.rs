//! kill -9 in the middle of a 20-job batch: the database opens and is
//! consistent, finished images are intact, and `tintype resume` ends every
//! job that was left (the sandbox cannot be resumed, so they are marked
//! interrupted) and clears the half-written files.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tintype::store::Store;

const KEY_VARS: [&str; 6] = [
    "OPENAI_API_KEY",
    "REPLICATE_API_TOKEN",
    "STABILITY_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "REMOVE_BG_API_KEY",
];

fn tintype(home: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("tintype"));
    cmd.env("TINTYPE_HOME", home);
    for var in KEY_VARS {
        cmd.env_remove(var);
    }
    cmd
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                found.push(entry.path());
            }
        }
    }
    found
}

fn saved_pngs(images: &Path) -> usize {
    files_under(images)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .count()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// Jobs counted by state, and each image row's path and sha256.
struct Snapshot {
    states: Vec<(String, i64)>,
    images: Vec<(String, String)>,
}

fn snapshot(db: &Path) -> Snapshot {
    let mut store = Store::open(db).expect("the database opens after a kill -9");
    let conn = store.connection();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let states = conn
        .prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let images = conn
        .prepare("SELECT path, sha256 FROM images ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    Snapshot { states, images }
}

fn count(states: &[(String, i64)], state: &str) -> i64 {
    states
        .iter()
        .find(|(s, _)| s == state)
        .map_or(0, |(_, n)| *n)
}

#[test]
fn a_batch_killed_mid_way_loses_nothing_finished_and_resume_ends_the_rest() {
    let home = tempfile::tempdir().unwrap();
    let images = home.path().join("data/images");
    let sizes: Vec<String> = (0..20).map(|k| format!("{0}x{0}", 200 + k)).collect();
    // Twenty requests of one image each (a variants batch over sizes), four
    // at a time, each taking 300 ms.
    let mut child = tintype(home.path())
        .args([
            "gen",
            "-m",
            "sandbox/procedural",
            "--size",
            &sizes.join(","),
            "-p",
            "latency_ms=300",
            "--no-show",
            "a lighthouse in fog",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_mins(1);
    while saved_pngs(&images) < 5 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the batch ended before it could be killed"
        );
        assert!(Instant::now() < deadline, "no images after 60 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no signal handler runs
    child.wait().unwrap();

    let db = home.path().join("data/tintype.db");
    let Snapshot {
        states,
        images: rows,
    } = snapshot(&db);
    let total: i64 = states.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 20, "all twenty jobs were written before any left");
    let succeeded = count(&states, "succeeded");
    assert!((4..20).contains(&succeeded), "{states:?}");
    assert!(
        count(&states, "queued") + count(&states, "submitted") + count(&states, "running") > 0,
        "the kill left jobs unfinished: {states:?}"
    );
    for (path, sha) in &rows {
        let bytes = std::fs::read(path).expect("every recorded image is on disk");
        assert_eq!(&hex(&bytes), sha, "{path} is intact");
    }

    let resumed = tintype(home.path()).arg("resume").output().unwrap();
    let said = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{said}");
    assert!(said.contains("interrupted"), "{said}");

    let Snapshot {
        states: after,
        images: rows_after,
    } = snapshot(&db);
    assert_eq!(count(&after, "succeeded"), succeeded, "{after:?}");
    assert_eq!(
        count(&after, "succeeded") + count(&after, "interrupted"),
        20,
        "every job ended: {after:?}"
    );
    assert_eq!(rows_after, rows, "finished images untouched");
    let leftovers: Vec<PathBuf> = files_under(home.path())
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".part") || name.starts_with(".tmp")
        })
        .collect();
    assert!(leftovers.is_empty(), "temp files remain: {leftovers:?}");
    let again = tintype(home.path()).arg("resume").output().unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no job was left unfinished"));
}
