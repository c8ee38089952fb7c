//! Exporting a selection: numbered copies in a folder plus a contact sheet.

use std::ffi::{OsStr, OsString};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local};

use super::contact_sheet::{self, ContactSheet, SheetError, SheetItem, SheetLayout};
use crate::engine::output::write_atomically;

/// What an export did. Copies are complete files even when the sheet failed.
#[derive(Debug)]
pub struct Exported {
    pub dir: PathBuf,
    /// Where the copies went, in the order given.
    pub copied: Vec<PathBuf>,
    /// Source files that no longer exist.
    pub skipped_missing: Vec<PathBuf>,
    pub sheet: Option<ContactSheet>,
    /// Why there is no sheet although something was copied. The copies are
    /// what the user asked for, so a sheet failure does not fail the export.
    pub sheet_error: Option<SheetError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot create the export folder {}: {message}", dir.display())]
    CreateDir { dir: PathBuf, message: String },
    #[error("cannot read {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("cannot write {}: {message}", path.display())]
    Write { path: PathBuf, message: String },
}

const SHEET_NAME: &str = "contact-sheet.png";
/// Past this many `-N` variants of one name something is wrong with the
/// folder; give up rather than probe forever.
const MAX_SUFFIX: u32 = 10_000;

/// Copies the given image files into `dir` (created if missing) as
/// `<NNN>-<original file name>`, numbered 001.. in the given order so the
/// folder sorts like the gallery. Never overwrites: a taken name gets `-2`,
/// `-3`... before its extension. Copies are atomic (temp file + rename).
/// Missing sources are skipped and listed; any other read or write failure
/// stops the export. Then writes `contact-sheet.png` (or `-2`...) of the
/// copies with their captions.
pub fn export_images(
    items: &[SheetItem],
    dir: &Path,
    layout: &SheetLayout,
) -> Result<Exported, ExportError> {
    std::fs::create_dir_all(dir).map_err(|e| ExportError::CreateDir {
        dir: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    // Zero-padded to a common width so that name order is number order.
    let digits = items.len().to_string().len().max(3);
    let mut copied = Vec::new();
    let mut skipped_missing = Vec::new();
    let mut sheet_items = Vec::new();
    for item in items {
        // Whole-file reads: gallery images are megabytes, and write_atomically
        // gives the same durability as tintype's own saves.
        let bytes = match std::fs::read(&item.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                skipped_missing.push(item.path.clone());
                continue;
            }
            Err(e) => {
                return Err(ExportError::Read {
                    path: item.path.clone(),
                    message: e.to_string(),
                });
            }
        };
        let mut name = OsString::from(format!("{:0digits$}-", copied.len() + 1));
        name.push(item.path.file_name().unwrap_or(OsStr::new("image")));
        let path = write_unique(dir, &name, &bytes)
            .map_err(|(path, message)| ExportError::Write { path, message })?;
        sheet_items.push(SheetItem {
            path: path.clone(),
            caption: item.caption.clone(),
        });
        copied.push(path);
    }
    let (sheet, sheet_error) = if sheet_items.is_empty() {
        (None, None)
    } else {
        match write_sheet(&sheet_items, dir, layout) {
            Ok(sheet) => (Some(sheet), None),
            Err(e) => (None, Some(e)),
        }
    };
    Ok(Exported {
        dir: dir.to_path_buf(),
        copied,
        skipped_missing,
        sheet,
        sheet_error,
    })
}

/// A fresh export folder name under `base`:
/// `tintype-export-YYYYMMDD-HHMMSS` in local time, with `-2`, `-3`... when
/// taken. Only names the folder; [`export_images`] creates it.
pub fn export_dir(base: &Path, now: DateTime<Local>) -> PathBuf {
    let stem = format!("tintype-export-{}", now.format("%Y%m%d-%H%M%S"));
    let first = base.join(&stem);
    if !is_taken(&first) {
        return first;
    }
    (2..=MAX_SUFFIX)
        .map(|k| base.join(format!("{stem}-{k}")))
        .find(|path| !is_taken(path))
        .unwrap_or(first)
}

fn write_sheet(
    items: &[SheetItem],
    dir: &Path,
    layout: &SheetLayout,
) -> Result<ContactSheet, SheetError> {
    let rendered = contact_sheet::render(items, layout)?;
    let path = write_unique(dir, OsStr::new(SHEET_NAME), &rendered.png)
        .map_err(|(path, message)| SheetError::Write { path, message })?;
    Ok(ContactSheet {
        path,
        width: rendered.width,
        height: rendered.height,
        images: rendered.images,
        unreadable: rendered.unreadable,
    })
}

/// Writes `bytes` atomically under `name` in `dir`, or under `stem-2.ext`,
/// `stem-3.ext`... if taken; returns the path used.
fn write_unique(dir: &Path, name: &OsStr, bytes: &[u8]) -> Result<PathBuf, (PathBuf, String)> {
    let name = Path::new(name);
    let stem = name.file_stem().unwrap_or(name.as_os_str());
    for k in 1..=MAX_SUFFIX {
        let mut candidate = stem.to_os_string();
        if k > 1 {
            candidate.push(format!("-{k}"));
        }
        if let Some(extension) = name.extension() {
            candidate.push(".");
            candidate.push(extension);
        }
        let path = dir.join(candidate);
        if is_taken(&path) {
            continue;
        }
        match write_atomically(&path, bytes) {
            Ok(()) => return Ok(path),
            // The name was taken between the check and the no-clobber rename.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err((path, e.to_string())),
        }
    }
    Err((
        dir.join(name),
        format!("{MAX_SUFFIX} numbered variants of this name are all taken"),
    ))
}

/// A dangling symlink still occupies its name, so `exists()` is not enough.
fn is_taken(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}
