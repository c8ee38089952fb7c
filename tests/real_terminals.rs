//! Pictures checked in real terminals: xterm (sixel) and kitty (kitty
//! graphics) on a private Xvfb display, screenshotted by the shared testbed
//! tools (../shared/tools), and the picture's rectangle scored against the
//! image it should show (above 20 dB PSNR is a faithful picture; text or a
//! wrong image scores far below).
//!
//! `tintype show` is checked in both terminals, and so is the studio: it
//! generates on the sandbox, writes where its pictures went
//! (`TINTYPE_LAYOUT_FILE`), and the large preview's rectangle must hold the
//! generated image. The tests skip when the testbed is not installed, unless
//! `TINTYPE_REQUIRE_TESTBED` is set (as `scripts/test` does after installing
//! it), which makes a missing testbed a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const FAITHFUL_DB: f64 = 20.0;
/// Another picture, or text, in the same rectangle scores below this.
const UNLIKE_DB: f64 = 14.0;

struct Testbed {
    tools: PathBuf,
    dir: tempfile::TempDir,
}

impl Testbed {
    fn new(test: &str) -> Option<Testbed> {
        let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools");
        let missing: Vec<&str> = ["Xvfb", "xterm", "kitty", "convert", "compare", "xdotool"]
            .into_iter()
            .filter(|tool| !on_path(tool))
            .collect();
        if !tools.join("term-shot.sh").exists() || !missing.is_empty() {
            let why = format!(
                "{test}: the terminal testbed is missing ({}; run ../shared/tools/install-testbed.sh)",
                if missing.is_empty() {
                    "../shared/tools".to_string()
                } else {
                    missing.join(", ")
                }
            );
            assert!(
                std::env::var_os("TINTYPE_REQUIRE_TESTBED").is_none(),
                "{why}"
            );
            eprintln!("skipped: {why}");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let made = Command::new("bash")
            .arg(tools.join("make-test-images.sh"))
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        Some(Testbed { tools, dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `command` in `terminal` (xterm or kitty) with the shot options
    /// `options`; returns the screenshot and the cell size in pixels.
    fn shot(
        &self,
        terminal: &str,
        name: &str,
        options: &[&str],
        command: &[&str],
    ) -> (PathBuf, (u32, u32)) {
        let out = self.path(&format!("{name}.png"));
        let cells = self.path(&format!("{name}.cells"));
        let status = Command::new("bash")
            .arg(self.tools.join(format!("{terminal}-shot.sh")))
            .args(["-C", cells.to_str().unwrap()])
            .args(options)
            .arg(&out)
            .arg("--")
            .args(command)
            .output()
            .unwrap();
        assert!(
            status.status.success() && out.exists(),
            "{terminal}-shot failed: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        let geometry = std::fs::read_to_string(&cells).unwrap();
        let fields: Vec<u32> = geometry
            .split_whitespace()
            .map(|f| f.parse().unwrap())
            .collect();
        (out, (fields[4], fields[5]))
    }

    /// PSNR of `rect` (WxH+X+Y) of `shot` against `reference`; 0 when the
    /// rectangle is blank.
    fn score(&self, shot: &Path, reference: &Path, rect: &str) -> f64 {
        let output = Command::new("bash")
            .arg(self.tools.join("shot-compare.sh"))
            .arg(shot)
            .arg(reference)
            .arg(rect)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        if text.starts_with("blank") {
            return 0.0;
        }
        text.split_whitespace()
            .next()
            .and_then(|psnr| psnr.parse().ok())
            .unwrap_or_else(|| panic!("shot-compare said {text:?}"))
    }

    /// A shell script running tintype with a private home and no keys (and
    /// no `TMUX` from the host, unless it runs inside the test's own tmux).
    fn launcher(&self, name: &str, args: &str, env: &[(&str, &Path)]) -> PathBuf {
        self.launcher_in(name, args, env, false)
    }

    fn launcher_in(&self, name: &str, args: &str, env: &[(&str, &Path)], tmux: bool) -> PathBuf {
        let mut script = String::from("#!/bin/sh\n");
        for var in [
            "OPENAI_API_KEY",
            "REPLICATE_API_TOKEN",
            "STABILITY_API_KEY",
            "GEMINI_API_KEY",
            "GOOGLE_API_KEY",
            "REMOVE_BG_API_KEY",
            "TINTYPE_GRAPHICS",
            "TMUX",
        ] {
            if var == "TMUX" && tmux {
                continue;
            }
            script.push_str(&format!("unset {var}\n"));
        }
        script.push_str(&format!(
            "export TINTYPE_HOME='{}'\n",
            self.path("home").display()
        ));
        for (var, value) in env {
            script.push_str(&format!("export {var}='{}'\n", value.display()));
        }
        script.push_str(&format!(
            "exec '{}' {args}\n",
            env!("CARGO_BIN_EXE_tintype")
        ));
        let path = self.path(name);
        std::fs::write(&path, script).unwrap();
        Command::new("chmod").arg("+x").arg(&path).status().unwrap();
        path
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

fn show(terminal: &str, protocol: &str) {
    let Some(bed) = Testbed::new(&format!("show in {terminal}")) else {
        return;
    };
    let image = bed.path("test-1024x1024.png");
    // The same picture upside down: alike in colours, not in place.
    let other = bed.path("flipped.png");
    image::open(&image).unwrap().flipv().save(&other).unwrap();
    let args = format!(
        "show --protocol {protocol} --cells 40x20 '{}'",
        image.display()
    );
    let launcher = bed.launcher("show.sh", &args, &[]);
    let (shot, (cell_w, cell_h)) = bed.shot(terminal, "show", &[], &[launcher.to_str().unwrap()]);
    // A square image in 40x20 cells fills 40 columns, square.
    let side = 40 * cell_w;
    assert!(20 * cell_h >= side, "cells of {cell_w}x{cell_h}");
    let rect = format!("{side}x{side}+0+0");
    let faithful = bed.score(&shot, &image, &rect);
    let unlike = bed.score(&shot, &other, &rect);
    eprintln!("{terminal} {protocol}: the image {faithful} dB, flipped {unlike} dB");
    assert!(
        faithful > FAITHFUL_DB,
        "{terminal}: the image scores {faithful} dB"
    );
    assert!(
        unlike < UNLIKE_DB,
        "{terminal}: another image scores {unlike} dB"
    );
}

#[test]
fn show_draws_a_faithful_sixel_in_xterm() {
    show("xterm", "sixel");
}

#[test]
fn show_draws_a_faithful_kitty_image_in_kitty() {
    show("kitty", "kitty");
}

/// Opens the studio in `terminal` (protocol detected, not configured),
/// types a prompt and Ctrl-s, and checks the large preview.
fn studio(terminal: &str) {
    let Some(bed) = Testbed::new(&format!("studio in {terminal}")) else {
        return;
    };
    let layout = bed.path("layout.json");
    let launcher = bed.launcher("studio.sh", "", &[("TINTYPE_LAYOUT_FILE", &layout)]);
    // One group of keys (the shot settles after each group): type a prompt,
    // then Ctrl-s. The sandbox takes 0.4 s; the rest is slack for a loaded
    // machine.
    let options = ["-W", "-t", "5", "-k", "a space f o x ctrl+s", "-s", "8"];
    let (shot, (cell_w, cell_h)) =
        bed.shot(terminal, "studio", &options, &[launcher.to_str().unwrap()]);

    let layout: Value = serde_json::from_str(&std::fs::read_to_string(&layout).unwrap()).unwrap();
    let pictures = layout["pictures"].as_array().unwrap();
    let large = pictures
        .iter()
        .max_by_key(|p| p["cols"].as_u64().unwrap() * p["rows"].as_u64().unwrap())
        .unwrap_or_else(|| panic!("{terminal}: the studio drew no picture: {layout}"));
    let source = PathBuf::from(large["source"].as_str().unwrap());
    assert!(source.starts_with(bed.path("home")), "{}", source.display());
    let (width, height) = image::image_dimensions(&source).unwrap();
    let at = |key: &str| u32::try_from(large[key].as_u64().unwrap()).unwrap();
    // The picture fitted into its cells, from their top-left corner.
    let (box_w, box_h) = (at("cols") * cell_w, at("rows") * cell_h);
    let scale = f64::min(
        f64::from(box_w) / f64::from(width),
        f64::from(box_h) / f64::from(height),
    );
    let (w, h) = (
        (f64::from(width) * scale).floor(),
        (f64::from(height) * scale).floor(),
    );
    let rect = format!("{w}x{h}+{}+{}", at("x") * cell_w, at("y") * cell_h);
    let faithful = bed.score(&shot, &source, &rect);
    eprintln!("{terminal} studio: the preview at {rect} {faithful} dB");
    assert!(
        faithful > FAITHFUL_DB,
        "{terminal}: the preview at {rect} scores {faithful} dB"
    );
    // The same-sized rectangle over the parameter form is text, not it.
    let text = format!("{w}x{h}+{}+{}", cell_w, 12 * cell_h);
    let unlike = bed.score(&shot, &source, &text);
    eprintln!("{terminal} studio: the form at {text} {unlike} dB");
    assert!(
        unlike < UNLIKE_DB,
        "{terminal}: text at {text} scores {unlike} dB"
    );
}

#[test]
fn the_studio_previews_the_generated_image_in_xterm() {
    studio("xterm");
}

#[test]
fn the_studio_previews_the_generated_image_in_kitty() {
    studio("kitty");
}

/// Inside tmux (3.3, no sixel of its own) in xterm: `show` turns tmux's
/// passthrough on and wraps the sixel for it, and the picture lands in the
/// pane (at the window's top-left: the pane is the whole window above
/// tmux's status line).
#[test]
fn show_passes_sixel_through_tmux_in_xterm() {
    let Some(bed) = Testbed::new("show in tmux in xterm") else {
        return;
    };
    let image = bed.path("test-1024x1024.png");
    let show = bed.launcher_in(
        "show.sh",
        &format!("show --protocol sixel --cells 40x20 '{}'", image.display()),
        &[],
        true,
    );
    let sockets = bed.path("tmux");
    std::fs::create_dir_all(&sockets).unwrap();
    let mut script = String::from("#!/bin/sh\n");
    script.push_str(&format!("export TMUX_TMPDIR='{}'\n", sockets.display()));
    // The pane holds the picture a while; the shot is taken meanwhile.
    script.push_str(&format!(
        "exec tmux -f /dev/null new-session -x 120 -y 40 \"'{}'; sleep 6\"\n",
        show.display()
    ));
    let inside = bed.path("in-tmux.sh");
    std::fs::write(&inside, script).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&inside)
        .status()
        .unwrap();
    let (shot, (cell_w, _)) = bed.shot(
        "xterm",
        "tmux",
        &["-W", "-t", "4"],
        &[inside.to_str().unwrap()],
    );
    let side = 40 * cell_w;
    let faithful = bed.score(&shot, &image, &format!("{side}x{side}+0+0"));
    eprintln!("tmux in xterm: the image {faithful} dB");
    assert!(
        faithful > FAITHFUL_DB,
        "inside tmux the image scores {faithful} dB"
    );
}
