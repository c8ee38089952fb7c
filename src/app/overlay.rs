//! What is drawn over the panes: help, a question, the preset picker and its
//! variable form, and small one-line inputs. One at a time, topmost gets keys.

use std::collections::BTreeMap;
use std::sync::Arc;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::submit::{Rerun, Submission};
use crate::presets::Preset;

#[derive(Debug)]
pub enum Overlay {
    Help,
    Confirm(Confirm),
    Presets(PresetPicker),
    Fill(PresetFill),
    /// The name to save the current prompt and parameters under.
    SaveAs(String),
    /// Typing a value for a parameter row (numbers, text, seed).
    EditField {
        row: usize,
        text: String,
    },
}

#[derive(Debug)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub yes: OnYes,
}

#[derive(Debug)]
pub enum OnYes {
    Quit,
    Submit(Submission),
    Resend(Rerun),
}

/// The presets, shared by the picker and the fill form.
pub type Presets = Arc<BTreeMap<String, Preset>>;

#[derive(Debug, Default)]
pub struct PresetPicker {
    pub query: String,
    /// Names of the matching presets, best first.
    pub matches: Vec<String>,
    pub selected: usize,
}

impl PresetPicker {
    pub fn new(presets: &Presets) -> PresetPicker {
        let mut picker = PresetPicker::default();
        picker.refilter(presets);
        picker
    }

    /// Fuzzy-matches the query against each preset's name, title and model.
    pub fn refilter(&mut self, presets: &Presets) {
        self.selected = 0;
        if self.query.trim().is_empty() {
            self.matches = presets.keys().cloned().collect();
            return;
        }
        let pattern = Pattern::parse(&self.query, CaseMatching::Ignore, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut scored: Vec<(u32, String)> = presets
            .values()
            .filter_map(|p| {
                let haystack = format!("{} {} {}", p.name, p.title, p.model);
                let mut buf = Vec::new();
                pattern
                    .score(Utf32Str::new(&haystack, &mut buf), &mut matcher)
                    .map(|score| (score, p.name.clone()))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        self.matches = scored.into_iter().map(|(_, name)| name).collect();
    }

    pub fn chosen(&self) -> Option<&str> {
        self.matches.get(self.selected).map(String::as_str)
    }
}

/// Values for a preset's variables, defaults filled in.
#[derive(Debug)]
pub struct PresetFill {
    pub preset: String,
    pub vars: Vec<FillVar>,
    pub selected: usize,
}

#[derive(Debug)]
pub struct FillVar {
    pub name: String,
    pub value: String,
    pub help: Option<String>,
}

impl PresetFill {
    pub fn new(preset: &Preset) -> PresetFill {
        PresetFill {
            preset: preset.name.clone(),
            vars: preset
                .vars
                .iter()
                .map(|(name, var)| FillVar {
                    name: name.clone(),
                    value: var.default.clone().unwrap_or_default(),
                    help: var.help.clone(),
                })
                .collect(),
            selected: 0,
        }
    }

    pub fn values(&self) -> BTreeMap<String, String> {
        self.vars
            .iter()
            .filter(|v| !v.value.trim().is_empty())
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect()
    }
}
