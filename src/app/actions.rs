//! What each action does, by screen and pane.

use super::action::Action;
use super::effect::Effect;
use super::form::{FIRST_PARAM_ROW, FieldKind, MODEL_ROW, N_ROW, OPERATION_ROW};
use super::gallery::ReviewKey;
use super::overlay::{Confirm, OnYes, Overlay, PresetPicker};
use super::state::{Level, Pane, Screen, State};
use super::submit::{Rerun, SeedChoice, Submission, comparison, from_form};

impl State {
    pub fn act(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => self.quit(),
            Action::Help => {
                self.overlay = Some(Overlay::Help);
                Vec::new()
            }
            Action::NextPane | Action::PrevPane => {
                self.cycle_pane(action == Action::NextPane);
                Vec::new()
            }
            Action::NextScreen | Action::PrevScreen => {
                let at = Screen::ALL
                    .iter()
                    .position(|s| *s == self.screen)
                    .unwrap_or(0);
                let len = Screen::ALL.len();
                let next = if action == Action::NextScreen {
                    (at + 1) % len
                } else {
                    (at + len - 1) % len
                };
                self.show_screen(Screen::ALL[next])
            }
            Action::Submit => self.submit(),
            Action::Back => self.back(),
            Action::Search => {
                self.history.editing = true;
                let effects = self.show_screen(Screen::History);
                if effects.is_empty() {
                    self.query_history()
                } else {
                    effects
                }
            }
            Action::Presets => {
                self.overlay = Some(Overlay::Presets(PresetPicker::new(&self.presets)));
                Vec::new()
            }
            Action::Suspend => vec![Effect::Suspend],
            _ => match self.screen {
                Screen::Studio => self.studio_action(action),
                Screen::History => self.history_action(action),
                Screen::Cost => self.cost_action(action),
                Screen::Compare => self.compare_action(action),
            },
        }
    }

    fn quit(&mut self) -> Vec<Effect> {
        let running = self.running_jobs();
        if running == 0 {
            self.quitting = true;
            return vec![Effect::Quit];
        }
        self.overlay = Some(Overlay::Confirm(Confirm {
            title: "Quit?".into(),
            lines: vec![
                format!("{running} job(s) still running."),
                "Quitting cancels them (remote ones at their provider); finished images are kept."
                    .into(),
                "y quits, n or Esc stays.".into(),
            ],
            yes: OnYes::Quit,
        }));
        Vec::new()
    }

    fn cycle_pane(&mut self, forward: bool) {
        match self.screen {
            Screen::Studio => {
                let order = Pane::ORDER;
                let at = order.iter().position(|p| *p == self.focus).unwrap_or(0);
                let next = if forward {
                    (at + 1) % order.len()
                } else {
                    (at + order.len() - 1) % order.len()
                };
                self.focus_pane(order[next]);
            }
            Screen::Compare => self.compare.in_results = !self.compare.in_results,
            Screen::History => self.history.editing = !self.history.editing,
            Screen::Cost => {}
        }
    }

    pub(super) fn show_screen(&mut self, screen: Screen) -> Vec<Effect> {
        self.screen = screen;
        match screen {
            Screen::History if !self.history.loaded => self.query_history(),
            Screen::Cost => vec![Effect::QueryCost(self.cost.group)],
            Screen::Compare => {
                self.refresh_compare_models();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn back(&mut self) -> Vec<Effect> {
        if self.screen != Screen::Studio {
            self.screen = Screen::Studio;
        } else if self.focus == Pane::Gallery
            && self.gallery.filter != super::gallery::MarkFilter::All
        {
            self.gallery.filter = super::gallery::MarkFilter::All;
        } else {
            self.status = None;
        }
        Vec::new()
    }

    fn submit(&mut self) -> Vec<Effect> {
        let prompt = self.prompt.text();
        let negative = self.prompt.negative_text();
        if self.screen == Screen::Compare {
            let models: Vec<String> = self.compare.checked.iter().cloned().collect();
            if models.len() < 2 {
                self.say(
                    Level::Warn,
                    "pick at least two models or sizes to compare (space toggles)",
                );
                return Vec::new();
            }
            let (requests, refused) =
                comparison(&self.catalog, &self.form, &models, &prompt, &negative);
            if !refused.is_empty() {
                self.say(Level::Error, format!("left out: {}", refused.join(" | ")));
            }
            if requests.len() < 2 {
                return Vec::new();
            }
            let label = format!("comparison of {} variants", requests.len());
            return self.confirm_budget(Submission {
                requests,
                preset: self.preset.clone(),
                compare: true,
                label,
            });
        }
        match from_form(&self.catalog, &self.form, &prompt, &negative) {
            Ok(pair) => {
                let label = format!("{} × {}", super::form::short(&pair.0.model.id), pair.0.n);
                self.confirm_budget(Submission {
                    requests: vec![pair],
                    preset: self.preset.clone(),
                    compare: false,
                    label,
                })
            }
            Err(errors) => {
                self.say(Level::Error, format!("not sent: {}", errors.join("; ")));
                Vec::new()
            }
        }
    }

    fn studio_action(&mut self, action: Action) -> Vec<Effect> {
        match self.focus {
            Pane::Prompt => self.prompt_action(action),
            Pane::Params => self.params_action(action),
            Pane::Jobs => self.jobs_action(action),
            Pane::Gallery => self.gallery_action(action),
        }
    }

    fn prompt_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Insert => self.prompt.inserting = true,
            Action::ExternalEditor => return vec![Effect::ExternalEditor(self.prompt.text())],
            Action::ToggleNegative => {
                if self.form.takes_negative_prompt() {
                    self.prompt.field = match self.prompt.field {
                        super::prompt::PromptField::Prompt => super::prompt::PromptField::Negative,
                        super::prompt::PromptField::Negative => super::prompt::PromptField::Prompt,
                    };
                    self.prompt.inserting = true;
                } else {
                    self.say(
                        Level::Info,
                        format!("{} takes no negative prompt", self.form.model.id),
                    );
                }
            }
            Action::SavePreset => self.overlay = Some(Overlay::SaveAs(String::new())),
            _ => {}
        }
        Vec::new()
    }

    fn params_action(&mut self, action: Action) -> Vec<Effect> {
        let rows = self.form.rows();
        match action {
            Action::Up => self.form.selected = self.form.selected.saturating_sub(1),
            Action::Down => self.form.selected = (self.form.selected + 1).min(rows - 1),
            Action::Top => self.form.selected = 0,
            Action::Bottom => self.form.selected = rows - 1,
            Action::Left | Action::Right => {
                let model = self.form.model.id.clone();
                self.form.step(action == Action::Right);
                if self.form.model.id != model {
                    self.model_chosen = true;
                    if !self.form.takes_negative_prompt() {
                        self.prompt.field = super::prompt::PromptField::Prompt;
                    }
                }
                if let Some(notice) = self.form.notice.clone() {
                    self.say(Level::Info, notice);
                }
                if matches!(self.form.selected, MODEL_ROW | OPERATION_ROW) {
                    self.refresh_compare_models();
                }
            }
            Action::ResetParam => self.form.reset_selected(),
            Action::Select => {
                let row = self.form.selected;
                if row == N_ROW || row < FIRST_PARAM_ROW {
                    self.form.step(true);
                } else if let Some(field) = self.form.fields.get(row - FIRST_PARAM_ROW) {
                    if let Some(why) = self.form.field_blocked(field) {
                        self.say(Level::Info, why);
                    } else if matches!(field.kind, FieldKind::Choice(_)) {
                        self.form.step(true);
                    } else {
                        let text = field
                            .value
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default();
                        self.overlay = Some(Overlay::EditField { row, text });
                    }
                }
            }
            _ => {}
        }
        self.revalidate();
        Vec::new()
    }

    fn jobs_action(&mut self, action: Action) -> Vec<Effect> {
        let len = self.jobs.len();
        match action {
            Action::Up => self.jobs.select(self.jobs.selected.saturating_sub(1)),
            Action::Down => self.jobs.select(self.jobs.selected + 1),
            Action::PageUp => self.jobs.select(self.jobs.selected.saturating_sub(10)),
            Action::PageDown => self.jobs.select(self.jobs.selected + 10),
            Action::Top => self.jobs.select(0),
            Action::Bottom => self.jobs.select(len.saturating_sub(1)),
            Action::Select | Action::Right => {
                self.focus_pane(Pane::Gallery);
            }
            Action::CancelJob => {
                return match self.jobs.selected() {
                    Some(job) if !job.state.is_finished() => vec![Effect::Cancel(job.id)],
                    Some(_) => {
                        self.say(Level::Info, "that job has finished");
                        Vec::new()
                    }
                    None => Vec::new(),
                };
            }
            Action::CancelBatch => {
                if let Some(job) = self.jobs.selected() {
                    let requests = self.jobs.batch_of(job.id);
                    return vec![Effect::CancelRequests(requests)];
                }
            }
            Action::RetryJob => return self.retry_selected(),
            Action::DropJob => {
                if let Some(id) = self.jobs.selected().map(|j| j.id) {
                    if self.jobs.remove(id) {
                        self.say(
                            Level::Info,
                            format!("job {id} dropped from the list (history keeps it)"),
                        );
                    } else {
                        self.say(
                            Level::Info,
                            "a running job cannot be dropped; cancel it first (x)",
                        );
                    }
                }
            }
            _ => return Vec::new(),
        }
        self.follow_selection()
    }

    fn retry_selected(&mut self) -> Vec<Effect> {
        let Some(job) = self.jobs.selected() else {
            return Vec::new();
        };
        if !job.can_retry() {
            self.say(
                Level::Info,
                "only failed, canceled or interrupted jobs can be retried",
            );
            return Vec::new();
        }
        let rerun = Rerun {
            request: job.meta.request,
            model: None,
            seed: job
                .meta
                .seed
                .and_then(|s| i64::try_from(s).ok())
                .map_or(SeedChoice::AsStored, SeedChoice::Same),
            n: Some(job.meta.n.max(1)),
            label: format!("retry of job {}", job.id),
        };
        if job.outcome_unknown() {
            self.overlay = Some(Overlay::Confirm(Confirm {
                title: "Outcome unknown".into(),
                lines: vec![
                    format!("Job {} may have been processed and billed by {}.", job.id, job.meta.provider),
                    "Re-sending may pay twice. y re-sends; n keeps it as it is; d in the list drops it.".into(),
                ],
                yes: OnYes::Resend(rerun),
            }));
            return Vec::new();
        }
        vec![Effect::Rerun(rerun)]
    }

    fn gallery_action(&mut self, action: Action) -> Vec<Effect> {
        let key = match action {
            Action::Left => {
                self.gallery.step(-1, 0);
                None
            }
            Action::Right => {
                self.gallery.step(1, 0);
                None
            }
            Action::Up => {
                self.gallery.step(0, -1);
                None
            }
            Action::Down => {
                self.gallery.step(0, 1);
                None
            }
            Action::Top => {
                self.gallery.select(0);
                None
            }
            Action::Bottom => {
                self.gallery.select(usize::MAX);
                None
            }
            Action::Keep => Some(ReviewKey::Keep),
            Action::Reject => Some(ReviewKey::Reject),
            Action::Star => Some(ReviewKey::Star),
            Action::Rate1 => Some(ReviewKey::Rate(Some(1))),
            Action::Rate2 => Some(ReviewKey::Rate(Some(2))),
            Action::Rate3 => Some(ReviewKey::Rate(Some(3))),
            Action::Rate4 => Some(ReviewKey::Rate(Some(4))),
            Action::Rate5 => Some(ReviewKey::Rate(Some(5))),
            Action::ClearRating => Some(ReviewKey::Rate(None)),
            Action::CycleFilter => {
                self.gallery.cycle_filter();
                self.say(
                    Level::Info,
                    format!("showing {} images", self.gallery.filter.label()),
                );
                None
            }
            other => return self.image_action(other),
        };
        match key {
            Some(key) => self
                .gallery
                .review(key)
                .into_iter()
                .map(Effect::Review)
                .collect(),
            None => Vec::new(),
        }
    }
}
