//! `tintype inspect FILE`: the recipe saved with an image (PNG text chunk, or
//! the JSON sidecar beside it) and the `tintype gen` command that makes it again.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use super::{CliError, CliResult};
use crate::text::strip_controls;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// An image tintype saved (or its .json sidecar)
    pub file: PathBuf,
    /// Print the recipe as JSON
    #[arg(long)]
    pub json: bool,
}

/// The recipe from the PNG's `tintype` iTXt chunk, else from the sidecar.
fn read_recipe(path: &Path) -> Result<Value, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if path.extension().is_some_and(|e| e == "json") {
        return serde_json::from_slice(&bytes)
            .map_err(|e| format!("{shown} is not a tintype recipe: {e}"));
    }
    if let Some(text) = png_text(&bytes, "tintype") {
        return serde_json::from_str(&text)
            .map_err(|e| format!("the recipe in {shown} is damaged: {e}"));
    }
    let sidecar = PathBuf::from(format!("{}.json", path.display()));
    let text = std::fs::read(&sidecar).map_err(|_| {
        format!(
            "{shown} carries no tintype recipe, and there is no {} beside it",
            sidecar.display()
        )
    })?;
    serde_json::from_slice(&text)
        .map_err(|e| format!("{} is not a tintype recipe: {e}", sidecar.display()))
}

/// The text of the first iTXt chunk named `keyword` (uncompressed, as tintype
/// writes them), walking the PNG's chunks without decoding pixels.
fn png_text(png: &[u8], keyword: &str) -> Option<String> {
    let mut at = 8;
    if png.get(..8)? != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    while at + 8 <= png.len() {
        let length = u32::from_be_bytes(png[at..at + 4].try_into().ok()?) as usize;
        let kind = &png[at + 4..at + 8];
        let data = png.get(at + 8..at + 8 + length)?;
        if kind == b"iTXt"
            && data.starts_with(keyword.as_bytes())
            && data.get(keyword.len()) == Some(&0)
        {
            // keyword NUL, compression flag, method, language NUL, translated NUL, text.
            let rest = data.get(keyword.len() + 3..)?;
            let language_end = rest.iter().position(|b| *b == 0)?;
            let rest = &rest[language_end + 1..];
            let translated_end = rest.iter().position(|b| *b == 0)?;
            return String::from_utf8(rest[translated_end + 1..].to_vec()).ok();
        }
        if kind == b"IEND" {
            break;
        }
        at += 12 + length;
    }
    None
}

/// A shell word: bare when safe, else single-quoted.
fn shell_word(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The `tintype gen` command line that asks for this recipe again.
pub fn gen_command(recipe: &Value) -> String {
    let text = |key: &str| recipe.get(key).and_then(Value::as_str).map(str::to_string);
    let mut words = vec!["tintype".to_string(), "gen".to_string()];
    if let Some(model) = text("model") {
        words.extend(["-m".into(), shell_word(&model)]);
    }
    if let Some(op) = text("operation").filter(|op| op != "generate") {
        words.extend(["--op".into(), shell_word(&op)]);
    }
    if let Some(params) = recipe.get("params").and_then(Value::as_object) {
        for (name, value) in params {
            if name == "seed" || name == "negative_prompt" {
                continue;
            }
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            words.extend(["--param".into(), shell_word(&format!("{name}={value}"))]);
        }
    }
    if let Some(seed) = recipe.get("seed").and_then(Value::as_u64) {
        words.extend(["--seed".into(), seed.to_string()]);
    }
    if let Some(negative) = text("negative_prompt") {
        words.extend(["--negative".into(), shell_word(&negative)]);
    }
    if let Some(prompt) = text("prompt").filter(|p| !p.is_empty()) {
        words.push(shell_word(&prompt));
    }
    words.join(" ")
}

pub fn run(args: &InspectArgs) -> CliResult {
    let recipe = read_recipe(&args.file).map_err(CliError::Invalid)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&recipe).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    let field = |key: &str| {
        recipe.get(key).filter(|v| !v.is_null()).map(|v| {
            strip_controls(
                &v.as_str().map_or_else(|| v.to_string(), str::to_string),
                true,
            )
        })
    };
    for (label, key) in [
        ("model", "model"),
        ("operation", "operation"),
        ("prompt", "prompt"),
        ("negative", "negative_prompt"),
        ("revised", "revised_prompt"),
        ("seed", "seed"),
        ("params", "params"),
        ("made", "created_at"),
        ("request", "request_id"),
        ("note", "note"),
    ] {
        if let Some(value) = field(key) {
            println!("{label:<10} {value}");
        }
    }
    println!(
        "\nagain:     {}",
        strip_controls(&gen_command(&recipe), true)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rebuilds_the_command_line() {
        let recipe = json!({
            "model": "openai/gpt-image-2", "operation": "generate", "prompt": "a fox's den",
            "params": { "quality": "high", "size": "1024x1536", "seed": 9 }, "seed": 42,
            "negative_prompt": "blur"
        });
        assert_eq!(
            gen_command(&recipe),
            "tintype gen -m openai/gpt-image-2 --param quality=high --param size=1024x1536 --seed 42 --negative blur 'a fox'\\''s den'"
        );
        let edit = json!({ "model": "sandbox/procedural", "operation": "edit", "prompt": "hat", "params": {} });
        assert_eq!(
            gen_command(&edit),
            "tintype gen -m sandbox/procedural --op edit hat"
        );
    }

    #[test]
    fn finds_the_recipe_chunk() {
        let mut png = std::io::Cursor::new(Vec::new());
        image::RgbaImage::new(2, 2)
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        let stamped = crate::engine::output::with_text_chunks(
            &png.into_inner(),
            &[("Other", "x"), ("tintype", "{\"seed\":7}")],
        )
        .unwrap();
        assert_eq!(
            png_text(&stamped, "tintype").as_deref(),
            Some("{\"seed\":7}")
        );
        assert_eq!(png_text(&stamped, "missing"), None);
        assert_eq!(png_text(b"not a png", "tintype"), None);
        assert_eq!(
            png_text(&stamped[..40], "tintype"),
            None,
            "a truncated file is handled"
        );
    }
}
