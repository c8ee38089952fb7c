//! Actions on the history, cost and compare screens.

use super::action::Action;
use super::effect::Effect;
use super::gallery::{GallerySource, ReviewKey};
use super::state::{Level, Pane, Screen, State};
use super::submit::{Rerun, SeedChoice};
use crate::catalog::Params;

impl State {
    pub(super) fn history_action(&mut self, action: Action) -> Vec<Effect> {
        let len = self.history.rows.len();
        let at = self.history.selected;
        match action {
            Action::Up => self.history.selected = at.saturating_sub(1),
            Action::Down => self.history.selected = (at + 1).min(len.saturating_sub(1)),
            Action::PageUp => self.history.selected = at.saturating_sub(10),
            Action::PageDown => self.history.selected = (at + 10).min(len.saturating_sub(1)),
            Action::Top => self.history.selected = 0,
            Action::Bottom => self.history.selected = len.saturating_sub(1),
            Action::Load | Action::Select => return self.load_history(),
            Action::Rerun | Action::RerunWithFormModel => {
                let Some(row) = self.history.selected_row() else {
                    return Vec::new();
                };
                let model =
                    (action == Action::RerunWithFormModel).then(|| self.form.model.id.clone());
                let label = match &model {
                    Some(model) => format!("re-run of #{} with {model}", row.id),
                    None => format!("re-run of #{}", row.id),
                };
                return vec![Effect::Rerun(Rerun {
                    request: row.id,
                    model,
                    seed: SeedChoice::AsStored,
                    n: None,
                    label,
                })];
            }
            _ => {}
        }
        Vec::new()
    }

    /// The selected past request into the prompt and the form, to change
    /// and send again.
    fn load_history(&mut self) -> Vec<Effect> {
        let Some(row) = self.history.selected_row().cloned() else {
            return Vec::new();
        };
        let mut params: Params = serde_json::from_str(&row.params_json).unwrap_or_default();
        params.remove("negative_prompt");
        self.form.load(&row.model, &row.operation, &params, row.n);
        self.model_chosen = true;
        self.prompt
            .set_text(&crate::text::strip_controls(&row.prompt, false));
        self.prompt.set_negative(&crate::text::strip_controls(
            row.negative_prompt.as_deref().unwrap_or(""),
            false,
        ));
        self.preset = None;
        let note = self
            .form
            .notice
            .take()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        self.say(
            Level::Info,
            format!("loaded #{} into the prompt and form{note}", row.id),
        );
        self.screen = Screen::Studio;
        self.focus_pane(Pane::Prompt);
        self.revalidate();
        Vec::new()
    }

    pub(super) fn cost_action(&mut self, action: Action) -> Vec<Effect> {
        let rows = self
            .cost
            .data
            .as_ref()
            .and_then(|d| d.report.as_ref())
            .map_or(0, |r| r.rows.len());
        match action {
            Action::GroupBy | Action::Right | Action::Left => {
                vec![Effect::QueryCost(self.cost.next_group())]
            }
            Action::Up => {
                self.cost.selected = self.cost.selected.saturating_sub(1);
                Vec::new()
            }
            Action::Down => {
                self.cost.selected = (self.cost.selected + 1).min(rows.saturating_sub(1));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn compare_action(&mut self, action: Action) -> Vec<Effect> {
        let cells = self.compare.requests.len();
        if self.compare.in_results {
            match action {
                Action::Left | Action::Up => {
                    self.compare.cell = self.compare.cell.saturating_sub(1);
                }
                Action::Right | Action::Down => {
                    self.compare.cell = (self.compare.cell + 1).min(cells.saturating_sub(1));
                }
                Action::MarkBest | Action::Select => return self.mark_best(),
                Action::ToggleModel => self.compare.in_results = false,
                _ => {}
            }
            return Vec::new();
        }
        let len = self.compare.models.len();
        match action {
            Action::Up => self.compare.selected = self.compare.selected.saturating_sub(1),
            Action::Down => {
                self.compare.selected = (self.compare.selected + 1).min(len.saturating_sub(1));
            }
            Action::Top => self.compare.selected = 0,
            Action::Bottom => self.compare.selected = len.saturating_sub(1),
            Action::ToggleModel | Action::Select => self.compare.toggle(),
            Action::Right if cells > 0 => self.compare.in_results = true,
            _ => {}
        }
        Vec::new()
    }

    /// Stars and keeps the selected cell's image: the winner.
    fn mark_best(&mut self) -> Vec<Effect> {
        let Some(&request) = self.compare.requests.get(self.compare.cell) else {
            return Vec::new();
        };
        let Some(image) = self.compare.cell_image(request).cloned() else {
            self.say(Level::Info, "that cell has no image yet");
            return Vec::new();
        };
        if let Some(shown) = self.compare.images.iter_mut().find(|i| i.id == image.id) {
            shown.starred = true;
            shown.mark = crate::store::Mark::Keep;
        }
        // The gallery holds its own copy when it shows this batch.
        let shown = (self.gallery.source == self.compare.batch.map(GallerySource::Batch))
            .then(|| self.gallery.visible().position(|i| i.id == image.id))
            .flatten();
        if let Some(at) = shown {
            self.gallery.select(at);
            let _ = self.gallery.review(ReviewKey::Best);
        }
        let model = self
            .jobs
            .get(image.job)
            .map(|j| j.meta.model.clone())
            .unwrap_or_default();
        self.say(
            Level::Info,
            format!("best: {model} (image {} starred and kept)", image.id),
        );
        vec![
            Effect::Review(super::gallery::Review::Star(image.id, true)),
            Effect::Review(super::gallery::Review::Mark(
                image.id,
                crate::store::Mark::Keep,
            )),
        ]
    }
}
