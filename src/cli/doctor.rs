//! `tintype doctor`: what it takes to debug a setup. Which graphics protocol
//! was picked and why (SSH and tmux are the usual suspects), where each key
//! comes from, where the files live, and which catalog is in use. Keys are
//! shown masked or not at all; values from outside are stripped of control
//! characters before they are printed.

mod files;
mod text;

use std::collections::BTreeMap;
use std::io::IsTerminal;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use super::{CliResult, Context};
use crate::catalog::Catalog;
use crate::config::keys::{Env, KeySource, key_source, process_env, resolve_key};
use crate::config::{Config, Paths};
use crate::preview::detect::{QUERY_TIMEOUT, RawMode, asks_terminal, detect};

#[derive(Debug, Args)]
#[command(
    about = "What tintype finds here: the graphics protocol and why, keys (masked), files, catalog"
)]
pub struct DoctorArgs {
    /// Run the key commands from config.toml, to check each prints a key (shown masked)
    #[arg(long)]
    pub run_key_cmds: bool,
    /// Print one JSON object with the same information, for scripts
    #[arg(long)]
    pub json: bool,
}

/// The terminal variables worth seeing when pictures do not show.
const TERMINAL_VARS: [&str; 3] = ["TERM", "TERM_PROGRAM", "COLORTERM"];

#[derive(Serialize)]
struct Report {
    tintype: &'static str,
    graphics: GraphicsReport,
    keys: Vec<KeyReport>,
    paths: files::PathsReport,
    catalog: CatalogReport,
}

#[derive(Serialize)]
struct GraphicsReport {
    protocol: &'static str,
    cell_px: [u16; 2],
    tmux: bool,
    ssh: bool,
    asked_terminal: bool,
    not_asked_because: Option<String>,
    /// `graphics` from `$TINTYPE_GRAPHICS` or config.toml, if set.
    setting: Option<GraphicsSetting>,
    reasons: Vec<String>,
    /// `TERM`, `TERM_PROGRAM` and `COLORTERM`; null when unset.
    terminal_env: BTreeMap<&'static str, Option<String>>,
}

#[derive(Serialize)]
struct GraphicsSetting {
    value: String,
    from: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum KeyStatus {
    Found,
    Missing,
    /// The provider works without a key (the offline sandbox).
    NotNeeded,
    /// An `api_key_cmd` left alone: it may prompt, or be slow.
    NotRun,
    Failed,
}

#[derive(Serialize)]
struct KeyReport {
    provider: String,
    /// `$OPENAI_API_KEY`, `config.toml` or `api_key_cmd`.
    source: Option<String>,
    status: KeyStatus,
    /// `sk-…abcd`: enough to tell keys apart, too little to use one.
    masked: Option<String>,
    /// Where a missing key may go, or why fetching it failed.
    note: Option<String>,
}

#[derive(Serialize)]
struct CatalogReport {
    version: String,
    /// Of the catalog built into this binary, overlay aside.
    hash: String,
    models: usize,
    providers: usize,
    overlay: OverlayReport,
}

#[derive(Serialize)]
struct OverlayReport {
    path: String,
    present: bool,
    merged: bool,
    warning: Option<String>,
}

pub fn run(args: &DoctorArgs) -> CliResult {
    let paths = Paths::from_env().map_err(anyhow::Error::msg)?;
    // Loaded here rather than through `Context::load`, so a broken file is
    // part of the report instead of a warning on stderr.
    let (config, config_warning) = Config::load(&paths.config_file());
    let context = Context { paths, config };
    let overlay = context.paths.catalog_overlay();
    let (catalog, overlay_warning) =
        Catalog::load(Some(&overlay)).context("the built-in catalog failed to load")?;
    let report = Report {
        tintype: env!("CARGO_PKG_VERSION"),
        graphics: graphics(&context, &process_env),
        keys: keys(&context, &catalog, &process_env, args.run_key_cmds),
        paths: files::paths(&context.paths, config_warning.as_deref()),
        catalog: CatalogReport {
            version: clean(catalog.version()),
            hash: Catalog::embedded_hash(),
            models: catalog.models().count(),
            providers: catalog.providers().count(),
            overlay: OverlayReport {
                path: files::shown(&overlay),
                present: overlay.exists(),
                merged: overlay.exists() && overlay_warning.is_none(),
                warning: overlay_warning.as_deref().map(clean),
            },
        },
    };
    if args.json {
        let json = serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?;
        println!("{json}");
    } else {
        print!("{}", text::render(&report));
    }
    Ok(())
}

/// One line, no escape sequences: a value from outside made safe to print.
fn clean(text: &str) -> String {
    crate::text::strip_controls(text, true)
}

fn graphics(context: &Context, env: Env<'_>) -> GraphicsReport {
    let setting = context.graphics_setting(env);
    let configured = setting.as_ref().map(|(value, _)| value.as_str());
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let (detected, not_asked_because) = if !asks_terminal(configured) {
        let because = "graphics is set, so the terminal was not asked";
        (
            detect(configured, false, QUERY_TIMEOUT),
            Some(because.into()),
        )
    } else if !terminal {
        let because = "stdin or stdout is not a terminal (run doctor in the terminal itself, \
                       not through a pipe); environment hints only";
        (
            detect(configured, false, QUERY_TIMEOUT),
            Some(because.into()),
        )
    } else {
        match RawMode::enter() {
            Ok(_raw) => (detect(configured, true, QUERY_TIMEOUT), None),
            Err(e) => {
                let because = format!("cannot put the terminal in raw mode ({e})");
                (detect(configured, false, QUERY_TIMEOUT), Some(because))
            }
        }
    };
    GraphicsReport {
        protocol: detected.graphics.name(),
        cell_px: [detected.cell.0, detected.cell.1],
        tmux: detected.tmux,
        ssh: detected.ssh,
        asked_terminal: not_asked_because.is_none(),
        not_asked_because,
        setting: setting.map(|(value, from)| GraphicsSetting {
            value: clean(&value),
            from,
        }),
        reasons: detected.reasons.iter().map(|r| clean(r)).collect(),
        terminal_env: TERMINAL_VARS
            .into_iter()
            .map(|name| (name, env(name).map(|value| clean(&value))))
            .collect(),
    }
}

fn keys(context: &Context, catalog: &Catalog, env: Env<'_>, run_commands: bool) -> Vec<KeyReport> {
    catalog
        .providers()
        .map(|(id, spec)| {
            let source = key_source(id, spec, &context.config, env);
            let (status, masked, note) = match &source {
                None if spec.key_env.is_empty() => (KeyStatus::NotNeeded, None, None),
                None => {
                    let vars: Vec<String> = spec.key_env.iter().map(|v| format!("${v}")).collect();
                    let note = format!("set {}", vars.join(" or "));
                    (KeyStatus::Missing, None, Some(note))
                }
                Some(KeySource::Command(_)) if !run_commands => (
                    KeyStatus::NotRun,
                    None,
                    Some("pass --run-key-cmds to check it".into()),
                ),
                Some(source) => match resolve_key(id, source, &context.config, env) {
                    Ok(key) => (KeyStatus::Found, Some(key.masked()), None),
                    Err(error) => (KeyStatus::Failed, None, Some(clean(&error))),
                },
            };
            KeyReport {
                provider: clean(id),
                source: source.map(|s| clean(&s.to_string())),
                status,
                masked,
                note,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(config: &str) -> Context {
        super::super::context::test_context(config)
    }

    fn status_of<'a>(reports: &'a [KeyReport], provider: &str) -> &'a KeyReport {
        reports.iter().find(|r| r.provider == provider).unwrap()
    }

    #[test]
    fn key_commands_run_only_when_asked_and_keys_stay_masked() {
        let catalog = Catalog::embedded().unwrap();
        let context = context(
            "[providers.openai]\napi_key_cmd = 'echo sk-fromcommand0123456789wxyz'\n\
             [providers.stability]\napi_key_cmd = 'exit 7'\n",
        );
        let env = |name: &str| {
            (name == "GOOGLE_API_KEY").then(|| "AIzaSyEnvironment0123456789abcd".to_string())
        };

        let untouched = keys(&context, &catalog, &env, false);
        let openai = status_of(&untouched, "openai");
        assert_eq!(openai.status, KeyStatus::NotRun);
        assert_eq!(openai.source.as_deref(), Some("api_key_cmd"));
        assert!(openai.masked.is_none());
        let gemini = status_of(&untouched, "gemini");
        assert_eq!(gemini.status, KeyStatus::Found);
        assert_eq!(gemini.masked.as_deref(), Some("…abcd"));
        assert_eq!(
            status_of(&untouched, "sandbox").status,
            KeyStatus::NotNeeded
        );
        let replicate = status_of(&untouched, "replicate");
        assert_eq!(replicate.status, KeyStatus::Missing);
        assert_eq!(replicate.note.as_deref(), Some("set $REPLICATE_API_TOKEN"));

        let checked = keys(&context, &catalog, &env, true);
        let openai = status_of(&checked, "openai");
        assert_eq!(openai.status, KeyStatus::Found);
        assert_eq!(openai.masked.as_deref(), Some("sk-…wxyz"));
        let stability = status_of(&checked, "stability");
        assert_eq!(stability.status, KeyStatus::Failed);
        assert!(stability.note.as_deref().unwrap().contains("failed"));
    }
}
