//! Keys to actions, per pane. Defaults follow lazygit and gitui habits; the
//! config file's `[keys.<pane>]` tables rebind actions by name, replacing only
//! the actions they name. A bad entry is warned about and skipped.

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::action::Action;
use super::keymap_defaults::defaults;

/// Where a binding applies. `Global` is consulted after the focused pane's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyContext {
    Global,
    Prompt,
    Params,
    Jobs,
    Gallery,
    History,
    Cost,
    Compare,
}

impl KeyContext {
    pub const ALL: [KeyContext; 8] = [
        KeyContext::Global,
        KeyContext::Prompt,
        KeyContext::Params,
        KeyContext::Jobs,
        KeyContext::Gallery,
        KeyContext::History,
        KeyContext::Cost,
        KeyContext::Compare,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::Prompt => "prompt",
            KeyContext::Params => "params",
            KeyContext::Jobs => "jobs",
            KeyContext::Gallery => "gallery",
            KeyContext::History => "history",
            KeyContext::Cost => "cost",
            KeyContext::Compare => "compare",
        }
    }
}

/// One key with its modifiers, as written in config: `q`, `ctrl-s`, `shift-tab`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Chord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Chord {
    pub fn from_event(event: &KeyEvent) -> Chord {
        let mut mods =
            event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let mut code = event.code;
        // Terminals report `?` as shift+`?` or plain `?`; an upper-case letter
        // as shift+`A` or `A`. Bind on the character alone.
        if let KeyCode::Char(c) = code {
            if !c.is_ascii_lowercase() || mods.contains(KeyModifiers::SHIFT) {
                mods.remove(KeyModifiers::SHIFT);
            }
            if c.is_ascii_lowercase() && event.modifiers.contains(KeyModifiers::SHIFT) {
                code = KeyCode::Char(c.to_ascii_uppercase());
            }
        }
        if code == KeyCode::BackTab {
            mods.remove(KeyModifiers::SHIFT);
        }
        Chord { code, mods }
    }

    pub fn parse(text: &str) -> Result<Chord, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            let (prefix, flag) = if lower.starts_with("ctrl-") {
                ("ctrl-", KeyModifiers::CONTROL)
            } else if lower.starts_with("alt-") {
                ("alt-", KeyModifiers::ALT)
            } else if lower.starts_with("shift-") && rest.len() > 6 {
                ("shift-", KeyModifiers::SHIFT)
            } else {
                break;
            };
            mods |= flag;
            rest = &rest[prefix.len()..];
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        let c = if mods.contains(KeyModifiers::SHIFT) {
                            mods.remove(KeyModifiers::SHIFT);
                            c.to_ascii_uppercase()
                        } else if mods.contains(KeyModifiers::CONTROL) {
                            c.to_ascii_lowercase()
                        } else {
                            c
                        };
                        KeyCode::Char(c)
                    }
                    _ => {
                        return Err(format!(
                            "`{text}` is not a key (try `q`, `ctrl-s`, `shift-tab`, `f5`)"
                        ));
                    }
                }
            }
        };
        Ok(Chord { code, mods })
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("del"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Keymap {
    bindings: BTreeMap<KeyContext, Vec<(Chord, Action)>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings = BTreeMap::new();
        for context in KeyContext::ALL {
            let list = defaults(context)
                .into_iter()
                .filter_map(|(key, action)| Chord::parse(key).ok().map(|c| (c, action)))
                .collect();
            bindings.insert(context, list);
        }
        Keymap { bindings }
    }
}

impl Keymap {
    /// Defaults with the config file's `[keys.<pane>] action = "key"` (or a
    /// list of keys) applied; returns the warnings for entries it skipped.
    pub fn with_overrides(
        overrides: &BTreeMap<String, BTreeMap<String, toml::Value>>,
    ) -> (Keymap, Vec<String>) {
        let mut keymap = Keymap::default();
        let mut warnings = Vec::new();
        for (pane, table) in overrides {
            let Some(context) = KeyContext::ALL.into_iter().find(|c| c.name() == pane) else {
                let known: Vec<&str> = KeyContext::ALL.iter().map(|c| c.name()).collect();
                warnings.push(format!(
                    "[keys.{pane}]: no such pane (panes: {})",
                    known.join(", ")
                ));
                continue;
            };
            for (name, keys) in table {
                let Ok(action) = Action::deserialize(toml::Value::String(name.clone())) else {
                    warnings.push(format!("[keys.{pane}] {name}: no such action"));
                    continue;
                };
                let texts: Vec<&str> = match keys {
                    toml::Value::String(one) => vec![one.as_str()],
                    toml::Value::Array(many) => {
                        many.iter().filter_map(toml::Value::as_str).collect()
                    }
                    _ => Vec::new(),
                };
                let mut chords = Vec::new();
                for text in texts {
                    match Chord::parse(text) {
                        Ok(chord) => chords.push(chord),
                        Err(why) => warnings.push(format!("[keys.{pane}] {name}: {why}")),
                    }
                }
                if chords.is_empty() {
                    continue;
                }
                let list = keymap.bindings.entry(context).or_default();
                list.retain(|(chord, bound)| *bound != action && !chords.contains(chord));
                for chord in chords.into_iter().rev() {
                    list.insert(0, (chord, action));
                }
            }
        }
        (keymap, warnings)
    }

    /// The focused pane's binding for this key, else the global one.
    pub fn action(&self, context: KeyContext, event: &KeyEvent) -> Option<Action> {
        let chord = Chord::from_event(event);
        let find = |context| {
            self.bindings
                .get(&context)
                .and_then(|list| list.iter().find(|(c, _)| *c == chord).map(|(_, a)| *a))
        };
        find(context).or_else(|| find(KeyContext::Global))
    }

    /// The keys bound to each action in this context, in binding order.
    pub fn listing(&self, context: KeyContext) -> Vec<(String, Action)> {
        let mut seen: Vec<(String, Action)> = Vec::new();
        for (chord, action) in self.bindings.get(&context).into_iter().flatten() {
            if let Some(entry) = seen.iter_mut().find(|(_, a)| a == action) {
                entry.0.push_str(&format!(", {chord}"));
            } else {
                seen.push((chord.to_string(), *action));
            }
        }
        seen
    }

    /// The first key bound to `action` (for hints in titles), if any.
    pub fn key_for(&self, context: KeyContext, action: Action) -> Option<String> {
        [context, KeyContext::Global]
            .into_iter()
            .find_map(|context| {
                self.bindings
                    .get(&context)?
                    .iter()
                    .find(|(_, a)| *a == action)
                    .map(|(c, _)| c.to_string())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn parses_and_prints_chords() {
        for text in ["q", "ctrl-s", "shift-tab", "f5", "enter", "G", "?", "alt-x"] {
            let chord = Chord::parse(text).unwrap();
            assert_eq!(
                chord,
                Chord::parse(&chord.to_string().replace('↑', "up")).unwrap()
            );
        }
        assert!(Chord::parse("ctrl-").is_err());
        assert!(Chord::parse("hyper").is_err());
    }

    #[test]
    fn pane_bindings_win_over_global_ones() {
        let keymap = Keymap::default();
        let x = key(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(keymap.action(KeyContext::Jobs, &x), Some(Action::CancelJob));
        assert_eq!(keymap.action(KeyContext::Gallery, &x), Some(Action::Reject));
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(keymap.action(KeyContext::Gallery, &q), Some(Action::Quit));
        let shift_g = key(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(
            keymap.action(KeyContext::Jobs, &shift_g),
            Some(Action::Bottom)
        );
        let backtab = key(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(
            keymap.action(KeyContext::Jobs, &backtab),
            Some(Action::PrevPane)
        );
    }

    #[test]
    fn review_keys_do_not_clash_with_hjkl() {
        let keymap = Keymap::default();
        for c in ['h', 'j', 'k', 'l'] {
            let action = keymap.action(
                KeyContext::Gallery,
                &key(KeyCode::Char(c), KeyModifiers::NONE),
            );
            assert!(matches!(
                action,
                Some(Action::Left | Action::Down | Action::Up | Action::Right)
            ));
        }
    }

    #[test]
    fn config_rebinds_by_name_and_warns_on_nonsense() {
        let overrides: BTreeMap<String, BTreeMap<String, toml::Value>> = toml::from_str(
            "[gallery]\nkeep = [\"K\", \"+\"]\nfly = \"z\"\n[nowhere]\nquit = \"z\"\n[jobs]\ncancel_job = \"ctrl-\"\n",
        )
        .unwrap();
        let (keymap, warnings) = Keymap::with_overrides(&overrides);
        let plus = key(KeyCode::Char('+'), KeyModifiers::NONE);
        assert_eq!(
            keymap.action(KeyContext::Gallery, &plus),
            Some(Action::Keep)
        );
        // `a` no longer keeps: the override replaced the action's keys.
        let a = key(KeyCode::Char('a'), KeyModifiers::NONE);
        assert_eq!(keymap.action(KeyContext::Gallery, &a), None);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        // The bad key leaves the default in place.
        let x = key(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(keymap.action(KeyContext::Jobs, &x), Some(Action::CancelJob));
    }
}
