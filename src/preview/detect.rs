//! Which graphics protocol the terminal speaks, and its cell size in pixels:
//! a config override wins; otherwise the terminal is asked (kitty graphics
//! query, cell-size report, then primary device attributes, which every
//! terminal answers, so the wait ends as soon as the answers are in), with
//! environment hints as the fallback. Inside tmux, passthrough is enabled and
//! the kitty query is wrapped for it.

use std::io::Write;
use std::time::{Duration, Instant};

use ratatui_image::picker::{Picker, ProtocolType};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Graphics {
    Kitty,
    Sixel,
    Iterm2,
    Halfblocks,
    /// No pictures at all (`graphics = "none"`).
    Off,
}

impl Graphics {
    pub fn parse(text: &str) -> Option<Graphics> {
        match text.trim().to_ascii_lowercase().as_str() {
            "kitty" => Some(Graphics::Kitty),
            "sixel" => Some(Graphics::Sixel),
            "iterm2" | "iterm" => Some(Graphics::Iterm2),
            "halfblocks" | "blocks" => Some(Graphics::Halfblocks),
            "none" | "off" => Some(Graphics::Off),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Graphics::Kitty => "kitty",
            Graphics::Sixel => "sixel",
            Graphics::Iterm2 => "iterm2",
            Graphics::Halfblocks => "halfblocks",
            Graphics::Off => "none",
        }
    }
}

/// What was found, and why: `tintype doctor` prints the reasons.
#[derive(Clone, Debug)]
pub struct Detected {
    pub graphics: Graphics,
    /// Pixels per cell (width, height), as reported or assumed.
    pub cell: (u16, u16),
    pub tmux: bool,
    /// tmux itself draws sixel (3.4+ built with it): it lists sixel in the
    /// device attributes it answers for the outer terminal.
    pub tmux_sixel: bool,
    pub ssh: bool,
    pub reasons: Vec<String>,
}

impl Detected {
    /// The ratatui-image picker for this protocol and cell size (it wraps
    /// sequences for tmux itself when `TMUX`/`TERM` say so).
    pub fn picker(&self) -> Picker {
        #[allow(deprecated)] // the supported way to give a known cell size
        let mut picker = Picker::from_fontsize(self.cell);
        picker.set_protocol_type(match self.graphics {
            Graphics::Kitty => ProtocolType::Kitty,
            Graphics::Sixel => ProtocolType::Sixel,
            Graphics::Iterm2 => ProtocolType::Iterm2,
            Graphics::Halfblocks | Graphics::Off => ProtocolType::Halfblocks,
        });
        picker
    }
}

/// Terminal answers parsed from the bytes read back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answers {
    pub kitty: bool,
    pub sixel: bool,
    pub cell: Option<(u16, u16)>,
    /// The device-attributes answer came: nothing more is coming.
    pub done: bool,
}

/// Reads terminal answers out of `bytes` (anything else is ignored).
pub fn parse_answers(bytes: &[u8]) -> Answers {
    let text = String::from_utf8_lossy(bytes);
    let mut answers = Answers::default();
    if text.contains("\x1b_Gi=31;OK") {
        answers.kitty = true;
    }
    let mut rest = text.as_ref();
    while let Some(at) = rest.find("\x1b[") {
        rest = &rest[at + 2..];
        let end = rest
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let (params, tail) = rest.split_at(end);
        match tail.chars().next() {
            Some('c') if params.starts_with('?') => {
                answers.done = true;
                answers.sixel |= params[1..].split(';').any(|p| p == "4");
            }
            Some('t') => {
                let fields: Vec<u16> = params.split(';').filter_map(|p| p.parse().ok()).collect();
                if let [6, height, width] = fields[..]
                    && width > 0
                    && height > 0
                {
                    answers.cell = Some((width, height));
                }
            }
            _ => {}
        }
    }
    answers
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub fn in_tmux() -> bool {
    env("TMUX").is_some() || env("TERM").is_some_and(|t| t.starts_with("tmux"))
}

/// How long `detect` waits for the terminal's answers, studio and doctor
/// alike: a local terminal answers at once, one behind SSH within a few
/// round trips.
pub const QUERY_TIMEOUT: Duration = Duration::from_millis(500);

/// Whether `detect` would ask the terminal: only when no protocol is set
/// (or it is set to `auto`).
pub fn asks_terminal(configured: Option<&str>) -> bool {
    configured.is_none_or(|c| c == "auto")
}

/// Raw mode while it lives: the terminal's answers must arrive unechoed and
/// without waiting for Enter, and the terminal must come back however the
/// detection ends.
pub struct RawMode;

impl RawMode {
    pub fn enter() -> std::io::Result<RawMode> {
        ratatui::crossterm::terminal::enable_raw_mode()?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = ratatui::crossterm::terminal::disable_raw_mode();
    }
}

/// Decides the protocol. `configured` is config.toml's `graphics` (or
/// `TINTYPE_GRAPHICS`); `ask` queries the terminal (it must be in raw mode
/// and nothing else may be reading it).
pub fn detect(configured: Option<&str>, ask: bool, timeout: Duration) -> Detected {
    let tmux = in_tmux();
    let ssh = env("SSH_CONNECTION").is_some() || env("SSH_TTY").is_some();
    let mut reasons = Vec::new();
    if tmux {
        reasons.push("inside tmux: passthrough enabled, sequences wrapped".into());
        let _ = std::process::Command::new("tmux")
            .args(["set", "-p", "allow-passthrough", "on"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
    if ssh {
        reasons.push("over SSH (SSH_CONNECTION): every image byte crosses the network".into());
    }
    let forced = configured
        .filter(|c| !asks_terminal(Some(c)))
        .map(|c| (c, Graphics::parse(c)));
    let asked = ask && forced.is_none();
    let answers = if asked {
        query(tmux, timeout)
    } else {
        Answers::default()
    };
    let cell = answers.cell.unwrap_or((10, 20));
    reasons.push(match answers.cell {
        Some((w, h)) => format!("cell size {w}x{h} px, as the terminal reported"),
        None => "cell size assumed 10x20 px (the terminal did not say)".into(),
    });
    let graphics = match forced {
        Some((_, Some(graphics))) => {
            reasons.push(format!(
                "graphics = {} in config (or TINTYPE_GRAPHICS)",
                graphics.name()
            ));
            graphics
        }
        Some((text, None)) => {
            reasons.push(format!("graphics = {text:?} is not auto, kitty, sixel, iterm2, halfblocks or none; using halfblocks"));
            Graphics::Halfblocks
        }
        None => from_answers_and_env(&answers, tmux, asked, &mut reasons),
    };
    // Inside tmux the device attributes are tmux's own.
    let tmux_sixel = tmux && answers.sixel;
    if tmux_sixel && graphics == Graphics::Sixel {
        reasons.push("tmux draws sixel itself: sent to tmux, not passed through".into());
    }
    Detected {
        graphics,
        cell,
        tmux,
        tmux_sixel,
        ssh,
        reasons,
    }
}

fn from_answers_and_env(
    answers: &Answers,
    tmux: bool,
    asked: bool,
    reasons: &mut Vec<String>,
) -> Graphics {
    if answers.kitty {
        reasons.push("the terminal answered the kitty graphics query".into());
        return Graphics::Kitty;
    }
    if answers.sixel {
        reasons.push("the terminal lists sixel (4) in its device attributes".into());
        return Graphics::Sixel;
    }
    let program = env("TERM_PROGRAM").unwrap_or_default();
    if ["iTerm.app", "WezTerm", "vscode", "mintty", "Tabby", "rio"]
        .iter()
        .any(|p| program.contains(p))
        || env("ITERM_SESSION_ID").is_some()
    {
        reasons.push(format!(
            "TERM_PROGRAM={program} speaks the iTerm2 image protocol"
        ));
        return Graphics::Iterm2;
    }
    // A stale KITTY_WINDOW_ID survives into tmux sessions: trust it only outside.
    if !tmux
        && (env("KITTY_WINDOW_ID").is_some() || env("TERM").is_some_and(|t| t.contains("kitty")))
    {
        reasons.push("KITTY_WINDOW_ID / TERM=xterm-kitty".into());
        return Graphics::Kitty;
    }
    reasons.push(if !asked {
        "the terminal was not asked and no environment hint names a protocol: half blocks".into()
    } else if answers.done {
        "no graphics protocol in the terminal's answers: half blocks".into()
    } else {
        "the terminal did not answer in time: half blocks".into()
    });
    Graphics::Halfblocks
}

/// The cell size from the terminal's window size in pixels, when it sets
/// one (kitty, xterm, `WezTerm`, tmux ≥ 3.3 do): no round trip needed.
/// The standard streams' terminal, not crossterm's `window_size` (which
/// opens /dev/tty): a `show` with no terminal attached keeps the assumed
/// cell whatever terminal the process was started from.
pub fn winsize_cell() -> Option<(u16, u16)> {
    [1, 0, 2].into_iter().find_map(|fd| {
        let mut size = libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCGWINSZ fills the winsize it is given.
        let ok = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &raw mut size) } == 0;
        (ok && size.ws_col > 0 && size.ws_row > 0 && size.ws_xpixel > 0 && size.ws_ypixel > 0)
            .then(|| (size.ws_xpixel / size.ws_col, size.ws_ypixel / size.ws_row))
            .filter(|(w, h)| *w > 0 && *h > 0)
    })
}

/// Asks the terminal on stdin/stdout; stops at the device-attributes answer
/// or the timeout.
fn query(tmux: bool, timeout: Duration) -> Answers {
    let kitty = super::encode::for_tmux("\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\", tmux);
    let mut out = std::io::stdout();
    if out
        .write_all(format!("{kitty}\x1b[16t\x1b[c").as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return Answers::default();
    }
    let deadline = Instant::now() + timeout;
    let mut bytes = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let mut poll = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1);
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&raw mut poll, 1, millis) };
        if ready <= 0 {
            break;
        }
        let mut buf = [0u8; 512];
        // SAFETY: reading into a stack buffer of the length given.
        let read = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        let Ok(read) = usize::try_from(read) else {
            break;
        };
        if read == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..read]);
        if parse_answers(&bytes).done {
            break;
        }
    }
    parse_answers(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kitty_sixel_and_cell_size_answers() {
        let xterm = parse_answers(b"\x1b[6;20;10t\x1b[?63;1;2;4;6;9;15;22c");
        assert_eq!(
            xterm,
            Answers {
                kitty: false,
                sixel: true,
                cell: Some((10, 20)),
                done: true
            }
        );
        let kitty = parse_answers(b"\x1b_Gi=31;OK\x1b\\\x1b[6;37;18t\x1b[?62;c");
        assert_eq!(
            kitty,
            Answers {
                kitty: true,
                sixel: false,
                cell: Some((18, 37)),
                done: true
            }
        );
        let tmux = parse_answers(b"\x1b[?1;2c");
        assert!(tmux.done && !tmux.sixel && !tmux.kitty && tmux.cell.is_none());
        assert!(!parse_answers(b"\x1b[6;20;10t").done);
    }

    #[test]
    fn a_configured_protocol_wins_without_asking() {
        let detected = detect(Some("sixel"), false, Duration::ZERO);
        assert_eq!(detected.graphics, Graphics::Sixel);
        assert!(detected.reasons.iter().any(|r| r.contains("config")));
        assert_eq!(
            detect(Some("none"), false, Duration::ZERO).graphics,
            Graphics::Off
        );
        assert_eq!(
            detect(Some("bogus"), false, Duration::ZERO).graphics,
            Graphics::Halfblocks
        );
    }
}
