//! Append-only numbered migrations, tracked by `PRAGMA user_version`.
//! Never edit a shipped migration; add the next number.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::{Result, StoreError};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_job_owner.sql"),
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

pub fn refuse_newer(conn: &Connection, path: &Path) -> Result<()> {
    let found = version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.display().to_string(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Applies every pending migration in one transaction: a crash half-way
/// leaves the database exactly as it was.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Checked again inside the lock: another tintype may have migrated meanwhile.
    refuse_newer(&tx, path)?;
    let current = version(&tx)?;
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let number = index as i64 + 1;
        if number > current {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", number)?;
        }
    }
    tx.commit()?;
    Ok(())
}
