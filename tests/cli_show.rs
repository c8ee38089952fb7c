//! `tintype show`: one image, by generation id or path, to stdout in the
//! protocol and cell box asked for; clear errors for what cannot be shown.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

struct Home(tempfile::TempDir);

impl Home {
    fn new() -> Home {
        Home(tempfile::tempdir().unwrap())
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("tintype").unwrap();
        // Nothing from the host's terminal or keys: not a terminal here.
        cmd.env_clear()
            .env("TINTYPE_HOME", self.0.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        cmd
    }

    /// A sandbox generation of `n` images of 48x32; its request id.
    fn generate(&self, n: &str) -> i64 {
        let output = self
            .cmd()
            .args([
                "gen",
                "--json",
                "-q",
                "--size",
                "48x32",
                "-p",
                "latency_ms=0",
                "-n",
                n,
                "a fox",
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let result: Value = serde_json::from_slice(&output.stdout).unwrap();
        result["request_id"].as_i64().unwrap()
    }

    fn show(&self, args: &[&str]) -> String {
        let output = self.cmd().arg("show").args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }
}

/// The width and height a sixel image declares.
fn sixel_size(out: &str) -> (u32, u32) {
    let raster = out.split("\"1;1;").nth(1).unwrap();
    let mut fields = raster.split(|c: char| !c.is_ascii_digit());
    (
        fields.next().unwrap().parse().unwrap(),
        fields.next().unwrap().parse().unwrap(),
    )
}

#[test]
fn a_file_is_fitted_into_the_cells_asked_for() {
    let home = Home::new();
    let file = home.0.path().join("wide.png");
    image::RgbImage::from_fn(300, 100, |x, _| image::Rgb([x as u8, 40, 90]))
        .save(&file)
        .unwrap();
    let file = file.to_str().unwrap();
    // 10x20-pixel cells unless the terminal says otherwise: 200x200 px box.
    let sixel = home.show(&[file, "--protocol", "sixel", "--cells", "20x10"]);
    assert!(sixel.starts_with("\x1bP0;1;0q"));
    assert!(sixel.ends_with("\x1b\\\n"));
    assert_eq!(sixel_size(&sixel), (200, 66));

    let kitty = home.show(&[file, "--protocol", "kitty", "--cells", "20x10"]);
    assert!(kitty.starts_with("\x1b_Ga=T,f=100,i="), "{}", &kitty[..40]);
    assert!(kitty.contains(",c=20,r=4,q=2,m=0;"), "{}", &kitty[..60]);

    let iterm = home.show(&[file, "--protocol", "iterm2", "--cells", "20x10"]);
    assert!(iterm.starts_with("\x1b]1337;File=inline=1;size="));

    // Not a terminal and nothing configured: half blocks, 20 cells wide.
    let blocks = home.show(&[file, "--cells", "20x10"]);
    let first_line = blocks.lines().next().unwrap();
    assert_eq!(first_line.matches('▀').count(), 20);
    // 20 pixels wide makes 6 high: three lines of two.
    assert_eq!(blocks.lines().count(), 3);
}

#[test]
fn a_generation_id_shows_its_images() {
    let home = Home::new();
    let request = home.generate("2").to_string();
    let first = home.show(&[&request, "--protocol", "sixel", "--cells", "24x8"]);
    assert_eq!(sixel_size(&first), (240, 160));
    let second = home.show(&[
        &format!("{request}:2"),
        "--protocol",
        "sixel",
        "--cells",
        "24x8",
    ]);
    assert_ne!(first, second, "the second image is another picture");
    home.cmd()
        .args(["show", &format!("{request}:3"), "--protocol", "sixel"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "has 2 image(s); there is no image 3",
        ));
}

#[test]
fn what_cannot_be_shown_says_why() {
    let home = Home::new();
    home.cmd()
        .args(["show", "77", "--protocol", "sixel"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("generation 77 has no images"));
    home.cmd()
        .args(["show", "no-such.png"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no such file, and not a generation id",
        ));
    let file = home.0.path().join("a.png");
    image::RgbImage::new(4, 4).save(&file).unwrap();
    home.cmd()
        .args(["show", file.to_str().unwrap(), "--protocol", "bogus"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "use kitty, sixel, iterm2 or halfblocks",
        ));
    home.cmd()
        .args(["show", file.to_str().unwrap(), "--cells", "0x5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "each side must be 1 to 1000 cells",
        ));
    let broken = home.0.path().join("broken.png");
    std::fs::write(&broken, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    home.cmd()
        .args(["show", broken.to_str().unwrap(), "--protocol", "sixel"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot decode"));
}
