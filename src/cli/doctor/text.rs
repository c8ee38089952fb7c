//! The doctor's report as text for a person: one section per concern, a
//! label and a value per line, the keys as a table.

use indicatif::HumanBytes;

use super::files::{DatabaseReport, PathsReport, Tally};
use super::{CatalogReport, GraphicsReport, KeyReport, KeyStatus, Report};
use crate::cli::table::Table;

pub(super) fn render(report: &Report) -> String {
    let mut out = format!("tintype {} doctor\n", report.tintype);
    graphics(&mut out, &report.graphics);
    keys(&mut out, &report.keys);
    files(&mut out, &report.paths, &report.catalog);
    catalog(&mut out, &report.catalog);
    out
}

fn line(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!("  {label:<16} {value}\n"));
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

fn graphics(out: &mut String, graphics: &GraphicsReport) {
    out.push_str("\nGraphics\n");
    line(out, "protocol", graphics.protocol);
    let [width, height] = graphics.cell_px;
    line(out, "cell size", &format!("{width}x{height} px"));
    line(out, "tmux", yes_no(graphics.tmux));
    line(out, "ssh", yes_no(graphics.ssh));
    let asked = match &graphics.not_asked_because {
        None => "asked".to_string(),
        Some(because) => format!("not asked: {because}"),
    };
    line(out, "terminal", &asked);
    let setting = graphics.setting.as_ref().map_or_else(
        || "auto (not set)".to_string(),
        |setting| format!("{} (from {})", setting.value, setting.from),
    );
    line(out, "graphics", &setting);
    for (name, value) in &graphics.terminal_env {
        if let Some(value) = value {
            line(out, name, value);
        }
    }
    out.push_str("  why:\n");
    for reason in &graphics.reasons {
        out.push_str(&format!("    • {reason}\n"));
    }
}

fn keys(out: &mut String, keys: &[KeyReport]) {
    out.push_str("\nKeys\n");
    let mut table = Table::new(&[("PROVIDER", false), ("SOURCE", false), ("KEY", false)]);
    for key in keys {
        let note = key.note.as_deref().unwrap_or_default();
        let shown = match key.status {
            KeyStatus::Found => key.masked.clone().unwrap_or_default(),
            KeyStatus::Missing => format!("no key: {note}"),
            KeyStatus::NotNeeded => "no key; none needed (offline, built in)".into(),
            KeyStatus::NotRun => format!("not run; {note}"),
            KeyStatus::Failed => format!("failed: {note}"),
        };
        table.push(vec![
            key.provider.clone(),
            key.source.clone().unwrap_or_else(|| "-".into()),
            shown,
        ]);
    }
    for row in table.render().lines() {
        out.push_str(&format!("  {row}\n"));
    }
}

fn files(out: &mut String, paths: &PathsReport, catalog: &CatalogReport) {
    out.push_str("\nFiles\n");
    let config = &paths.config_file;
    let state = match (&config.warning, config.exists) {
        (Some(warning), _) => format!("ignored: {warning}"),
        (None, true) => "read".to_string(),
        (None, false) => "absent: defaults in use".to_string(),
    };
    line(out, "config file", &format!("{} ({state})", config.path));
    line(out, "database", &database(&paths.database));
    let images = &paths.images;
    let contents = if images.exists {
        let Tally {
            images,
            files,
            bytes,
        } = images.contents;
        let noun = if images == 1 { "image" } else { "images" };
        format!("{images} {noun} in {files} files, {}", HumanBytes(bytes))
    } else {
        "absent: made on the first generation".to_string()
    };
    line(out, "images", &format!("{} ({contents})", images.path));
    for (label, dir) in [("presets", &paths.presets), ("exports", &paths.exports)] {
        let state = if dir.exists { "" } else { " (absent)" };
        line(out, label, &format!("{}{state}", dir.path));
    }
    let overlay = &catalog.overlay;
    let state = if overlay.present { "" } else { " (absent)" };
    line(out, "catalog overlay", &format!("{}{state}", overlay.path));
}

fn database(database: &DatabaseReport) -> String {
    if !database.exists {
        return format!("{} (absent: made when first needed)", database.path);
    }
    let size = database
        .bytes
        .map_or_else(String::new, |b| format!("{}, ", HumanBytes(b)));
    let known = database.schema_supported;
    let schema = match (database.schema_version, &database.error) {
        (_, Some(error)) => format!("cannot read it: {error}"),
        (Some(found), None) if found > known => {
            format!("schema {found}, newer than this tintype knows ({known}): upgrade tintype")
        }
        (Some(found), None) if found < known => {
            format!("schema {found}; brought up to {known} when tintype next opens it")
        }
        (Some(found), None) => format!("schema {found}, current"),
        (None, None) => "schema unknown".to_string(),
    };
    format!("{} ({size}{schema})", database.path)
}

fn catalog(out: &mut String, catalog: &CatalogReport) {
    out.push_str("\nCatalog\n");
    line(out, "version", &catalog.version);
    line(
        out,
        "hash",
        &format!("{} (the built-in catalog)", catalog.hash),
    );
    line(
        out,
        "contents",
        &format!(
            "{} models from {} providers",
            catalog.models, catalog.providers
        ),
    );
    let overlay = &catalog.overlay;
    let state = match (&overlay.warning, overlay.merged) {
        (Some(warning), _) => format!("ignored: {warning}"),
        (None, true) => format!("merged from {}", overlay.path),
        (None, false) => "none".to_string(),
    };
    line(out, "overlay", &state);
}
