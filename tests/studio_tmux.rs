//! The studio end to end, in a real terminal: tmux runs the `tintype` binary
//! on a private server, the test types as a user would and reads the screen
//! back with `capture-pane`.
//!
//! Needs the `tmux` binary. Without it each test prints a note and passes,
//! unless `TINTYPE_REQUIRE_TMUX` is set (as `scripts/test` does), in which
//! case a missing tmux is a failure.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Host keys that would pick a paid default model; the studio must start on
/// the sandbox.
const KEY_VARS: [&str; 6] = [
    "OPENAI_API_KEY",
    "REPLICATE_API_TOKEN",
    "STABILITY_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "REMOVE_BG_API_KEY",
];

/// Host settings that would change what the studio does at start.
const STUDIO_VARS: [&str; 3] = [
    "TINTYPE_GRAPHICS",
    "TINTYPE_EXIT_AFTER_FIRST_FRAME",
    "NO_COLOR",
];

const SESSION: &str = "studio";
const WIDTH: u16 = 120;
const HEIGHT: u16 = 36;
const POLL: Duration = Duration::from_millis(50);

/// Whether tmux runs here. A missing tmux skips the test with a note, or
/// fails it when `TINTYPE_REQUIRE_TMUX` is set.
fn tmux_present(test: &str) -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("TINTYPE_REQUIRE_TMUX").is_none(),
            "{test}: tmux is not installed, and TINTYPE_REQUIRE_TMUX is set; install tmux"
        );
        eprintln!(
            "note: {test} skipped: tmux is not installed \
             (set TINTYPE_REQUIRE_TMUX=1 to make this a failure)"
        );
    }
    found
}

/// `text` quoted for `sh`.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The binary under test, quoted for `sh`.
fn tintype_bin() -> String {
    quote(env!("CARGO_BIN_EXE_tintype"))
}

/// A tmux server on a socket of its own, running one session of
/// `WIDTH` x `HEIGHT`; killed on drop, so a failed assertion still cleans up.
struct Tmux {
    socket: String,
    /// `TMUX_TMPDIR`, where the socket lives: tmux leaves its socket file
    /// behind when the server exits, and this takes it away.
    sockets: tempfile::TempDir,
}

impl Tmux {
    /// Starts the server with `command` (run by `/bin/sh -c`) in its only
    /// pane, with `TINTYPE_HOME` at `home` and no API keys in the
    /// environment. The pane stays after its process exits, so the last
    /// screen can still be read.
    fn start(test: &str, home: &Path, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("tintype-{test}-{}", std::process::id()),
            sockets: tempfile::tempdir().unwrap(),
        };
        let (width, height) = (WIDTH.to_string(), HEIGHT.to_string());
        let mut start = tmux.command();
        // The server is started by this command, so its environment (which
        // every pane inherits) is this one.
        start
            .env("TINTYPE_HOME", home)
            .env("TERM", "xterm-256color")
            .env("SHELL", "/bin/sh");
        for var in KEY_VARS.iter().chain(&STUDIO_VARS) {
            start.env_remove(var);
        }
        start.args([
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            &width,
            "-y",
            &height,
            command,
            ";",
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
        ]);
        let output = start.output().expect("run tmux new-session");
        assert!(
            output.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        tmux
    }

    /// `tmux -L <socket>`, outside any tmux the tests themselves run in.
    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command
            .arg("-L")
            .arg(&self.socket)
            .env("TMUX_TMPDIR", self.sockets.path())
            .env_remove("TMUX")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux {args:?}: {e}"))
    }

    /// Runs a tmux command that must succeed; says what was on screen if not.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "tmux {args:?} failed: {}\nscreen:\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.capture()
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The pane as text, wrapped lines joined, or why tmux could not say.
    fn capture(&self) -> String {
        let output = self.run(&["capture-pane", "-p", "-J", "-t", SESSION]);
        if output.status.success() {
            String::from_utf8_lossy(&output.stdout).into_owned()
        } else {
            format!(
                "(no screen: tmux capture-pane failed: {})",
                String::from_utf8_lossy(&output.stderr).trim()
            )
        }
    }

    /// A `display-message` format, expanded for the pane.
    fn display(&self, format: &str) -> String {
        self.ok(&["display-message", "-p", "-t", SESSION, format])
            .trim()
            .to_string()
    }

    /// Types `text` literally, as if on the keyboard.
    fn type_text(&self, text: &str) {
        self.ok(&["send-keys", "-t", SESSION, "-l", text]);
    }

    /// Presses one key, by its tmux name (`Escape`, `C-s`, `q`).
    fn press(&self, key: &str) {
        self.ok(&["send-keys", "-t", SESSION, key]);
    }

    /// Polls the screen until `done` holds, and returns that screen; panics
    /// with the last screen after `timeout`.
    fn wait_for(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.capture();
            if done(&screen) {
                return screen;
            }
            if Instant::now() >= deadline {
                let pane = self.run(&[
                    "display-message",
                    "-p",
                    "-t",
                    SESSION,
                    "dead=#{pane_dead} status=#{pane_dead_status} signal=#{pane_dead_signal}",
                ]);
                panic!(
                    "timed out after {timeout:?} waiting for {what} (pane: {}); the screen:\n{screen}",
                    String::from_utf8_lossy(&pane.stdout).trim()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits for the shell that ran the studio to say `EXIT=<status>`,
    /// and returns the screen then.
    fn wait_for_exit(&self, timeout: Duration) -> String {
        self.wait_for("the studio to exit", timeout, |s| {
            s.lines().any(|l| l.starts_with("EXIT="))
        })
    }

    /// Waits for the studio's first frame (the prompt in insert mode), then
    /// for its terminal query to be over (keys typed during the query can
    /// be lost), and checks the top line.
    fn wait_for_studio(&self) -> String {
        let screen = self.wait_for("the studio's first frame", Duration::from_secs(20), |s| {
            s.contains("Prompt") && s.contains("INSERT")
        });
        // The graphics query starts right after the first frame and gives up
        // after 500 ms (tmux answers it at once).
        std::thread::sleep(Duration::from_millis(600));
        assert!(
            screen.starts_with(" tintype   Studio  History  Cost  Compare"),
            "the studio's top line; the screen:\n{screen}"
        );
        screen
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The `tintype` binary with `TINTYPE_HOME` at `home` and no API keys.
fn tintype_cli(home: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("tintype").unwrap();
    cmd.env("TINTYPE_HOME", home);
    for var in KEY_VARS {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn studio_generates_on_the_sandbox_in_tmux() {
    if !tmux_present("studio_generates_on_the_sandbox_in_tmux") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let prompt = "a red fox in the snow";
    // The shell reports the studio's exit status, and keeps the pane open.
    let command = format!("{}; echo EXIT=$?; sleep 60", tintype_bin());
    let tmux = Tmux::start("generates", home.path(), &command);
    tmux.wait_for_studio();

    tmux.type_text(prompt);
    tmux.wait_for("the typed prompt", Duration::from_secs(5), |s| {
        s.contains(prompt)
    });
    tmux.press("C-s");

    // The debug build decodes and previews the image slowly.
    let is_done_row = |line: &str| line.contains('✓') && line.contains(prompt);
    tmux.wait_for("the job to be queued", Duration::from_secs(5), |s| {
        s.contains("queued 1 job") || s.lines().any(is_done_row)
    });
    let screen = tmux.wait_for("the job to succeed", Duration::from_secs(30), |s| {
        s.lines().any(is_done_row)
    });
    let row = screen.lines().find(|l| is_done_row(l)).unwrap();
    assert!(
        row.contains("procedural"),
        "the job row names the model: {row:?}; the screen:\n{screen}"
    );
    assert!(
        !screen.contains('✗'),
        "no job failed; the screen:\n{screen}"
    );

    // Escape to normal mode first: an Escape read together with the `q`
    // would be Alt-q.
    tmux.press("Escape");
    tmux.wait_for("normal mode", Duration::from_secs(5), |s| {
        s.contains("NORMAL")
    });
    tmux.press("q");
    let screen = tmux.wait_for_exit(Duration::from_secs(10));
    assert!(
        screen.lines().any(|l| l.trim_end() == "EXIT=0"),
        "the studio exits with 0; the screen:\n{screen}"
    );
    drop(tmux);

    let output = tintype_cli(home.path())
        .args(["history", "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "tintype history --json: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let history: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = history.as_array().expect("history is a list");
    assert_eq!(rows.len(), 1, "one generation stored: {history:#}");
    let row = &rows[0];
    assert_eq!(row["prompt"], prompt, "{row:#}");
    assert_eq!(row["model"], "sandbox/procedural", "{row:#}");
    assert_eq!(row["status"], "succeeded", "{row:#}");
    let images = row["images"].as_array().expect("images is a list");
    assert_eq!(images.len(), 1, "one image: {row:#}");
    let image = Path::new(images[0].as_str().expect("an image path"));
    assert!(image.is_file(), "the image is on disk: {}", image.display());
}

#[test]
fn quitting_with_q_gives_the_terminal_back() {
    if !tmux_present("quitting_with_q_gives_the_terminal_back") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    // After the studio exits, the shell reports its status and the tty's
    // settings on the normal screen, then keeps the pane open.
    let command = format!(
        "{}; echo EXIT=$?; echo \"STTY $(stty -a | tr '\\n' ' ') STTY-END\"; sleep 60",
        tintype_bin()
    );
    let tmux = Tmux::start("quits", home.path(), &command);
    tmux.wait_for_studio();
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "1",
        "the studio runs on the alternate screen"
    );

    tmux.press("Escape");
    tmux.wait_for("normal mode", Duration::from_secs(5), |s| {
        s.contains("NORMAL")
    });
    tmux.press("q");
    tmux.wait_for_exit(Duration::from_secs(10));
    let screen = tmux.wait_for("the tty's settings", Duration::from_secs(5), |s| {
        s.contains("STTY-END")
    });

    assert!(
        screen.lines().any(|l| l.trim_end() == "EXIT=0"),
        "the studio exits with 0; the screen:\n{screen}"
    );
    assert!(
        !screen.contains(" tintype   Studio"),
        "the studio's screen is gone (the alternate screen was left); the screen:\n{screen}"
    );
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "0",
        "the alternate screen was left; the screen:\n{screen}"
    );
    let stty = screen
        .lines()
        .find(|l| l.starts_with("STTY "))
        .unwrap_or_else(|| panic!("the stty line; the screen:\n{screen}"));
    let flags: Vec<&str> = stty.split_whitespace().collect();
    for flag in ["icanon", "echo"] {
        assert!(
            flags.contains(&flag),
            "raw mode is off: stty reports {flag}; the screen:\n{screen}"
        );
        let off = format!("-{flag}");
        assert!(
            !flags.contains(&off.as_str()),
            "raw mode is off: stty reports {off}; the screen:\n{screen}"
        );
    }
}
