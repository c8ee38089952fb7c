//! Routing a key: the overlay on top gets it first, then a text being typed
//! (the prompt in insert mode, the history filter), then the keymap.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;
use super::effect::Effect;
use super::overlay::{OnYes, Overlay, PresetFill, PresetPicker};
use super::state::{Level, Pane, Screen, State};

fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

impl State {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if self.overlay.is_some() {
            return self.overlay_key(key);
        }
        if self.screen == Screen::Studio && self.focus == Pane::Prompt && self.prompt.inserting {
            return self.typing_key(key);
        }
        if self.screen == Screen::History && self.history.editing {
            return self.filter_key(key);
        }
        match self.keymap.action(self.key_context(), &key) {
            Some(action) => self.act(action),
            None => Vec::new(),
        }
    }

    /// Insert mode: keys type, except the few that leave or act.
    fn typing_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if std::mem::take(&mut self.ctrl_x) && ctrl(&key, 'e') {
            return vec![Effect::ExternalEditor(self.prompt.text())];
        }
        if ctrl(&key, 'x') {
            self.ctrl_x = true;
            return Vec::new();
        }
        let bound = self.keymap.action(super::keymap::KeyContext::Global, &key);
        let passes = match key.code {
            KeyCode::Esc => {
                self.prompt.inserting = false;
                return Vec::new();
            }
            KeyCode::Tab | KeyCode::BackTab | KeyCode::F(_) => true,
            KeyCode::Enter => key.modifiers.contains(KeyModifiers::CONTROL),
            KeyCode::Char(_) => key.modifiers.contains(KeyModifiers::CONTROL) && bound.is_some(),
            _ => false,
        };
        if passes && let Some(action) = bound {
            return self.act(action);
        }
        self.prompt.active().input(key);
        self.revalidate();
        Vec::new()
    }

    fn filter_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Down | KeyCode::Tab => {
                self.history.editing = false;
                return Vec::new();
            }
            KeyCode::Backspace => {
                self.history.filter.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.history.filter.clear();
            }
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return self.act(Action::Quit);
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.history.filter.push(c);
            }
            _ => return Vec::new(),
        }
        self.history.selected = 0;
        self.query_history()
    }

    pub(super) fn query_history(&mut self) -> Vec<Effect> {
        match self.history.query(self.today) {
            Ok((generation, query)) => {
                self.history.error = None;
                vec![Effect::QueryHistory { generation, query }]
            }
            Err(error) => {
                self.history.error = Some(error);
                Vec::new()
            }
        }
    }

    fn overlay_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(overlay) = self.overlay.take() else {
            return Vec::new();
        };
        match overlay {
            Overlay::Help => {
                if !matches!(
                    key.code,
                    KeyCode::Esc | KeyCode::Char('q' | '?') | KeyCode::Enter | KeyCode::F(1)
                ) {
                    self.overlay = Some(Overlay::Help);
                }
                Vec::new()
            }
            Overlay::Confirm(confirm) => match key.code {
                KeyCode::Char('y' | 'Y') | KeyCode::Enter => match confirm.yes {
                    OnYes::Quit => {
                        self.quitting = true;
                        vec![Effect::Quit]
                    }
                    OnYes::Submit(submission) => {
                        self.say(
                            Level::Warn,
                            format!("{}: sent past the budget, as asked", submission.label),
                        );
                        vec![Effect::Submit(submission)]
                    }
                    OnYes::Resend(rerun) => vec![Effect::Rerun(rerun)],
                },
                KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
                    self.say(Level::Info, "nothing sent");
                    Vec::new()
                }
                _ => {
                    self.overlay = Some(Overlay::Confirm(confirm));
                    Vec::new()
                }
            },
            Overlay::Presets(picker) => self.picker_key(picker, key),
            Overlay::Fill(fill) => self.fill_key(fill, key),
            Overlay::SaveAs(mut name) => match key.code {
                KeyCode::Esc => Vec::new(),
                KeyCode::Enter => self.save_preset(&name),
                KeyCode::Backspace => {
                    name.pop();
                    self.overlay = Some(Overlay::SaveAs(name));
                    Vec::new()
                }
                KeyCode::Char(c) if c.is_ascii_alphanumeric() || c == '-' || c == '_' => {
                    name.push(c.to_ascii_lowercase());
                    self.overlay = Some(Overlay::SaveAs(name));
                    Vec::new()
                }
                _ => {
                    self.overlay = Some(Overlay::SaveAs(name));
                    Vec::new()
                }
            },
            Overlay::EditField { row, mut text } => {
                match key.code {
                    KeyCode::Esc => {}
                    KeyCode::Enter => {
                        let index = row - super::form::FIRST_PARAM_ROW;
                        match self.form.set_text(index, &text) {
                            Ok(()) => self.revalidate(),
                            Err(why) => {
                                self.say(Level::Error, why);
                                self.overlay = Some(Overlay::EditField { row, text });
                            }
                        }
                    }
                    KeyCode::Backspace => {
                        text.pop();
                        self.overlay = Some(Overlay::EditField { row, text });
                    }
                    KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                        text.push(c);
                        self.overlay = Some(Overlay::EditField { row, text });
                    }
                    _ => self.overlay = Some(Overlay::EditField { row, text }),
                }
                Vec::new()
            }
        }
    }

    fn picker_key(&mut self, mut picker: PresetPicker, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Esc => return Vec::new(),
            KeyCode::Up => picker.selected = picker.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Tab => {
                picker.selected = (picker.selected + 1).min(picker.matches.len().saturating_sub(1));
            }
            KeyCode::Enter => {
                let Some(preset) = picker.chosen().and_then(|name| self.presets.get(name)) else {
                    self.overlay = Some(Overlay::Presets(picker));
                    return Vec::new();
                };
                let fill = PresetFill::new(preset);
                if fill.vars.is_empty() {
                    return self.apply_preset(&fill);
                }
                self.overlay = Some(Overlay::Fill(fill));
                return Vec::new();
            }
            KeyCode::Backspace => {
                picker.query.pop();
                picker.refilter(&self.presets);
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                picker.query.push(c);
                picker.refilter(&self.presets);
            }
            _ => {}
        }
        self.overlay = Some(Overlay::Presets(picker));
        Vec::new()
    }

    fn fill_key(&mut self, mut fill: PresetFill, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Esc => return Vec::new(),
            KeyCode::Up | KeyCode::BackTab => fill.selected = fill.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Tab => {
                fill.selected = (fill.selected + 1).min(fill.vars.len().saturating_sub(1));
            }
            KeyCode::Enter if fill.selected + 1 < fill.vars.len() => fill.selected += 1,
            KeyCode::Enter => return self.apply_preset(&fill),
            KeyCode::Char('s') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return self.apply_preset(&fill);
            }
            KeyCode::Backspace => {
                if let Some(var) = fill.vars.get_mut(fill.selected) {
                    var.value.pop();
                }
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some(var) = fill.vars.get_mut(fill.selected) {
                    var.value.clear();
                }
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some(var) = fill.vars.get_mut(fill.selected) {
                    var.value.push(c);
                }
            }
            _ => {}
        }
        self.overlay = Some(Overlay::Fill(fill));
        Vec::new()
    }
}
