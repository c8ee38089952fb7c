//! Saving a provider's image: checked, written atomically (temp file, fsync,
//! rename), with its recipe embedded as PNG text chunks and beside it as a
//! JSON sidecar. A crash leaves either the whole file or nothing.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::catalog::Params;

/// Everything needed to make the image again. Never holds a key.
#[derive(Clone, Debug, Serialize)]
pub struct Recipe {
    pub tintype: &'static str,
    pub model: String,
    pub operation: String,
    pub prompt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_prompt: Option<String>,
    pub params: Params,
    pub seed: Option<u64>,
    pub request_id: i64,
    pub job_id: i64,
    pub index: u32,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revised_prompt: Option<String>,
    /// Set for the sandbox: says plainly that no AI made the picture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedImage {
    pub path: PathBuf,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub format: String,
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

/// A short, file-name-safe rendering of the prompt: `neon-cat-on-a-roof`.
pub fn slug(prompt: &str) -> String {
    let mut slug = String::new();
    for word in prompt
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if slug.len() + word.len() > 40 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word.to_lowercase());
    }
    if slug.is_empty() {
        "image".into()
    } else {
        slug
    }
}

/// Inserts UTF-8 text chunks (iTXt) right after the PNG header chunk.
pub fn with_text_chunks(png: &[u8], entries: &[(&str, &str)]) -> Result<Vec<u8>, String> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    // Signature, then IHDR: length (4) + type (4) + 13 data bytes + CRC (4).
    let after_header = SIGNATURE.len() + 25;
    if png.len() < after_header || !png.starts_with(SIGNATURE) || &png[12..16] != b"IHDR" {
        return Err("not a PNG file".into());
    }
    let mut out = Vec::with_capacity(png.len() + 512);
    out.extend_from_slice(&png[..after_header]);
    for (keyword, text) in entries {
        // keyword, NUL, uncompressed, method 0, no language, no translation.
        let mut data = Vec::with_capacity(keyword.len() + text.len() + 5);
        data.extend_from_slice(keyword.as_bytes());
        data.extend_from_slice(&[0, 0, 0, 0, 0]);
        data.extend_from_slice(text.as_bytes());
        let length = u32::try_from(data.len()).map_err(|_| "text chunk too large")?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(b"iTXt");
        crc.update(&data);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(b"iTXt");
        out.extend_from_slice(&data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    out.extend_from_slice(&png[after_header..]);
    Ok(out)
}

const PART_PREFIX: &str = ".tintype-";
const PART_SUFFIX: &str = ".part";

/// Removes the half-written files (`.tintype-<pid>-*.part`) that tintypes
/// killed mid-write left in `images` and its day folders; `alive(pid)` says
/// whether a tintype with that pid is running. Returns how many went.
pub fn sweep_parts(images: &Path, alive: impl Fn(u32) -> bool) -> usize {
    let mut swept = 0;
    let mut dirs = vec![images.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(images) {
        dirs.extend(
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path()),
        );
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix(PART_PREFIX)
                .filter(|_| name.ends_with(PART_SUFFIX))
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if !alive(pid) && std::fs::remove_file(entry.path()).is_ok() {
                swept += 1;
            }
        }
    }
    swept
}

/// Writes `bytes` to `path` so that readers see all of it or none of it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    // The pid names the writer, so a restart can tell a part left by a
    // killed tintype from one a running tintype is writing now.
    let prefix = format!("{PART_PREFIX}{}-", std::process::id());
    builder.prefix(&prefix).suffix(PART_SUFFIX);
    // Saved images are ordinary files for viewers and file managers, not secrets.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut temp = builder.tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist_noclobber(path).map_err(|e| e.error)?;
    // The rename itself is durable only once the directory is synced.
    File::open(dir)?.sync_all()
}

/// Why an image was not saved: what came cannot be decoded (the provider's
/// fault), or it could not be written here (ours: disk, permissions).
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{0}")]
    Unreadable(String),
    #[error("{0}")]
    Disk(String),
}

/// Checks, stamps and saves one image; returns where it went and what it is.
pub fn save_image(
    dir: &Path,
    stem: &str,
    bytes: &[u8],
    format: &str,
    recipe: &Recipe,
) -> Result<SavedImage, SaveError> {
    let decoded = image::load_from_memory(bytes).map_err(|e| {
        SaveError::Unreadable(format!(
            "the provider sent an unreadable {format} image: {e}"
        ))
    })?;
    write_checked(dir, stem, bytes, format, recipe, &decoded).map_err(SaveError::Disk)
}

fn write_checked(
    dir: &Path,
    stem: &str,
    bytes: &[u8],
    format: &str,
    recipe: &Recipe,
    decoded: &image::DynamicImage,
) -> Result<SavedImage, String> {
    let actual_format = image::guess_format(bytes)
        .ok()
        .and_then(|f| f.extensions_str().first().copied())
        .map_or_else(
            || format.to_string(),
            |ext| {
                if ext == "jpg" {
                    "jpeg".into()
                } else {
                    ext.to_string()
                }
            },
        );
    let recipe_json = serde_json::to_string(recipe).map_err(|e| e.to_string())?;
    let stamped = if actual_format == "png" {
        let mut entries = vec![
            ("tintype", recipe_json.as_str()),
            ("Description", recipe.prompt.as_str()),
            ("Software", concat!("tintype ", env!("CARGO_PKG_VERSION"))),
        ];
        if let Some(note) = &recipe.note {
            entries.push(("Comment", note));
        }
        with_text_chunks(bytes, &entries)?
    } else {
        bytes.to_vec()
    };
    let extension = if actual_format == "jpeg" {
        "jpg"
    } else {
        &actual_format
    };
    let path = unique_path(dir, stem, extension);
    write_atomically(&path, &stamped)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let sidecar = path.with_extension(format!("{extension}.json"));
    let pretty = serde_json::to_vec_pretty(recipe).map_err(|e| e.to_string())?;
    write_atomically(&sidecar, &pretty)
        .map_err(|e| format!("cannot write {}: {e}", sidecar.display()))?;
    Ok(SavedImage {
        sha256: hex_sha256(&stamped),
        width: decoded.width(),
        height: decoded.height(),
        format: actual_format,
        path,
    })
}

fn unique_path(dir: &Path, stem: &str, extension: &str) -> PathBuf {
    let first = dir.join(format!("{stem}.{extension}"));
    if !first.exists() {
        return first;
    }
    (2..100_000)
        .map(|k| dir.join(format!("{stem}-{k}.{extension}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe() -> Recipe {
        Recipe {
            tintype: "test",
            model: "sandbox/procedural".into(),
            operation: "generate".into(),
            prompt: "a café at night ☕".into(),
            negative_prompt: None,
            params: Params::new(),
            seed: Some(42),
            request_id: 1,
            job_id: 1,
            index: 0,
            created_at: "2026-11-21T05:00:00Z".into(),
            revised_prompt: None,
            note: Some("placeholder, not AI".into()),
        }
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        image::RgbaImage::new(width, height)
            .write_to(&mut bytes, image::ImageFormat::Png)
            .unwrap();
        bytes.into_inner()
    }

    #[test]
    fn slugs_are_short_and_safe() {
        assert_eq!(slug("A neon cat, on a roof!"), "a-neon-cat-on-a-roof");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("✨✨"), "image");
        assert!(slug(&"word ".repeat(50)).len() <= 40);
    }

    #[test]
    fn saved_png_carries_its_recipe_and_still_decodes() {
        let dir = tempfile::tempdir().unwrap();
        let saved =
            save_image(dir.path(), "000001-0-0-cafe", &png(8, 4), "png", &recipe()).unwrap();
        assert_eq!(
            (saved.width, saved.height, saved.format.as_str()),
            (8, 4, "png")
        );
        let bytes = std::fs::read(&saved.path).unwrap();
        assert_eq!(saved.sha256, hex_sha256(&bytes));
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let reader = decoder.read_info().unwrap();
        let texts = &reader.info().utf8_text;
        let recipe_text = texts
            .iter()
            .find(|t| t.keyword == "tintype")
            .unwrap()
            .get_text()
            .unwrap();
        assert!(recipe_text.contains("a café at night ☕") && recipe_text.contains("\"seed\":42"));
        assert!(texts.iter().any(|t| t.keyword == "Comment"));
        let sidecar = std::fs::read_to_string(saved.path.with_extension("png.json")).unwrap();
        assert!(sidecar.contains("\"model\": \"sandbox/procedural\""));
        // A second save of the same stem never overwrites the first.
        let again =
            save_image(dir.path(), "000001-0-0-cafe", &png(8, 4), "png", &recipe()).unwrap();
        assert_ne!(again.path, saved.path);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
            .collect();
        assert!(leftovers.is_empty(), "no temp file may remain");
    }

    #[test]
    fn garbage_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let error = save_image(dir.path(), "x", b"string", "png", &recipe()).unwrap_err();
        assert!(matches!(error, SaveError::Unreadable(_)), "{error}");
        assert!(error.to_string().contains("unreadable"), "{error}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn parts_left_by_dead_writers_are_swept_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let day = dir.path().join("2026-11-21");
        std::fs::create_dir_all(&day).unwrap();
        for name in [".tintype-111-abc.part", ".tintype-222-def.part", "kept.png"] {
            std::fs::write(day.join(name), b"x").unwrap();
        }
        std::fs::write(dir.path().join(".tintype-111-top.part"), b"x").unwrap();
        assert_eq!(sweep_parts(dir.path(), |pid| pid == 222), 2);
        assert!(day.join(".tintype-222-def.part").exists());
        assert!(day.join("kept.png").exists());
        assert!(!day.join(".tintype-111-abc.part").exists());
    }
}
