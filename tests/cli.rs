//! The `tintype` binary, driven as a user would: each command, each exit code.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const KEY_VARS: [&str; 6] = [
    "OPENAI_API_KEY",
    "REPLICATE_API_TOKEN",
    "STABILITY_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "REMOVE_BG_API_KEY",
];

/// A private `TINTYPE_HOME`; the host's API keys never leak into a test.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("tintype").unwrap();
        cmd.env("TINTYPE_HOME", self.path());
        for var in KEY_VARS {
            cmd.env_remove(var);
        }
        cmd
    }

    fn write_config(&self, name: &str, text: &str) {
        let dir = self.path().join("config");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn json(&self, args: &[&str]) -> Value {
        let output = self.cmd().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// A quick sandbox generation: tiny images, no pretend latency.
    fn generate(&self, prompt: &str, extra: &[&str]) -> Value {
        let mut args = vec![
            "gen",
            "--json",
            "-q",
            "--size",
            "48x32",
            "-p",
            "latency_ms=0",
        ];
        args.extend_from_slice(extra);
        args.push(prompt);
        self.json(&args)
    }
}

#[test]
fn no_command_introduces_the_tool() {
    let home = Home::new();
    home.cmd()
        .assert()
        .success()
        .stdout(
            predicate::str::contains("sandbox").and(predicate::str::contains(
                "Default model: sandbox/procedural",
            )),
        );
}

#[test]
fn models_lists_the_catalog() {
    let home = Home::new();
    home.cmd().arg("models").assert().success().stdout(
        predicate::str::contains("openai/dall-e-3 *")
            .and(predicate::str::contains("$0.04-$0.12/image"))
            .and(predicate::str::contains("sandbox/procedural"))
            .and(predicate::str::contains("no key yet: $GEMINI_API_KEY")),
    );
    let models = home.json(&["models", "--json"]);
    let models = models.as_array().unwrap();
    assert!(models.len() >= 17);
    for model in models {
        for field in ["id", "provider", "operations", "deprecated"] {
            assert!(model.get(field).is_some(), "{field} missing from {model}");
        }
    }
    let dalle = models
        .iter()
        .find(|m| m["id"] == "openai/dall-e-3")
        .unwrap();
    assert_eq!(dalle["deprecated"], true);
    assert_eq!(dalle["operations"], serde_json::json!(["generate"]));
    assert_eq!(dalle["details"]["generate"]["n"]["max_per_request"], 1);
    assert_eq!(dalle["details"]["generate"]["prompt_max_chars"], 4000);
    let sandbox = models
        .iter()
        .find(|m| m["id"] == "sandbox/procedural")
        .unwrap();
    assert_eq!(sandbox["key"], "built in");
}

#[test]
fn a_key_in_the_environment_shows_as_ready() {
    let home = Home::new();
    home.cmd()
        .env("OPENAI_API_KEY", "sk-test-0123456789abcdef")
        .arg("models")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("openai ($OPENAI_API_KEY)")
                .and(predicate::str::contains("0123456789").not()),
        );
}

#[test]
fn dry_run_estimates_split_requests() {
    let home = Home::new();
    let plan = home.json(&[
        "gen",
        "--dry-run",
        "--json",
        "-m",
        "dall-e-3",
        "-n",
        "4",
        "--split",
        "--quality",
        "hd",
        "--size",
        "1792x1024",
        "a red fox",
    ]);
    assert_eq!(plan["model"], "openai/dall-e-3");
    assert_eq!(plan["operation"], "generate");
    assert_eq!(plan["requests"], 4);
    assert_eq!(plan["images"], 4);
    assert_eq!(plan["estimated_cost_micros"], 480_000);
    assert_eq!(
        plan["rule"],
        "dall-e-3 hd 1792x1024: $0.12 x 4 in 4 requests"
    );
    assert_eq!(plan["sent"], false);
    assert!(
        !home.path().join("data/tintype.db").exists(),
        "a dry run touches nothing"
    );
    home.cmd()
        .args([
            "gen",
            "--dry-run",
            "-m",
            "gpt-image-1",
            "--quality",
            "low",
            "--size",
            "1024x1024",
            "a fox",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("estimate   $0.01")
                .and(predicate::str::contains("nothing was sent")),
        );
}

#[test]
fn invalid_parameters_exit_2_and_name_the_parameter() {
    let home = Home::new();
    home.cmd()
        .args(["gen", "-m", "dall-e-3", "-n", "4", "a fox"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "dall-e-3 makes one image per request; ask for n = 1, or let tintype send 4 requests (--split)",
        ));
    home.cmd()
        .args(["gen", "-m", "dall-e-2", "--size", "1792x1024", "a fox"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("square images only"));
    let output = home
        .cmd()
        .args(["gen", "--json", "-m", "nope-model", "x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let body: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["error"]["errors"][0]["param"], "model");
    home.cmd()
        .args(["gen", "-p", "novalue", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("KEY=VALUE"));
    home.cmd()
        .args(["gen", "--image", "/no/such/file.png", "--op", "edit", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read /no/such/file.png"));
    home.cmd()
        .args(["cost", "--since", "fortnight"])
        .assert()
        .code(2);
    home.cmd().args(["gen", "-n", "many", "x"]).assert().code(2);
}

#[test]
fn sandbox_generation_saves_images_and_records_them() {
    let home = Home::new();
    let result = home.generate("a lighthouse at dusk", &["-n", "2", "--seed", "42"]);
    assert_eq!(result["status"], "succeeded");
    assert_eq!(result["estimated_cost_micros"], 0);
    assert_eq!(result["actual_cost_micros"], 0);
    assert!(result["error"].is_null());
    assert!(result["job_id"].as_i64().unwrap() >= 1);
    let images = result["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["seed"], 42);
    assert_eq!(images[1]["seed"], 43);
    for image in images {
        let path = PathBuf::from(image["path"].as_str().unwrap());
        assert!(path.starts_with(home.path().join("data/images")));
        let decoded = image::open(&path).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (48, 32));
        assert_eq!(
            (image["width"].as_u64(), image["height"].as_u64()),
            (Some(48), Some(32))
        );
        assert!(path.with_extension("png.json").exists(), "sidecar recipe");
    }
    // Same prompt and seed: the same picture.
    let again = home.generate("a lighthouse at dusk", &["--seed", "42"]);
    let first = std::fs::read(images[0]["path"].as_str().unwrap()).unwrap();
    let second = std::fs::read(again["images"][0]["path"].as_str().unwrap()).unwrap();
    assert_eq!(
        image::load_from_memory(&first).unwrap(),
        image::load_from_memory(&second).unwrap()
    );

    // Plain mode: paths on stdout, progress on stderr.
    home.cmd()
        .args([
            "gen",
            "--size",
            "16x16",
            "-p",
            "latency_ms=0",
            "plain output",
        ])
        .assert()
        .success()
        .stdout(predicate::str::ends_with(".png\n"))
        .stderr(predicate::str::contains("job").and(predicate::str::contains("saved")));
}

#[test]
fn provider_failures_exit_3_with_a_class() {
    let home = Home::new();
    home.write_config(
        "config.toml",
        "[retry]\nfirst_delay_ms = 1\nmax_delay_ms = 5\n",
    );
    let output = home
        .cmd()
        .args([
            "gen",
            "--json",
            "-q",
            "-p",
            "fail=server_error",
            "-p",
            "latency_ms=0",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let body: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["status"], "failed");
    assert_eq!(body["error"]["class"], "transient");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not charged")
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("[transient]"),
        "the reason is said even with -q"
    );
    // A real provider without a key fails clearly, after validation.
    home.cmd()
        .args(["gen", "-m", "gpt-image-2", "a fox"])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("no API key for OpenAI: set $OPENAI_API_KEY")
                .and(predicate::str::contains("--dry-run")),
        );
}

#[test]
fn the_budget_refuses_with_exit_4_unless_told_yes() {
    let home = Home::new();
    home.write_config("config.toml", "[budget]\ndaily_usd = \"1.00\"\n");
    // The user's catalog overlay makes the sandbox cost money, to spend for real.
    home.write_config(
        "catalog.toml",
        "[models.'sandbox/procedural'.operations.generate.pricing]\nkind = 'per_image'\nusd = '0.40'\nsource = 'test'\n",
    );
    let first = home.generate("paid placeholder", &["-n", "2"]);
    assert_eq!(first["actual_cost_micros"], 800_000);
    home.cmd()
        .args(["gen", "--size", "16x16", "-p", "latency_ms=0", "one more"])
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("past the budget of $1.00")
                .and(predicate::str::contains("--yes")),
        );
    home.cmd()
        .args([
            "gen",
            "--yes",
            "-q",
            "--size",
            "16x16",
            "-p",
            "latency_ms=0",
            "one more",
        ])
        .assert()
        .success();
    let by_model = home.json(&["cost", "--by", "model", "--json"]);
    assert_eq!(by_model["total"]["actual_cost_micros"], 1_200_000);
    assert_eq!(by_model["rows"][0]["key"], "sandbox/procedural");
    assert_eq!(by_model["rows"][0]["requests"], 2);
    assert_eq!(by_model["rows"][0]["images"], 3);
    // Past the cap already, a paid dry run still estimates (it sends nothing).
    home.cmd()
        .args(["gen", "--dry-run", "x"])
        .assert()
        .success();
}

#[test]
fn cost_reports_by_day_model_and_provider() {
    let home = Home::new();
    home.cmd()
        .args(["cost"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing spent since"));
    home.generate("one", &[]);
    home.generate("two", &["-n", "3"]);
    let _ = home
        .cmd()
        .args([
            "gen",
            "-q",
            "-p",
            "fail=quota",
            "-p",
            "latency_ms=0",
            "three",
        ])
        .output();
    for by in ["day", "model", "provider"] {
        let report = home.json(&["cost", "--by", by, "--since", "all", "--json"]);
        let row = &report["rows"][0];
        for field in [
            "key",
            "requests",
            "images",
            "estimated_cost_micros",
            "actual_cost_micros",
        ] {
            assert!(row.get(field).is_some(), "{by}: {field}");
        }
        assert_eq!(report["total"]["requests"], 3, "{by}");
        assert_eq!(report["total"]["images"], 4, "{by}");
        assert_eq!(
            report["total"]["without_actual"], 0,
            "{by}: a refused call is known to cost nothing"
        );
    }
    home.cmd()
        .args(["cost", "--by", "provider", "--csv"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "key,requests,images,estimated_cost_micros,actual_cost_micros,without_actual\nsandbox,3,4,0,0,0\ntotal,",
        ));
    home.cmd()
        .args(["cost", "--since", "7d"])
        .assert()
        .success()
        .stdout(predicate::str::contains("total"));
}

#[test]
fn history_searches_and_reports_json_rows() {
    let home = Home::new();
    home.cmd()
        .arg("history")
        .assert()
        .success()
        .stdout(predicate::str::contains("no history yet"));
    home.generate("a neon cat on a roof", &[]);
    home.generate("watercolour lighthouse", &["-n", "2"]);
    home.generate("neon signs in the rain", &[]);
    let found = home.json(&["history", "--search", "neon", "--limit", "50", "--json"]);
    let rows = found.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["prompt"], "neon signs in the rain", "newest first");
    for field in [
        "id",
        "created_at",
        "model",
        "prompt",
        "status",
        "images",
        "estimated_cost_micros",
        "actual_cost_micros",
    ] {
        assert!(rows[0].get(field).is_some(), "{field}");
    }
    assert_eq!(rows[0]["status"], "succeeded");
    assert_eq!(rows[0]["images"].as_array().unwrap().len(), 1);
    let limited = home.json(&["history", "--limit", "1", "--json"]);
    assert_eq!(limited.as_array().unwrap().len(), 1);
    home.cmd()
        .args(["history", "-s", "lighthouse"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("watercolour lighthouse")
                .and(predicate::str::contains("neon").not()),
        );
    home.cmd()
        .args(["history", "-s", "zebra"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no prompt matches"));
}

#[test]
fn history_never_prints_terminal_escapes_from_prompts() {
    let home = Home::new();
    home.generate("title \u{1b}]0;pwned\u{7} red \u{1b}[2J text", &[]);
    let output = home.cmd().arg("history").output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("title  red  text"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'));
}

#[test]
fn completions_print_for_each_shell() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish"] {
        home.cmd()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("tintype"));
    }
    home.cmd().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn a_database_from_a_newer_tintype_is_refused() {
    let home = Home::new();
    let db = home.path().join("data/tintype.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA user_version = 42;")
        .unwrap();
    home.cmd().arg("history").assert().code(1).stderr(
        predicate::str::contains("written by a newer tintype")
            .and(predicate::str::contains("schema 42")),
    );
}

#[test]
fn a_broken_config_file_warns_but_works() {
    let home = Home::new();
    home.write_config("config.toml", "default_model = [oops\n");
    home.write_config(
        "catalog.toml",
        "[models.'openai/dall-e-3']\nlable = 'typo'\n",
    );
    home.cmd()
        .args(["gen", "--dry-run", "x"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("ignoring")
                .and(predicate::str::contains("using the built-in catalog")),
        );
}

/// A real PNG on disk, for edit/variation/upscale inputs.
fn write_png(path: &Path, width: u32, height: u32, alpha: u8) {
    let mut picture =
        image::RgbaImage::from_pixel(width, height, image::Rgba([250, 250, 250, 255]));
    for y in height / 4..height * 3 / 4 {
        for x in width / 4..width * 3 / 4 {
            picture.put_pixel(x, y, image::Rgba([200, 30, 30, alpha]));
        }
    }
    picture.save(path).unwrap();
}

#[test]
fn sandbox_edits_varies_upscales_and_cuts_out_real_files() {
    let home = Home::new();
    let photo = home.path().join("photo.png");
    let mask = home.path().join("mask.png");
    write_png(&photo, 64, 64, 255);
    write_png(&mask, 64, 64, 0);
    let photo_arg = photo.to_str().unwrap();
    let size_of = |result: &Value| {
        let decoded = image::open(result["images"][0]["path"].as_str().unwrap()).unwrap();
        (decoded.width(), decoded.height())
    };
    let edit = home.json(&[
        "gen",
        "--json",
        "-q",
        "--op",
        "edit",
        "--image",
        photo_arg,
        "--mask",
        mask.to_str().unwrap(),
        "-p",
        "latency_ms=0",
        "add a hat",
    ]);
    assert_eq!(size_of(&edit), (64, 64));
    let variation = home.json(&[
        "gen",
        "--json",
        "-q",
        "--op",
        "variation",
        "--image",
        photo_arg,
        "-n",
        "2",
        "-p",
        "latency_ms=0",
    ]);
    assert_eq!(variation["images"].as_array().unwrap().len(), 2);
    let upscale = home.json(&[
        "gen",
        "--json",
        "-q",
        "--op",
        "upscale",
        "--image",
        photo_arg,
        "-p",
        "factor=3",
        "-p",
        "latency_ms=0",
    ]);
    assert_eq!(size_of(&upscale), (192, 192));
    let cutout = home.json(&[
        "gen",
        "--json",
        "-q",
        "--op",
        "remove-background",
        "--image",
        photo_arg,
        "-p",
        "latency_ms=0",
    ]);
    let cut = image::open(cutout["images"][0]["path"].as_str().unwrap())
        .unwrap()
        .to_rgba8();
    assert_eq!(cut.get_pixel(0, 0)[3], 0, "the white border is removed");
    assert_eq!(cut.get_pixel(32, 32)[3], 255, "the subject stays");
    // A mask of another size is refused before anything is sent.
    let small = home.path().join("small.png");
    write_png(&small, 32, 32, 0);
    home.cmd()
        .args([
            "gen",
            "--op",
            "edit",
            "--image",
            photo_arg,
            "--mask",
            small.to_str().unwrap(),
            "x",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("must be the same size"));
}

#[test]
fn api_keys_never_reach_the_database_or_the_images() {
    let home = Home::new();
    let secret = "sk-proj-SECRETSECRET0123456789";
    let output = home
        .cmd()
        .env("OPENAI_API_KEY", secret)
        .args([
            "gen",
            "--json",
            "-q",
            "-m",
            "sandbox/procedural",
            "--size",
            "32x32",
            "-p",
            "latency_ms=0",
            "x",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let mut files = vec![];
    let mut pending = vec![home.path().to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "db"))
    );
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{} holds the key",
            file.display()
        );
    }
    assert!(!String::from_utf8_lossy(&output.stdout).contains(secret));
    assert!(!String::from_utf8_lossy(&output.stderr).contains(secret));
}

#[test]
fn presets_fill_variables_and_are_recorded() {
    let home = Home::new();
    home.cmd().arg("presets").assert().success().stdout(
        predicate::str::contains("product-shot").and(predicate::str::contains("offline-demo")),
    );
    let plan = home.json(&[
        "gen",
        "--preset",
        "product-shot",
        "--var",
        "subject=a brass lamp",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(plan["model"], "openai/gpt-image-2");
    assert_eq!(plan["params"]["quality"], "high");
    let overridden = home.json(&[
        "gen",
        "--preset",
        "product-shot",
        "--quality",
        "low",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(
        overridden["params"]["quality"], "low",
        "flags override the preset"
    );
    let run = home.json(&[
        "gen",
        "--preset",
        "offline-demo",
        "--json",
        "-q",
        "--size",
        "32x32",
        "-p",
        "latency_ms=0",
        "-p",
        "stream=false",
        "-p",
        "partial_images=0",
    ]);
    assert_eq!(run["images"].as_array().unwrap().len(), 3);
    let history = home.json(&["history", "--json"]);
    assert_eq!(history[0]["prompt"], "a lighthouse at dusk, test render");
    let db = rusqlite::Connection::open(home.path().join("data/tintype.db")).unwrap();
    let used: String = db
        .query_row("SELECT preset FROM preset_uses", [], |r| r.get(0))
        .unwrap();
    assert_eq!(used, "offline-demo");
    home.cmd()
        .args([
            "gen",
            "--preset",
            "product-shot",
            "--var",
            "colour=red",
            "--dry-run",
        ])
        .assert()
        .code(2);
    home.cmd()
        .args(["gen", "--preset", "missing", "--dry-run"])
        .assert()
        .code(2);
}

#[test]
fn inspect_prints_the_recipe_and_a_command_that_makes_it_again() {
    let home = Home::new();
    let made = home.generate(
        "a fox's den at dawn",
        &["--seed", "77", "--negative", "people"],
    );
    let path = made["images"][0]["path"].as_str().unwrap().to_string();
    let output = home.cmd().args(["inspect", &path]).output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("model      sandbox/procedural") && text.contains("seed       77"),
        "{text}"
    );
    let again = text
        .lines()
        .find_map(|l| l.strip_prefix("again:     "))
        .unwrap()
        .to_string();
    assert!(
        again.contains("--seed 77") && again.contains("--negative people"),
        "{again}"
    );
    // Running the printed command (with its quoting) makes the same picture.
    let rerun = std::process::Command::new("sh")
        .arg("-c")
        .arg(again.replacen(
            "tintype gen",
            "\"$TINTYPE_BIN\" gen --json -q -p latency_ms=0",
            1,
        ))
        .env("TINTYPE_BIN", assert_cmd::cargo::cargo_bin("tintype"))
        .env("TINTYPE_HOME", home.path())
        .output()
        .unwrap();
    assert!(
        rerun.status.success(),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let second: Value = serde_json::from_slice(&rerun.stdout).unwrap();
    let first = image::open(&path).unwrap();
    let again_image = image::open(second["images"][0]["path"].as_str().unwrap()).unwrap();
    assert_eq!(first, again_image);
    let json = home.json(&["inspect", "--json", &format!("{path}.json")]);
    assert_eq!(json["prompt"], "a fox's den at dawn");
    home.cmd()
        .args(["inspect", "/no/such.png"])
        .assert()
        .code(2);
}

#[test]
fn transient_failures_are_retried_and_unknown_outcomes_are_not() {
    let home = Home::new();
    home.write_config(
        "config.toml",
        "[retry]\nmax = 3\nfirst_delay_ms = 5\nmax_delay_ms = 20\n",
    );
    // Fails twice, then succeeds: three attempts, one image, one ledger row.
    let output = home
        .cmd()
        .args([
            "gen",
            "--json",
            "--size",
            "16x16",
            "-p",
            "latency_ms=0",
            "-p",
            "fail=server_error",
            "-p",
            "fail_times=2",
            "x",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let body: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["status"], "succeeded");
    assert_eq!(body["jobs"][0]["attempts"], 3);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("retrying in").count(), 2, "{stderr}");
    assert!(
        stderr.contains("(attempt 3)") && stderr.contains("transient"),
        "{stderr}"
    );
    // Always failing: 1 + 3 attempts, then failed, and nothing was charged.
    let output = home
        .cmd()
        .args([
            "gen",
            "--json",
            "-q",
            "-p",
            "latency_ms=0",
            "-p",
            "fail=server_error",
            "y",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let body: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["jobs"][0]["attempts"], 4);
    assert_eq!(
        body["actual_cost_micros"], 0,
        "refused calls are recorded as not charged"
    );
    // An unknown outcome may have been billed: it is never sent again.
    let output = home
        .cmd()
        .args([
            "gen",
            "--json",
            "-q",
            "-p",
            "latency_ms=0",
            "-p",
            "fail=unknown_outcome",
            "z",
        ])
        .output()
        .unwrap();
    let body: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["jobs"][0]["attempts"], 1);
    assert_eq!(body["error"]["class"], "unknown_outcome");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("may have been charged")
    );
    let report = home.json(&["cost", "--json"]);
    assert_eq!(
        report["total"]["requests"], 3,
        "one ledger row per job, however many attempts"
    );
    assert_eq!(
        report["total"]["without_actual"], 1,
        "only the unknown outcome has no known cost"
    );
}

#[test]
fn variants_batches_run_one_prompt_across_sizes_and_models() {
    let home = Home::new();
    let batch = home.json(&[
        "gen",
        "--json",
        "-q",
        "--no-show",
        "--size",
        "48x32,32x48",
        "-p",
        "latency_ms=0",
        "--seed",
        "5",
        "twin lighthouses",
    ]);
    assert_eq!(batch["status"], "succeeded");
    let requests = batch["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    let sizes: Vec<(u64, u64)> = batch["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["width"].as_u64().unwrap(), i["height"].as_u64().unwrap()))
        .collect();
    assert_eq!(sizes, vec![(48, 32), (32, 48)]);
    let first = requests[0]["request_id"].as_i64().unwrap();
    assert_eq!(batch["batch_id"].as_i64(), Some(first));
    let mut store = tintype::store::Store::open(&home.path().join("data/tintype.db")).unwrap();
    let batch_ids: Vec<Option<i64>> = store
        .connection()
        .prepare("SELECT batch_id FROM requests ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(batch_ids, vec![Some(first), Some(first)]);

    // Across models: each is validated and estimated; the batch totals them.
    let plan = home.json(&[
        "gen",
        "--json",
        "--dry-run",
        "-m",
        "sandbox/procedural,openai/dall-e-3",
        "--size",
        "1024x1024",
        "a fox",
    ]);
    let planned = plan["requests"].as_array().unwrap();
    assert_eq!(planned[0]["model"], "sandbox/procedural");
    assert_eq!(planned[1]["model"], "openai/dall-e-3");
    assert_eq!(
        plan["estimated_cost_micros"].as_i64(),
        planned[1]["estimated_cost_micros"].as_i64()
    );
    assert!(plan["estimated_cost_micros"].as_i64().unwrap() > 0);
    // One bad variant refuses the whole batch, naming it.
    home.cmd()
        .args([
            "gen",
            "-m",
            "sandbox/procedural,dall-e-2",
            "--size",
            "1792x1024",
            "x",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dall-e-2"));
}

#[test]
fn an_identical_request_is_offered_from_the_store_unless_no_cache() {
    let home = Home::new();
    let args = ["--seed", "9", "-n", "2"];
    let first = home.generate("a brass lamp", &args);
    assert_eq!(first["status"], "succeeded");
    let again = home.generate("a  brass lamp ", &args);
    assert_eq!(again["status"], "cached");
    assert_eq!(again["cached_from"], first["request_id"]);
    assert_eq!(again["actual_cost_micros"], 0);
    assert_eq!(again["images"], first["images"]);

    // In plain mode it says where the images come from and how to insist.
    home.cmd()
        .args([
            "gen",
            "--size",
            "48x32",
            "-p",
            "latency_ms=0",
            "--seed",
            "9",
            "-n",
            "2",
            "--no-show",
            "a brass lamp",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            first["images"][0]["path"].as_str().unwrap(),
        ))
        .stderr(
            predicate::str::contains("identical request")
                .and(predicate::str::contains("--no-cache")),
        );

    let forced = home.generate("a brass lamp", &["--seed", "9", "-n", "2", "--no-cache"]);
    assert_eq!(forced["status"], "succeeded");
    assert_ne!(forced["request_id"], first["request_id"]);
    // A changed image is never offered.
    std::fs::write(forced["images"][1]["path"].as_str().unwrap(), b"edited").unwrap();
    std::fs::write(first["images"][1]["path"].as_str().unwrap(), b"edited").unwrap();
    let fresh = home.generate("a brass lamp", &args);
    assert_eq!(fresh["status"], "succeeded");
}
