//! The terminal the studio borrows: raw mode, the alternate screen and
//! bracketed paste on the way in, all undone on the way out — on quit, on a
//! panic (before the panic message prints), on SIGTERM and SIGHUP, and
//! around Ctrl-z and $EDITOR. Keys are read on their own thread, which
//! pauses while another program owns the terminal.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ratatui::crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};
use tokio::sync::mpsc::UnboundedSender;

use super::msg::Msg;

pub fn enter() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )
}

/// Puts the terminal back. Safe to call twice, and when the terminal is gone.
pub fn leave() {
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = io::stdout().flush();
}

/// Restores the terminal before the default hook prints the panic, so the
/// message lands on a usable screen.
pub fn restore_on_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave();
        previous(info);
    }));
}

/// Ctrl-z: give the terminal back, stop until `fg`, then take it again.
pub fn suspend(keys: &KeyReader) -> io::Result<()> {
    keys.pause();
    leave();
    // SAFETY: raising a signal in our own process has no memory effects; the
    // default SIGTSTP action stops the process until SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    enter()?;
    keys.resume();
    Ok(())
}

/// Reads terminal events on a thread of its own and sends them as messages.
pub struct KeyReader {
    paused: Arc<AtomicBool>,
    idle: Arc<AtomicBool>,
}

impl KeyReader {
    pub fn spawn(tx: UnboundedSender<Msg>) -> KeyReader {
        let paused = Arc::new(AtomicBool::new(false));
        let idle = Arc::new(AtomicBool::new(false));
        let (p, i) = (Arc::clone(&paused), Arc::clone(&idle));
        std::thread::Builder::new()
            .name("tintype-keys".into())
            .spawn(move || read_events(&tx, &p, &i))
            .ok();
        KeyReader { paused, idle }
    }

    /// Stops reading (another program is about to own the terminal) and
    /// waits until the reader is between polls, so it steals no keystroke.
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
        for _ in 0..50 {
            if self.idle.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn resume(&self) {
        self.idle.store(false, Ordering::SeqCst);
        self.paused.store(false, Ordering::SeqCst);
    }
}

fn read_events(tx: &UnboundedSender<Msg>, paused: &AtomicBool, idle: &AtomicBool) {
    loop {
        if paused.load(Ordering::SeqCst) {
            idle.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        match event::poll(Duration::from_millis(50)) {
            Ok(false) => continue,
            Ok(true) => {}
            // The terminal is gone (SSH dropped): SIGHUP handles the rest.
            Err(_) => return,
        }
        let msg = match event::read() {
            Ok(Event::Key(key)) => Msg::Key(key),
            Ok(Event::Paste(text)) => Msg::Paste(text),
            Ok(Event::Resize(..)) => Msg::Resize,
            Ok(_) => continue,
            Err(_) => return,
        };
        if tx.send(msg).is_err() {
            return;
        }
    }
}

/// Writes `text` to the system clipboard through the terminal (OSC 52),
/// which also works over SSH; inside tmux the sequence is passed through.
pub fn copy_to_clipboard(text: &str) -> io::Result<()> {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let sequence = format!("\x1b]52;c;{encoded}\x07");
    let tmux = std::env::var_os("TMUX").is_some();
    let mut out = io::stdout();
    out.write_all(crate::preview::encode::for_tmux(&sequence, tmux).as_bytes())?;
    out.flush()
}

/// Runs $VISUAL or $EDITOR (else `vi`) on the prompt in a temporary file and
/// returns what was saved.
pub fn edit_externally(keys: &KeyReader, text: &str) -> Result<String, String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    let file = tempfile::Builder::new()
        .prefix("tintype-prompt-")
        .suffix(".txt")
        .tempfile()
        .map_err(|e| format!("cannot create a file for $EDITOR: {e}"))?;
    std::fs::write(file.path(), text)
        .map_err(|e| format!("cannot write {}: {e}", file.path().display()))?;
    keys.pause();
    leave();
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(words)
        .arg(file.path())
        .status();
    let entered = enter();
    keys.resume();
    entered.map_err(|e| format!("cannot take the terminal back: {e}"))?;
    match status {
        Ok(status) if status.success() => std::fs::read_to_string(file.path())
            .map_err(|e| format!("cannot read what {program} saved: {e}")),
        Ok(status) => Err(format!(
            "{program} exited with {status}; the prompt is unchanged"
        )),
        Err(e) => Err(format!("cannot run {program} ($EDITOR): {e}")),
    }
}
