//! `tintype doctor` through the binary: the graphics decision and its
//! reasons, where keys come from (masked, never whole), the files under
//! `TINTYPE_HOME`, and the catalog in use.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const OPENAI_KEY: &str = "sk-proj-EnvironmentSecret0123456789wxyz";
const STABILITY_KEY: &str = "sk-ConfigFileSecret0123456789abcd";
const REPLICATE_KEY: &str = "r8_CommandSecret0123456789QRST";

/// A private `TINTYPE_HOME` and an empty environment: neither the host's
/// API keys nor its terminal (tmux, SSH, kitty) can reach a test.
struct Home {
    dir: tempfile::TempDir,
}

struct Output {
    stdout: String,
    stderr: String,
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

    fn cmd(&self, env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::cargo_bin("tintype").unwrap();
        cmd.env_clear()
            .env("TINTYPE_HOME", self.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TERM", "xterm-256color");
        for (name, value) in env {
            cmd.env(name, value);
        }
        cmd
    }

    fn run(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let output = self.cmd(env).args(args).output().unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(output.status.success(), "{args:?}: {stderr}");
        Output { stdout, stderr }
    }

    fn text(&self, env: &[(&str, &str)]) -> String {
        self.run(env, &["doctor"]).stdout
    }

    fn json(&self, env: &[(&str, &str)]) -> Value {
        serde_json::from_str(&self.run(env, &["doctor", "--json"]).stdout).unwrap()
    }

    fn write_config(&self, name: &str, text: &str) {
        let dir = self.path().join("config");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn shown(&self, tail: &str) -> String {
        self.path().join(tail).display().to_string()
    }
}

fn reasons(report: &Value) -> Vec<&str> {
    report["graphics"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect()
}

fn key<'a>(report: &'a Value, provider: &str) -> &'a Value {
    report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["provider"] == provider)
        .unwrap_or_else(|| panic!("no {provider} in {report}"))
}

#[test]
fn tintype_graphics_sets_the_protocol_and_says_so() {
    let home = Home::new();
    home.write_config("config.toml", "graphics = \"kitty\"\n");
    let env = [("TINTYPE_GRAPHICS", "sixel")];

    let report = home.json(&env);
    assert_eq!(report["graphics"]["protocol"], "sixel");
    assert_eq!(report["graphics"]["setting"]["value"], "sixel");
    assert_eq!(report["graphics"]["setting"]["from"], "$TINTYPE_GRAPHICS");
    assert_eq!(report["graphics"]["asked_terminal"], false);
    assert!(
        reasons(&report)
            .iter()
            .any(|r| r.contains("sixel") && r.contains("TINTYPE_GRAPHICS")),
        "{report}"
    );

    let text = home.text(&env);
    assert!(text.contains("  protocol         sixel\n"), "{text}");
    assert!(text.contains("sixel (from $TINTYPE_GRAPHICS)"), "{text}");
    assert!(text.contains("    • graphics = sixel in config"), "{text}");

    let from_file = home.json(&[]);
    assert_eq!(from_file["graphics"]["protocol"], "kitty");
    assert_eq!(from_file["graphics"]["setting"]["from"], "config.toml");
}

#[test]
fn wezterm_without_a_setting_gets_the_iterm2_protocol() {
    let home = Home::new();
    let env = [("TERM_PROGRAM", "WezTerm"), ("COLORTERM", "truecolor")];
    let report = home.json(&env);
    let graphics = &report["graphics"];
    assert_eq!(graphics["protocol"], "iterm2", "{report}");
    assert_eq!(graphics["setting"], Value::Null);
    assert_eq!(graphics["tmux"], false);
    assert_eq!(graphics["ssh"], false);
    assert_eq!(graphics["cell_px"], serde_json::json!([10, 20]));
    // Under the test harness stdout is a pipe: the terminal cannot be asked.
    assert_eq!(graphics["asked_terminal"], false);
    assert!(
        graphics["not_asked_because"]
            .as_str()
            .unwrap()
            .contains("not a terminal")
    );
    assert!(reasons(&report).iter().any(|r| r.contains("WezTerm")));
    assert_eq!(graphics["terminal_env"]["TERM_PROGRAM"], "WezTerm");
    assert_eq!(graphics["terminal_env"]["TERM"], "xterm-256color");

    let text = home.text(&env);
    for line in [
        "  protocol         iterm2\n",
        "  cell size        10x20 px\n",
        "  tmux             no\n",
        "  ssh              no\n",
        "  TERM_PROGRAM     WezTerm\n",
        "  COLORTERM        truecolor\n",
        "    • TERM_PROGRAM=WezTerm speaks the iTerm2 image protocol\n",
    ] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }

    let plain = home.json(&[]);
    assert_eq!(plain["graphics"]["protocol"], "halfblocks");
    assert_eq!(
        plain["graphics"]["terminal_env"]["TERM_PROGRAM"],
        Value::Null
    );
}

#[test]
fn ssh_and_tmux_are_reported() {
    let home = Home::new();
    // Inside tmux detection turns passthrough on with the `tmux` command;
    // with nothing on PATH it cannot touch a tmux server on this machine.
    let nothing = tempfile::tempdir().unwrap();
    let env = [
        ("PATH", nothing.path().to_str().unwrap()),
        ("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22"),
        ("TERM", "tmux-256color"),
        ("TINTYPE_GRAPHICS", "halfblocks"),
    ];
    let report = home.json(&env);
    assert_eq!(report["graphics"]["ssh"], true);
    assert_eq!(report["graphics"]["tmux"], true);
    assert!(reasons(&report).iter().any(|r| r.contains("over SSH")));
    let text = home.text(&env);
    assert!(text.contains("  ssh              yes\n"), "{text}");
    assert!(text.contains("  tmux             yes\n"), "{text}");
}

#[test]
fn keys_are_shown_masked_and_never_whole() {
    let home = Home::new();
    let marker = home.path().join("key-command-ran");
    home.write_config(
        "config.toml",
        &format!(
            "[providers.stability]\napi_key = \"{STABILITY_KEY}\"\n\
             [providers.replicate]\napi_key_cmd = \"touch '{}'; echo {REPLICATE_KEY}\"\n\
             [providers.removebg]\napi_key_cmd = \"exit 9\"\n",
            marker.display()
        ),
    );
    let env = [("OPENAI_API_KEY", OPENAI_KEY)];

    let mut everything = String::new();
    for args in [
        &["doctor"][..],
        &["doctor", "--json"],
        &["doctor", "--run-key-cmds"],
        &["doctor", "--json", "--run-key-cmds"],
    ] {
        let output = home.run(&env, args);
        everything.push_str(&output.stdout);
        everything.push_str(&output.stderr);
    }
    for secret in [OPENAI_KEY, STABILITY_KEY, REPLICATE_KEY] {
        assert!(
            !everything.contains(secret),
            "{secret} printed whole:\n{everything}"
        );
        // Nor most of it: the mask keeps a vendor prefix and four characters.
        assert!(!everything.contains(&secret[4..16]), "{everything}");
    }
    for masked in ["sk-…wxyz", "sk-…abcd", "r8_…QRST"] {
        assert!(everything.contains(masked), "{masked} missing");
    }

    let _ = std::fs::remove_file(&marker);
    let report = home.json(&env);
    assert!(!marker.exists(), "doctor ran an api_key_cmd unasked");
    let openai = key(&report, "openai");
    assert_eq!(openai["source"], "$OPENAI_API_KEY");
    assert_eq!(openai["status"], "found");
    assert_eq!(openai["masked"], "sk-…wxyz");
    let stability = key(&report, "stability");
    assert_eq!(stability["source"], "config.toml");
    assert_eq!(stability["masked"], "sk-…abcd");
    let replicate = key(&report, "replicate");
    assert_eq!(replicate["source"], "api_key_cmd");
    assert_eq!(replicate["status"], "not_run");
    assert_eq!(replicate["masked"], Value::Null);
    assert_eq!(key(&report, "gemini")["status"], "missing");
    assert_eq!(key(&report, "sandbox")["status"], "not_needed");

    let text = home.text(&env);
    assert!(
        text.contains("api_key_cmd      not run; pass --run-key-cmds to check it"),
        "{text}"
    );
    assert!(
        text.contains("no key: set $GEMINI_API_KEY or $GOOGLE_API_KEY"),
        "{text}"
    );
    assert!(text.contains("none needed"), "{text}");

    let checked = home.run(&env, &["doctor", "--json", "--run-key-cmds"]);
    let checked: Value = serde_json::from_str(&checked.stdout).unwrap();
    assert!(marker.exists());
    assert_eq!(key(&checked, "replicate")["status"], "found");
    assert_eq!(key(&checked, "replicate")["masked"], "r8_…QRST");
    let removebg = key(&checked, "removebg");
    assert_eq!(removebg["status"], "failed");
    assert!(removebg["note"].as_str().unwrap().contains("failed"));
}

#[test]
fn a_fresh_home_shows_its_paths_and_creates_nothing() {
    let home = Home::new();
    let report = home.json(&[]);
    let paths = &report["paths"];
    assert_eq!(paths["database"]["path"], home.shown("data/tintype.db"));
    assert_eq!(paths["database"]["exists"], false);
    assert_eq!(paths["database"]["schema_version"], Value::Null);
    assert_eq!(paths["images"]["path"], home.shown("data/images"));
    assert_eq!(paths["images"]["images"], 0);
    assert_eq!(
        paths["config_file"]["path"],
        home.shown("config/config.toml")
    );
    assert_eq!(paths["config_file"]["exists"], false);
    assert_eq!(paths["presets"]["path"], home.shown("config/presets"));
    assert_eq!(paths["exports"]["path"], home.shown("data/exports"));
    assert!(
        !home.path().join("data").exists(),
        "doctor created the data dir"
    );

    let text = home.text(&[]);
    assert!(
        text.contains(&format!(
            "  database         {}",
            home.shown("data/tintype.db")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("  images           {}", home.shown("data/images"))),
        "{text}"
    );
}

#[test]
fn after_a_generation_the_database_schema_and_images_show() {
    let home = Home::new();
    home.run(
        &[],
        &[
            "gen",
            "--json",
            "-q",
            "--size",
            "48x32",
            "-p",
            "latency_ms=0",
            "a lighthouse",
        ],
    );
    let report = home.json(&[]);
    let database = &report["paths"]["database"];
    assert_eq!(database["exists"], true);
    let version = database["schema_version"].as_i64().unwrap();
    assert!(version >= 1);
    assert_eq!(database["schema_version"], database["schema_supported"]);
    assert!(database["bytes"].as_u64().unwrap() > 0);
    let images = &report["paths"]["images"];
    assert!(images["images"].as_u64().unwrap() >= 1, "{report}");
    assert!(images["bytes"].as_u64().unwrap() > 0);
    // Read from the file header: no SQLite side files left behind.
    assert!(!home.path().join("data/tintype.db-shm").exists());

    let text = home.text(&[]);
    assert!(
        text.contains(&format!("schema {version}, current)")),
        "{text}"
    );
    assert!(text.contains("(1 image in "), "{text}");
}

#[test]
fn the_catalog_version_hash_and_overlay_appear() {
    let home = Home::new();
    let report = home.json(&[]);
    let catalog = &report["catalog"];
    let version = catalog["version"].as_str().unwrap();
    assert!(
        version.len() == 10 && version.chars().filter(|c| *c == '-').count() == 2,
        "{version}"
    );
    let hash = catalog["hash"].as_str().unwrap();
    assert_eq!(hash.len(), 12);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(catalog["models"].as_u64().unwrap() >= 17);
    assert_eq!(catalog["providers"], 6);
    assert_eq!(catalog["overlay"]["present"], false);
    assert_eq!(catalog["overlay"]["merged"], false);
    assert_eq!(
        catalog["overlay"]["path"],
        home.shown("config/catalog.toml")
    );
    let text = home.text(&[]);
    assert!(text.contains(&format!("  version          {version}\n")));
    assert!(text.contains(hash));

    home.write_config(
        "catalog.toml",
        "[models.\"openai/dall-e-3\"]\nlabel = \"DALL·E 3 (mine)\"\n",
    );
    let merged = home.json(&[]);
    assert_eq!(merged["catalog"]["overlay"]["merged"], true);
    assert_eq!(merged["catalog"]["hash"], hash);
    assert!(home.text(&[]).contains(&format!(
        "merged from {}",
        home.shown("config/catalog.toml")
    )));

    home.write_config("catalog.toml", "[models\n");
    let broken = home.json(&[]);
    assert_eq!(broken["catalog"]["overlay"]["present"], true);
    assert_eq!(broken["catalog"]["overlay"]["merged"], false);
    assert!(
        broken["catalog"]["overlay"]["warning"]
            .as_str()
            .unwrap()
            .contains("ignoring")
    );
}

#[test]
fn a_broken_config_file_is_reported_not_fatal() {
    let home = Home::new();
    home.write_config("config.toml", "[budget]\ndaily_usd = 'lots'\n");
    let report = home.json(&[]);
    let config = &report["paths"]["config_file"];
    assert_eq!(config["exists"], true);
    assert_eq!(config["parsed"], false);
    assert!(
        config["warning"]
            .as_str()
            .unwrap()
            .contains("using defaults")
    );
    home.write_config("config.toml", "theme = 'dark'\n");
    assert_eq!(home.json(&[])["paths"]["config_file"]["parsed"], true);
}

#[test]
fn control_characters_from_the_environment_are_not_printed() {
    let home = Home::new();
    let output = home.run(
        &[("TERM_PROGRAM", "Evil\u{1b}]0;pwned\u{7}Term")],
        &["doctor"],
    );
    assert!(!output.stdout.contains('\u{1b}'), "{:?}", output.stdout);
    assert!(output.stdout.contains("  TERM_PROGRAM     EvilTerm\n"));
}
