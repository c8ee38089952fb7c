//! Themes map meanings (title, muted, `job_failed`, cost...) to styles. The
//! shipped themes in themes/ are embedded; a user file of the same name in the
//! config dir's themes/ overrides only the roles it names. A role a theme
//! leaves out falls back along a chain ending at `text`. `NO_COLOR` keeps
//! bold, underline and reverse but drops every colour.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

const SHIPPED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

pub const DEFAULT_THEME: &str = "dark";

/// Every role, and the role it falls back to when a theme leaves it out.
const ROLES: &[(&str, Option<&str>)] = &[
    ("text", None),
    ("muted", Some("text")),
    ("accent", Some("text")),
    ("title", Some("accent")),
    ("border", Some("muted")),
    ("border_focused", Some("accent")),
    ("selection", Some("accent")),
    ("key", Some("accent")),
    ("success", Some("text")),
    ("warning", Some("text")),
    ("error", Some("text")),
    ("job_queued", Some("muted")),
    ("job_running", Some("accent")),
    ("job_succeeded", Some("success")),
    ("job_failed", Some("error")),
    ("cost", Some("accent")),
    ("mark_keep", Some("success")),
    ("mark_reject", Some("error")),
    ("star", Some("warning")),
    ("variable", Some("accent")),
    ("over_limit", Some("error")),
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    roles: BTreeMap<String, RoleStyle>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleStyle {
    #[serde(default)]
    fg: Option<String>,
    #[serde(default)]
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    reversed: bool,
}

#[derive(Clone, Debug)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<&'static str, Style>,
}

impl Theme {
    /// The style for `role`; an unknown role gets the `text` style.
    pub fn style(&self, role: &str) -> Style {
        self.styles
            .get(role)
            .or_else(|| self.styles.get("text"))
            .copied()
            .unwrap_or_default()
    }

    /// Loads theme `name`: the shipped one with the user's file of that name
    /// merged over it. Problems come back as warnings, never as failure.
    pub fn load(name: &str, user_dir: Option<&Path>, no_color: bool) -> (Theme, Vec<String>) {
        let mut warnings = Vec::new();
        let shipped = SHIPPED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text);
        let user = user_dir
            .map(|dir| dir.join(format!("{name}.toml")))
            .filter(|path| path.exists())
            .and_then(|path| match std::fs::read_to_string(&path) {
                Ok(text) => Some((path, text)),
                Err(e) => {
                    warnings.push(format!("cannot read {}: {e}", path.display()));
                    None
                }
            });
        if shipped.is_none() && user.is_none() {
            warnings.push(format!("there is no theme {name:?}; using {DEFAULT_THEME}"));
            let (theme, mut more) = Theme::load(DEFAULT_THEME, None, no_color);
            warnings.append(&mut more);
            return (theme, warnings);
        }
        let mut merged = shipped.map_or_else(ThemeFile::default, |text| {
            toml::from_str(text).expect("the shipped themes parse (tested)")
        });
        if let Some((path, text)) = user {
            match toml::from_str::<ThemeFile>(&text) {
                Ok(file) => {
                    merged.name = file.name.or(merged.name);
                    merged.roles.extend(file.roles);
                }
                Err(e) => warnings.push(format!("ignoring {} ({})", path.display(), e.message())),
            }
        }
        let theme = Theme::build(name, &merged, no_color, &mut warnings);
        (theme, warnings)
    }

    fn build(name: &str, file: &ThemeFile, no_color: bool, warnings: &mut Vec<String>) -> Theme {
        for role in file.roles.keys() {
            if !ROLES.iter().any(|(r, _)| r == role) {
                warnings.push(format!("theme {name}: there is no role {role:?}"));
            }
        }
        let mut styles: BTreeMap<&'static str, Style> = BTreeMap::new();
        // ROLES lists every fallback before the roles that use it.
        for (role, fallback) in ROLES {
            let inherited = fallback
                .and_then(|f| styles.get(f).copied())
                .unwrap_or_default();
            let style = match file.roles.get(*role) {
                Some(spec) => to_style(spec, no_color).unwrap_or_else(|e| {
                    warnings.push(format!("theme {name}, role {role}: {e}"));
                    inherited
                }),
                None => inherited,
            };
            styles.insert(role, style);
        }
        if no_color {
            // Without colour, the selection must still be visible.
            let selection = styles["selection"].add_modifier(Modifier::REVERSED);
            styles.insert("selection", selection);
        }
        Theme {
            name: file.name.clone().unwrap_or_else(|| name.to_string()),
            styles,
        }
    }

    /// The names of the shipped themes.
    pub fn shipped() -> impl Iterator<Item = &'static str> {
        SHIPPED.iter().map(|(name, _)| *name)
    }
}

fn parse_color(text: &str) -> Result<Color, String> {
    text.trim()
        .parse::<Color>()
        .map_err(|_| format!("{text:?} is not a colour (a name like lightblue, 0-255, or #rrggbb)"))
}

fn to_style(spec: &RoleStyle, no_color: bool) -> Result<Style, String> {
    let mut style = Style::default();
    if !no_color {
        if let Some(fg) = &spec.fg {
            style = style.fg(parse_color(fg)?);
        }
        if let Some(bg) = &spec.bg {
            style = style.bg(parse_color(bg)?);
        }
    }
    for (on, modifier) in [
        (spec.bold, Modifier::BOLD),
        (spec.italic, Modifier::ITALIC),
        (spec.underline, Modifier::UNDERLINED),
        (spec.dim, Modifier::DIM),
        (spec.reversed, Modifier::REVERSED),
    ] {
        if on {
            style = style.add_modifier(modifier);
        }
    }
    Ok(style)
}

/// Whether `NO_COLOR` asks for no colour (set and not empty, per no-color.org).
pub fn no_color_requested(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_themes_parse_and_define_every_role() {
        for name in Theme::shipped() {
            let (theme, warnings) = Theme::load(name, None, false);
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
            for (role, _) in ROLES {
                assert!(theme.styles.contains_key(role), "{name} lacks {role}");
            }
            assert!(theme.style("text").fg.is_some(), "{name} colours its text");
        }
        assert_eq!(Theme::shipped().count(), 3);
    }

    #[test]
    fn missing_roles_fall_back_along_the_chain() {
        let (light, _) = Theme::load("light", None, false);
        // light names no job_succeeded: it falls back to success.
        assert_eq!(light.style("job_succeeded"), light.style("success"));
        assert_eq!(light.style("mark_reject"), light.style("error"));
        assert_eq!(light.style("no-such-role"), light.style("text"));
    }

    #[test]
    fn no_color_keeps_emphasis_only() {
        let (theme, _) = Theme::load("dark", None, true);
        for (role, _) in ROLES {
            let style = theme.style(role);
            assert!(
                style.fg.is_none() && style.bg.is_none(),
                "{role} has a colour"
            );
        }
        assert!(theme.style("title").add_modifier.contains(Modifier::BOLD));
        assert!(
            theme
                .style("selection")
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert!(no_color_requested(Some("1")));
        assert!(!no_color_requested(Some("")));
        assert!(!no_color_requested(None));
    }

    #[test]
    fn user_files_override_only_what_they_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("dark.toml"),
            "[roles]\ntitle = { fg = 'red' }\n",
        )
        .unwrap();
        let (theme, warnings) = Theme::load("dark", Some(dir.path()), false);
        assert!(warnings.is_empty());
        assert_eq!(theme.style("title").fg, Some(Color::Red));
        assert_eq!(
            theme.style("text").fg,
            Some(Color::Rgb(0xd8, 0xde, 0xe9)),
            "the rest stays"
        );

        std::fs::write(dir.path().join("mine.toml"), "name = 'Mine'\n[roles]\ntext = { fg = '#010203' }\naccent = { fg = 'bogus' }\ntypo = {}\n").unwrap();
        let (mine, warnings) = Theme::load("mine", Some(dir.path()), false);
        assert_eq!(mine.name, "Mine");
        assert_eq!(
            mine.style("accent"),
            mine.style("text"),
            "a bad colour falls back"
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");

        std::fs::write(dir.path().join("broken.toml"), "roles = 3").unwrap();
        let (_, warnings) = Theme::load("broken", Some(dir.path()), false);
        assert!(warnings[0].contains("ignoring"));
        let (fallback, warnings) = Theme::load("nope", Some(dir.path()), false);
        assert_eq!(fallback.name, "Dark");
        assert!(warnings[0].contains("no theme"));
    }
}
