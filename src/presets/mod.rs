//! Presets: a prompt with `{variables}` plus parameters for one model. The
//! shipped ones (presets/*.toml) are embedded; a file of the same name in the
//! user's presets dir wins. A preset becomes a `Draft`, so it is validated by
//! the catalog exactly like a request typed on the command line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::catalog::{Draft, ParamValue, Params};

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../presets/", $name, ".toml")))),*]
    };
}

const SHIPPED: &[(&str, &str)] = shipped!(
    "anime-key-visual",
    "app-icon",
    "character-sheet",
    "cinematic-still",
    "offline-demo",
    "product-shot",
    "thumbnail-sketches",
    "watercolour-postcard",
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// The file stem: `product-shot`.
    #[serde(skip)]
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub model: String,
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub negative_prompt: Option<String>,
    #[serde(default)]
    pub n: Option<u32>,
    #[serde(default)]
    pub params: Params,
    #[serde(default)]
    pub vars: BTreeMap<String, Variable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub help: Option<String>,
}

/// The `{name}` variables in `text`, in order of first use. `{{` and `}}`
/// stand for literal braces.
pub fn variables_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for_each_piece(text, |piece| {
        if let Piece::Variable(name) = piece
            && !found.iter().any(|f| f == name)
        {
            found.push(name.to_string());
        }
    });
    found
}

enum Piece<'a> {
    Text(&'a str),
    Variable(&'a str),
}

fn for_each_piece<'a>(text: &'a str, mut visit: impl FnMut(Piece<'a>)) {
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        visit(Piece::Text(&rest[..open]));
        let tail = &rest[open..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            visit(Piece::Text(&tail[..1]));
            rest = &tail[2..];
            continue;
        }
        let name_end = tail[1..].find('}').map(|i| i + 1);
        let name = name_end.map(|end| &tail[1..end]);
        match name {
            Some(name) if tail.starts_with('{') && is_variable_name(name) => {
                visit(Piece::Variable(name));
                rest = &tail[name.len() + 2..];
            }
            _ => {
                visit(Piece::Text(&tail[..1]));
                rest = &tail[1..];
            }
        }
    }
    visit(Piece::Text(rest));
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Preset {
    pub fn parse(name: &str, text: &str) -> Result<Preset, String> {
        let mut preset: Preset =
            toml::from_str(text).map_err(|e| format!("preset {name}: {}", e.message()))?;
        preset.name = name.to_string();
        let used: Vec<String> = [&preset.prompt, &preset.negative_prompt]
            .into_iter()
            .flatten()
            .flat_map(|t| variables_in(t))
            .collect();
        if let Some(missing) = used.iter().find(|v| !preset.vars.contains_key(*v)) {
            return Err(format!(
                "preset {name}: {{{missing}}} is used but not declared under [vars]"
            ));
        }
        if let Some(unused) = preset.vars.keys().find(|v| !used.contains(v)) {
            return Err(format!(
                "preset {name}: variable {unused} is declared but not used"
            ));
        }
        Ok(preset)
    }

    fn fill(&self, text: &str, values: &BTreeMap<String, String>) -> String {
        let mut out = String::with_capacity(text.len());
        for_each_piece(text, |piece| match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Variable(name) => {
                let value = values
                    .get(name)
                    .map(String::as_str)
                    .or_else(|| self.vars.get(name).and_then(|v| v.default.as_deref()))
                    .unwrap_or_default();
                out.push_str(value);
            }
        });
        out
    }

    /// The draft this preset makes with `values` for its variables (the
    /// defaults fill the rest).
    pub fn draft(&self, values: &BTreeMap<String, String>) -> Result<Draft, String> {
        if let Some(unknown) = values.keys().find(|k| !self.vars.contains_key(*k)) {
            let known: Vec<&String> = self.vars.keys().collect();
            return Err(format!(
                "preset {} has no variable {unknown}; it has {}",
                self.name,
                crate::catalog::value::one_of_list(&known)
            ));
        }
        if let Some((name, _)) = self
            .vars
            .iter()
            .find(|(name, var)| var.default.is_none() && !values.contains_key(*name))
        {
            return Err(format!(
                "preset {} needs a value for {name} (--var {name}=...)",
                self.name
            ));
        }
        let mut params = self.params.clone();
        if let Some(n) = self.n {
            params.insert("n".into(), ParamValue::Int(i64::from(n)));
        }
        if let Some(negative) = &self.negative_prompt {
            params.insert(
                "negative_prompt".into(),
                ParamValue::Text(self.fill(negative, values)),
            );
        }
        Ok(Draft {
            model: self.model.clone(),
            operation: self.operation.clone(),
            prompt: self.prompt.as_ref().map(|p| self.fill(p, values)),
            params,
            split: true,
            ..Draft::default()
        })
    }
}

/// Every preset: the shipped ones, then the user's `*.toml` files, which win
/// by name. Files that do not parse are skipped with a warning each.
pub fn load(user_dir: Option<&Path>) -> (BTreeMap<String, Preset>, Vec<String>) {
    let mut presets = BTreeMap::new();
    let mut warnings = Vec::new();
    for (name, text) in SHIPPED {
        match Preset::parse(name, text) {
            Ok(preset) => {
                presets.insert((*name).to_string(), preset);
            }
            Err(error) => warnings.push(error),
        }
    }
    let Some(entries) = user_dir.and_then(|dir| std::fs::read_dir(dir).ok()) else {
        return (presets, warnings);
    };
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        if path.extension().is_none_or(|ext| ext != "toml") {
            continue;
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| Preset::parse(&name, &t))
        {
            Ok(preset) => {
                presets.insert(name, preset);
            }
            Err(error) => warnings.push(format!("ignoring {}: {error}", path.display())),
        }
    }
    (presets, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_variables_and_literal_braces() {
        assert_eq!(
            variables_in("a {subject} in {place}, {subject}"),
            vec!["subject", "place"]
        );
        assert!(variables_in("json {{like}} this, {Not} {a-b} { }").is_empty());
        let preset = Preset::parse(
            "t",
            "title = 't'\nmodel = 'sandbox/procedural'\nprompt = '{{literal}} {x}!'\n[vars.x]\ndefault = 'fox'\n",
        )
        .unwrap();
        let draft = preset.draft(&BTreeMap::new()).unwrap();
        assert_eq!(draft.prompt.as_deref(), Some("{literal} fox!"));
        let values = BTreeMap::from([("x".to_string(), "owl".to_string())]);
        assert_eq!(
            preset.draft(&values).unwrap().prompt.as_deref(),
            Some("{literal} owl!")
        );
    }

    #[test]
    fn variables_must_be_declared_used_and_filled() {
        let undeclared =
            Preset::parse("p", "title = 't'\nmodel = 'm'\nprompt = 'a {thing}'\n").unwrap_err();
        assert!(
            undeclared.contains("{thing} is used but not declared"),
            "{undeclared}"
        );
        let unused = Preset::parse(
            "p",
            "title = 't'\nmodel = 'm'\nprompt = 'a'\n[vars.thing]\ndefault = 'x'\n",
        )
        .unwrap_err();
        assert!(unused.contains("declared but not used"), "{unused}");
        let needs = Preset::parse(
            "p",
            "title = 't'\nmodel = 'm'\nprompt = '{thing}'\n[vars.thing]\n",
        )
        .unwrap();
        assert!(
            needs
                .draft(&BTreeMap::new())
                .unwrap_err()
                .contains("--var thing=")
        );
        let wrong = BTreeMap::from([("other".to_string(), "x".to_string())]);
        assert!(
            needs
                .draft(&wrong)
                .unwrap_err()
                .contains("has no variable other")
        );
    }

    #[test]
    fn user_presets_win_by_name_and_broken_ones_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("product-shot.toml"),
            "title = 'Mine'\nmodel = 'sandbox/procedural'\nprompt = 'mine'\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.toml"), "title = \n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let (presets, warnings) = load(Some(dir.path()));
        assert_eq!(presets["product-shot"].title, "Mine");
        assert!(presets.contains_key("app-icon"));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("broken.toml"));
    }
}
