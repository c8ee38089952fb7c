//! Actions on the gallery's selected image (reroll, variation, open, copy,
//! export) and on presets (apply one, save the current prompt as one).

use std::path::Path;

use super::action::Action;
use super::effect::Effect;
use super::form::short;
use super::overlay::PresetFill;
use super::state::{Level, Pane, State};
use super::submit::{Rerun, SeedChoice};
use crate::catalog::ParamValue;
use crate::preview::contact_sheet::SheetItem;

impl State {
    pub(super) fn image_action(&mut self, action: Action) -> Vec<Effect> {
        if action == Action::Export {
            return self.export_kept();
        }
        let Some(image) = self.gallery.selected_image().cloned() else {
            self.say(Level::Info, "no image selected");
            return Vec::new();
        };
        match action {
            Action::Reroll => vec![Effect::Rerun(Rerun {
                request: image.request,
                model: None,
                seed: SeedChoice::New,
                n: Some(1),
                label: format!("reroll of image {}", image.id),
            })],
            Action::RerollSameSeed => {
                let model = self.jobs.get(image.job).map(|j| j.meta.model.clone());
                let takes_seed = model
                    .as_deref()
                    .and_then(|m| self.catalog.model(m))
                    .is_some_and(|m| {
                        m.operations
                            .values()
                            .any(|op| op.params.contains_key("seed"))
                    });
                match image.seed {
                    Some(seed) if takes_seed || model.is_none() => vec![Effect::Rerun(Rerun {
                        request: image.request,
                        model: None,
                        seed: SeedChoice::Same(seed),
                        n: Some(1),
                        label: format!("reroll of image {} with seed {seed}", image.id),
                    })],
                    _ => {
                        let name = model.as_deref().map_or("this model", short).to_string();
                        self.say(
                            Level::Warn,
                            format!("{name} does not honour seeds, so the same seed would not give the same image; r rerolls with a new one"),
                        );
                        Vec::new()
                    }
                }
            }
            Action::Variation | Action::EditFrom => {
                let operation = if action == Action::Variation {
                    "variation"
                } else {
                    "edit"
                };
                if !self.form.model.operations.contains_key(operation) {
                    let able: Vec<String> = self
                        .catalog
                        .models()
                        .filter(|m| m.operations.contains_key(operation))
                        .map(|m| short(&m.id).to_string())
                        .collect();
                    self.say(
                        Level::Warn,
                        format!(
                            "{} cannot {operation}; models that can: {}",
                            self.form.model.id,
                            able.join(", ")
                        ),
                    );
                    return Vec::new();
                }
                vec![Effect::UseAsInput {
                    path: image.path.clone(),
                    operation: operation.into(),
                }]
            }
            Action::Open => vec![Effect::Open(image.path.clone())],
            Action::CopyPath => {
                self.say(Level::Info, format!("copied {}", image.path.display()));
                vec![Effect::CopyPath(image.path.clone())]
            }
            _ => Vec::new(),
        }
    }

    fn export_kept(&mut self) -> Vec<Effect> {
        let kept = self.gallery.kept();
        if kept.is_empty() {
            self.say(
                Level::Info,
                "nothing kept yet: mark images with the keep key first",
            );
            return Vec::new();
        }
        let items = kept
            .iter()
            .map(|image| {
                let model = self
                    .jobs
                    .get(image.job)
                    .map(|j| short(&j.meta.model).to_string())
                    .unwrap_or_default();
                let seed = image.seed.map(|s| format!(" seed {s}")).unwrap_or_default();
                let stars = if image.starred { " ★" } else { "" };
                SheetItem {
                    path: image.path.clone(),
                    caption: format!("#{} {model}{seed}{stars}", image.id),
                }
            })
            .collect();
        vec![Effect::Export(items)]
    }

    /// The preset's prompt and parameters, filled with the values given,
    /// into the prompt pane and the form.
    pub(super) fn apply_preset(&mut self, fill: &PresetFill) -> Vec<Effect> {
        let Some(preset) = self.presets.get(&fill.preset) else {
            return Vec::new();
        };
        match preset.draft(&fill.values()) {
            Ok(mut draft) => {
                let n = draft
                    .params
                    .remove("n")
                    .and_then(|v| v.as_i64())
                    .map_or(1, |n| u32::try_from(n).unwrap_or(1));
                let negative = draft.params.remove("negative_prompt");
                let operation = draft.operation.clone().unwrap_or_else(|| "generate".into());
                self.form.load(&draft.model, &operation, &draft.params, n);
                self.model_chosen = true;
                self.prompt
                    .set_text(draft.prompt.as_deref().unwrap_or_default());
                self.prompt.set_negative(
                    negative
                        .as_ref()
                        .and_then(ParamValue::as_str)
                        .unwrap_or_default(),
                );
                self.preset = Some(preset.name.clone());
                let note = self
                    .form
                    .notice
                    .take()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                self.say(
                    Level::Info,
                    format!("preset {}: {}{note}", preset.name, preset.title),
                );
                self.focus_pane(Pane::Prompt);
                self.revalidate();
            }
            Err(why) => self.say(Level::Error, why),
        }
        Vec::new()
    }

    /// The current prompt, negative prompt and form as a preset file.
    pub(super) fn save_preset(&mut self, name: &str) -> Vec<Effect> {
        if name.is_empty() {
            self.say(Level::Info, "a preset needs a name");
            return Vec::new();
        }
        let mut table = toml::Table::new();
        table.insert(
            "title".into(),
            toml::Value::String(name.replace(['-', '_'], " ")),
        );
        table.insert(
            "model".into(),
            toml::Value::String(self.form.model.id.clone()),
        );
        table.insert(
            "operation".into(),
            toml::Value::String(self.form.operation.clone()),
        );
        table.insert("prompt".into(), toml::Value::String(self.prompt.text()));
        let negative = self.prompt.negative_text();
        if !negative.trim().is_empty() {
            table.insert("negative_prompt".into(), toml::Value::String(negative));
        }
        if self.form.n > 1 {
            table.insert("n".into(), toml::Value::Integer(i64::from(self.form.n)));
        }
        let mut params = toml::Table::new();
        for (key, value) in self.form.explicit_params() {
            let value = match value {
                ParamValue::Bool(b) => toml::Value::Boolean(b),
                ParamValue::Int(i) => toml::Value::Integer(i),
                ParamValue::Float(f) => toml::Value::Float(f),
                ParamValue::Text(t) => toml::Value::String(t),
            };
            params.insert(key, value);
        }
        table.insert("params".into(), toml::Value::Table(params));
        let mut vars = toml::Table::new();
        for var in crate::presets::variables_in(&self.prompt.text()) {
            let mut entry = toml::Table::new();
            entry.insert(
                "help".into(),
                toml::Value::String(format!("fills {{{var}}}")),
            );
            vars.insert(var, toml::Value::Table(entry));
        }
        if !vars.is_empty() {
            table.insert("vars".into(), toml::Value::Table(vars));
        }
        match toml::to_string_pretty(&table) {
            Ok(text) => vec![Effect::SavePreset {
                name: name.to_string(),
                text,
            }],
            Err(e) => {
                self.say(Level::Error, format!("cannot write the preset: {e}"));
                Vec::new()
            }
        }
    }
}

/// `~/…` for paths under the home directory, for shorter status lines.
pub fn tidy(path: &Path) -> String {
    match dirs::home_dir().and_then(|home| path.strip_prefix(home).ok().map(Path::to_path_buf)) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}
