//! The `SQLite` store: one file in the data dir, WAL, foreign keys, numbered
//! migrations. API keys never reach it.

mod cost;
mod history;
mod ids;
mod jobs;
mod migrations;
mod reuse;
mod review;
mod shared;
mod stats;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

pub use cost::{CostReport, CostRow, GroupBy, Since, cost_sql};
pub use history::{
    HistoryQuery, HistoryRow, fts_query, history_query_sql, history_sql, parse_history_filter,
    request_status,
};
pub use ids::{ImageId, JobId, RequestId};
pub use jobs::{ErrorInfo, JobRecord, JobState, NewImage, NewRequest, Stamp};
pub use migrations::SCHEMA_VERSION;
pub use reuse::{Earlier, StoredImage, StoredRequest};
pub use review::{ImageRow, Mark};
pub use shared::SharedStore;
pub use stats::{DaySpend, JobStats};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path} was written by a newer tintype (schema {found}; this tintype knows up to {known}). \
         It was left untouched: upgrade tintype, or point TINTYPE_HOME elsewhere."
    )]
    NewerSchema {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("cannot create {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("job {job} cannot go from {from} to {to}")]
    Transition { job: i64, from: String, to: String },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// The runtime is shutting down (the program is quitting): the work
    /// was never started, so nothing was written.
    #[error("the store was closing; nothing was written")]
    ShuttingDown,
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema
    /// up to date in one transaction. A database from a newer tintype is
    /// refused before anything is written to it.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        Store::prepare(conn, path.to_path_buf())
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store> {
        Store::prepare(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn prepare(mut conn: Connection, path: PathBuf) -> Result<Store> {
        // Reading the version writes nothing, so a newer file stays untouched.
        migrations::refuse_newer(&conn, &path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut conn, &path)?;
        Ok(Store { conn, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?)
    }

    /// The raw connection, for bulk loaders in benches and tests.
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

impl Drop for Store {
    /// The advice for short-lived `SQLite` connections: `PRAGMA optimize` on
    /// close keeps the planner's statistics current (it analyzes only tables
    /// this connection queried whose statistics are missing or stale, and the
    /// limit bounds the work). Without them, `cost` scans every ledger row
    /// instead of seeking each model's recent days.
    fn drop(&mut self) {
        let _ = self
            .conn
            .execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize;");
    }
}
