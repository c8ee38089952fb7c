//! The studio's whole state and its one entry point, `update(msg) ->
//! effects`: no I/O here, so every flow is tested by feeding messages.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::effect::Effect;
use super::form::ParamForm;
use super::gallery::{Gallery, GallerySource};
use super::jobs::JobList;
use super::keymap::{KeyContext, Keymap};
use super::msg::Msg;
use super::overlay::{Overlay, Presets};
use super::previews::Previews;
use super::prompt::PromptEditor;
use super::screens::{CompareView, CostView, HistoryView};
use super::submit::from_form;
use crate::catalog::{Catalog, Cost};
use crate::engine::budget::Caps;
use crate::money::Micros;
use crate::preview::{PreviewJob, PreviewKey, PreviewSource};
use crate::store::JobId;
use crate::text::strip_controls;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Studio,
    History,
    Cost,
    Compare,
}

impl Screen {
    pub const ALL: [Screen; 4] = [
        Screen::Studio,
        Screen::History,
        Screen::Cost,
        Screen::Compare,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Studio => "Studio",
            Screen::History => "History",
            Screen::Cost => "Cost",
            Screen::Compare => "Compare",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Prompt,
    Params,
    Jobs,
    Gallery,
}

impl Pane {
    pub const ORDER: [Pane; 4] = [Pane::Prompt, Pane::Params, Pane::Jobs, Pane::Gallery];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// Spend so far and the caps, for the parameters pane and the budget check.
#[derive(Clone, Copy, Debug, Default)]
pub struct Spend {
    pub today: Micros,
    pub month: Micros,
    pub caps: Caps,
    pub known: bool,
}

/// A streamed partial image: the newest one of a running job.
#[derive(Clone, Debug)]
pub struct Partial {
    pub seq: u32,
    pub bytes: Arc<Vec<u8>>,
}

pub struct State {
    pub catalog: Arc<Catalog>,
    pub keymap: Keymap,
    pub screen: Screen,
    pub focus: Pane,
    pub prompt: PromptEditor,
    pub form: ParamForm,
    /// The form and prompt validated and priced, or what is wrong.
    pub estimate: Result<Cost, Vec<String>>,
    pub jobs: JobList,
    pub gallery: Gallery,
    pub partials: HashMap<JobId, Partial>,
    pub history: HistoryView,
    pub cost: CostView,
    pub compare: CompareView,
    pub presets: Presets,
    /// The preset the prompt came from, recorded with the request.
    pub preset: Option<String>,
    pub overlay: Option<Overlay>,
    pub status: Option<(Level, String)>,
    pub spend: Spend,
    /// Providers with a key (the sandbox needs none).
    pub keyed: HashSet<String>,
    pub previews: Previews,
    requested: HashSet<PreviewKey>,
    /// Unix ms, from the last tick; tests set it.
    pub now_ms: i64,
    pub today: chrono::NaiveDate,
    /// Ctrl-x was pressed in the editor: Ctrl-e next opens $EDITOR.
    pub(super) ctrl_x: bool,
    /// The user changed the model before the last used one was known.
    pub(super) model_chosen: bool,
    pub quitting: bool,
    /// Draw images (off with `graphics = "none"`).
    pub images: bool,
}

impl State {
    pub fn new(catalog: Arc<Catalog>, keymap: Keymap, presets: Presets, model: &str) -> State {
        let form = ParamForm::new(Arc::clone(&catalog), model);
        let mut state = State {
            catalog,
            keymap,
            screen: Screen::Studio,
            focus: Pane::Prompt,
            prompt: PromptEditor::new(),
            form,
            estimate: Err(Vec::new()),
            jobs: JobList::default(),
            gallery: Gallery::default(),
            partials: HashMap::new(),
            history: HistoryView::default(),
            cost: CostView::default(),
            compare: CompareView::default(),
            presets,
            preset: None,
            overlay: None,
            status: None,
            spend: Spend::default(),
            keyed: HashSet::from(["sandbox".to_string()]),
            previews: Previews::default(),
            requested: HashSet::new(),
            now_ms: 0,
            today: chrono::NaiveDate::default(),
            ctrl_x: false,
            model_chosen: false,
            quitting: false,
            images: true,
        };
        state.revalidate();
        state.refresh_compare_models();
        state
    }

    pub fn key_context(&self) -> KeyContext {
        match self.screen {
            Screen::Studio => match self.focus {
                Pane::Prompt => KeyContext::Prompt,
                Pane::Params => KeyContext::Params,
                Pane::Jobs => KeyContext::Jobs,
                Pane::Gallery => KeyContext::Gallery,
            },
            Screen::History => KeyContext::History,
            Screen::Cost => KeyContext::Cost,
            Screen::Compare => KeyContext::Compare,
        }
    }

    pub fn say(&mut self, level: Level, text: impl AsRef<str>) {
        self.status = Some((level, strip_controls(text.as_ref(), true)));
    }

    /// Validates and prices the prompt with the form, for the live estimate.
    pub fn revalidate(&mut self) {
        let prompt = self.prompt.text();
        let negative = self.prompt.negative_text();
        self.estimate =
            from_form(&self.catalog, &self.form, &prompt, &negative).map(|(_, cost)| cost);
    }

    pub fn refresh_compare_models(&mut self) {
        let op = self.form.operation.clone();
        self.compare.models = self
            .catalog
            .models()
            .filter(|m| m.operations.contains_key(&op) && !m.is_deprecated())
            .map(|m| m.id.clone())
            .collect();
        // The form model's sizes: one prompt at several sizes.
        if let Some(sizes) = self.form.fields.iter().find(|f| f.name == "size")
            && let crate::app::form::FieldKind::Choice(values) = &sizes.kind
        {
            let sizes: Vec<String> = values
                .iter()
                .map(|v| format!("{}{v}", super::submit::SIZE_ENTRY))
                .collect();
            self.compare.models.extend(sizes);
        }
        let entries = &self.compare.models;
        self.compare.checked.retain(|c| entries.contains(c));
        self.compare.selected = self
            .compare
            .selected
            .min(self.compare.models.len().saturating_sub(1));
    }

    #[allow(clippy::too_many_lines)] // one arm per kind, each short
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Paste(text) => self.on_paste(&text),
            Msg::Resize => Vec::new(),
            Msg::Tick(now) => {
                self.now_ms = now;
                Vec::new()
            }
            Msg::Job(event) => self.on_job(&event),
            Msg::Submitted {
                jobs,
                batch,
                compare,
            } => self.on_submitted(jobs, batch, compare),
            Msg::Unfinished(jobs) => {
                for (id, meta, state) in jobs {
                    self.jobs.add(id, meta, state, true);
                }
                self.follow_selection()
            }
            Msg::Prepared(submission) => self.confirm_budget(submission),
            Msg::Images { source, images } => {
                if self
                    .compare
                    .batch
                    .is_some_and(|b| source == GallerySource::Batch(b))
                {
                    self.compare.images.clone_from(&images);
                }
                self.gallery.set_images(source, images);
                Vec::new()
            }
            Msg::Preview { key, rendered } => {
                self.requested.remove(&key);
                self.previews.insert(key, rendered);
                Vec::new()
            }
            Msg::History { generation, rows } => {
                self.history.receive(generation, rows);
                Vec::new()
            }
            Msg::Cost(data) => {
                if let Some(error) = &data.error {
                    self.say(Level::Error, error.clone());
                }
                self.cost.data = Some(*data);
                Vec::new()
            }
            Msg::Spend { today, month } => {
                self.spend.today = today;
                self.spend.month = month;
                self.spend.known = true;
                Vec::new()
            }
            Msg::Input { input, operation } => {
                let name = input.name();
                self.form.set_operation(&operation);
                self.form.inputs = vec![input];
                self.form.mask = None;
                self.screen = Screen::Studio;
                self.focus_pane(Pane::Prompt);
                self.say(
                    Level::Info,
                    format!("{operation} from {name}: write the prompt, Ctrl-s to send"),
                );
                self.revalidate();
                Vec::new()
            }
            Msg::Edited(Ok(text)) => {
                self.prompt.set_text(text.trim_end_matches('\n'));
                self.revalidate();
                Vec::new()
            }
            Msg::Edited(Err(error)) | Msg::Error(error) => {
                self.say(Level::Error, error);
                Vec::new()
            }
            Msg::LastModel(model) => {
                if !self.model_chosen && self.catalog.resolve(&model).is_ok() {
                    self.form.set_model(&model);
                    self.form.notice = None;
                    self.refresh_compare_models();
                    self.revalidate();
                }
                Vec::new()
            }
            Msg::Presets(presets) => {
                self.presets = presets;
                Vec::new()
            }
            Msg::Info(text) => {
                self.say(Level::Info, text);
                Vec::new()
            }
            Msg::Terminate(signal) => {
                self.quitting = true;
                self.say(Level::Warn, format!("{signal}: stopping"));
                vec![Effect::Quit]
            }
        }
    }

    fn on_paste(&mut self, text: &str) -> Vec<Effect> {
        let clean = strip_controls(text, false);
        match (&mut self.overlay, self.screen) {
            (Some(Overlay::SaveAs(name) | Overlay::EditField { text: name, .. }), _) => {
                name.push_str(clean.trim());
            }
            (None, Screen::History) if self.history.editing => {
                self.history.filter.push_str(clean.trim());
            }
            (None, Screen::Studio) if self.focus == Pane::Prompt => {
                self.prompt.inserting = true;
                self.prompt.active().insert_str(&clean);
                self.revalidate();
            }
            _ => {}
        }
        Vec::new()
    }

    /// The previews a frame wanted and did not have, as work for the
    /// preview worker; each is asked for once.
    pub fn preview_jobs(&mut self, wanted: Vec<PreviewKey>) -> Vec<Effect> {
        let mut effects = Vec::new();
        for key in wanted {
            if self.previews.contains_key(&key) || !self.requested.insert(key.clone()) {
                continue;
            }
            let bytes = match &key.source {
                PreviewSource::Partial { job, .. } => {
                    self.partials.get(job).map(|p| Arc::clone(&p.bytes))
                }
                PreviewSource::File(_) => None,
            };
            effects.push(Effect::Preview(PreviewJob { key, bytes }));
        }
        effects
    }

    pub fn running_jobs(&self) -> usize {
        self.jobs.running()
    }

    pub(super) fn focus_pane(&mut self, pane: Pane) {
        self.focus = pane;
        if pane == Pane::Prompt {
            self.prompt.inserting = true;
        }
    }

    /// The gallery follows the selected job: its batch, else its request.
    pub(super) fn follow_selection(&mut self) -> Vec<Effect> {
        let source = self.jobs.selected().map(|job| match job.meta.batch {
            Some(batch) => GallerySource::Batch(batch),
            None => GallerySource::Request(job.meta.request),
        });
        if self.gallery.show(source)
            && let Some(source) = source
        {
            return vec![Effect::LoadImages(source)];
        }
        Vec::new()
    }
}
