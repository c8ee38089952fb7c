//! The files tintype reads and writes, and what is in them: looked at, never
//! created (a doctor that made the database would hide that it was missing).

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::clean;
use crate::config::Paths;
use crate::store::SCHEMA_VERSION;

#[derive(Serialize)]
pub(super) struct PathsReport {
    pub(super) config_file: ConfigFileReport,
    pub(super) database: DatabaseReport,
    pub(super) images: ImagesReport,
    pub(super) presets: DirReport,
    pub(super) exports: DirReport,
}

#[derive(Serialize)]
pub(super) struct ConfigFileReport {
    pub(super) path: String,
    pub(super) exists: bool,
    /// Read and understood; false when absent or ignored.
    pub(super) parsed: bool,
    /// Why it was ignored, defaults used instead.
    pub(super) warning: Option<String>,
}

#[derive(Serialize)]
pub(super) struct DatabaseReport {
    pub(super) path: String,
    pub(super) exists: bool,
    pub(super) bytes: Option<u64>,
    /// The last migration applied to it (`PRAGMA user_version`).
    pub(super) schema_version: Option<i64>,
    /// The newest schema this build knows.
    pub(super) schema_supported: i64,
    pub(super) error: Option<String>,
}

#[derive(Serialize)]
pub(super) struct ImagesReport {
    pub(super) path: String,
    pub(super) exists: bool,
    #[serde(flatten)]
    pub(super) contents: Tally,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub(super) struct Tally {
    /// Pictures: every file but the `.json` recipe saved beside each.
    pub(super) images: u64,
    pub(super) files: u64,
    pub(super) bytes: u64,
}

#[derive(Serialize)]
pub(super) struct DirReport {
    pub(super) path: String,
    pub(super) exists: bool,
}

pub(super) fn paths(paths: &Paths, config_warning: Option<&str>) -> PathsReport {
    let config_file = paths.config_file();
    let images = paths.images();
    PathsReport {
        config_file: ConfigFileReport {
            path: shown(&config_file),
            exists: config_file.exists(),
            parsed: config_file.exists() && config_warning.is_none(),
            warning: config_warning.map(clean),
        },
        database: database(&paths.database()),
        images: ImagesReport {
            path: shown(&images),
            exists: images.is_dir(),
            contents: tally(&images),
        },
        presets: directory(&paths.presets()),
        exports: directory(&paths.exports()),
    }
}

/// A path made safe to print.
pub(super) fn shown(path: &Path) -> String {
    clean(&path.display().to_string())
}

fn directory(path: &Path) -> DirReport {
    DirReport {
        path: shown(path),
        exists: path.is_dir(),
    }
}

fn database(path: &Path) -> DatabaseReport {
    let exists = path.is_file();
    let (schema_version, error) = if exists {
        match schema_version(path) {
            Ok(version) => (Some(version), None),
            Err(e) => (None, Some(clean(&e))),
        }
    } else {
        (None, None)
    };
    DatabaseReport {
        path: shown(path),
        exists,
        bytes: std::fs::metadata(path).ok().map(|m| m.len()),
        schema_version,
        schema_supported: SCHEMA_VERSION,
        error,
    }
}

/// Without a write-ahead log beside it the file is current, and its header
/// holds the version: read so, nothing is created (a read-only `SQLite`
/// connection would leave `-wal` and `-shm` files behind). With a log,
/// another tintype may be writing; `SQLite` reads through the log, whose
/// files exist already, read-only and without the create flag.
fn schema_version(path: &Path) -> Result<i64, String> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if !Path::new(&wal).exists() {
        return header_user_version(&std::fs::read(path).map_err(|e| e.to_string())?);
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| e.to_string())?;
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| e.to_string())
}

/// `PRAGMA user_version` as the `SQLite` file format stores it: a big-endian
/// 32-bit integer at offset 60 of the 100-byte header.
fn header_user_version(bytes: &[u8]) -> Result<i64, String> {
    if bytes.is_empty() {
        // SQLite treats an empty file as an empty database.
        return Ok(0);
    }
    match bytes.get(..100) {
        Some(header) if header.starts_with(b"SQLite format 3\0") => {
            let field: [u8; 4] = header[60..64].try_into().expect("four bytes");
            Ok(i64::from(i32::from_be_bytes(field)))
        }
        _ => Err("not an SQLite database".into()),
    }
}

/// Files under `dir` and their total size. Hidden files are left out (a
/// `.part` is an image still being written) and links are not followed,
/// so a link to `/` cannot turn a quick count into a disk walk.
fn tally(dir: &Path) -> Tally {
    let mut tally = Tally::default();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                tally.files += 1;
                tally.bytes += entry.metadata().map_or(0, |m| m.len());
                if entry.path().extension().is_none_or(|e| e != "json") {
                    tally.images += 1;
                }
            }
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_images_in_day_folders_but_not_partial_writes() {
        let dir = tempfile::tempdir().unwrap();
        let day = dir.path().join("2026-11-21");
        std::fs::create_dir_all(&day).unwrap();
        std::fs::write(day.join("fox.png"), b"12345").unwrap();
        std::fs::write(day.join("fox.png.json"), b"{}").unwrap();
        std::fs::write(day.join(".tintype-1-fox.part"), b"123").unwrap();
        std::fs::write(dir.path().join("top.png"), b"12").unwrap();
        let expected = Tally {
            images: 2,
            files: 3,
            bytes: 9,
        };
        assert_eq!(tally(dir.path()), expected);
        assert_eq!(tally(&dir.path().join("absent")), Tally::default());
    }

    #[test]
    fn a_missing_database_is_reported_and_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tintype.db");
        let report = database(&path);
        assert!(!report.exists && report.schema_version.is_none() && report.error.is_none());
        assert!(!path.exists());
    }

    #[test]
    fn reads_the_schema_version_of_a_closed_and_an_open_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tintype.db");
        drop(crate::store::Store::open(&path).unwrap());
        let report = database(&path);
        assert_eq!(report.schema_version, Some(SCHEMA_VERSION));
        assert!(report.bytes.unwrap() > 0);
        assert!(!dir.path().join("tintype.db-shm").exists());

        let open = crate::store::Store::open(&path).unwrap();
        assert!(dir.path().join("tintype.db-wal").exists());
        assert_eq!(database(&path).schema_version, Some(SCHEMA_VERSION));
        drop(open);
    }

    #[test]
    fn a_file_that_is_no_database_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tintype.db");
        std::fs::write(&path, b"not sqlite at all").unwrap();
        let report = database(&path);
        assert_eq!(report.error.as_deref(), Some("not an SQLite database"));
        assert_eq!(header_user_version(b""), Ok(0));
    }
}
