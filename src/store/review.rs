//! Reviewing images: reading them back by request, job or batch, and the
//! marks a person puts on them (keep or reject, a star, a 1–5 rating).

use std::path::PathBuf;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::ids::{ImageId, JobId, RequestId};
use super::{Result, Store, StoreError};

/// The verdict on an image; `None` until someone reviews it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    None,
    Keep,
    Reject,
}

impl Mark {
    pub const ALL: [Mark; 3] = [Mark::None, Mark::Keep, Mark::Reject];

    pub fn as_str(self) -> &'static str {
        match self {
            Mark::None => "none",
            Mark::Keep => "keep",
            Mark::Reject => "reject",
        }
    }

    pub fn parse(text: &str) -> Option<Mark> {
        Mark::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

impl std::fmt::Display for Mark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ToSql for Mark {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Mark {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        Mark::parse(text)
            .ok_or_else(|| FromSqlError::Other(format!("unknown mark {text:?}").into()))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImageRow {
    pub id: ImageId,
    pub job: JobId,
    pub request: RequestId,
    /// Position within its provider call.
    pub index: u32,
    pub path: PathBuf,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub format: String,
    pub seed: Option<i64>,
    pub revised_prompt: Option<String>,
    pub mark: Mark,
    pub starred: bool,
    pub rating: Option<u8>,
    /// Unix milliseconds.
    pub created_at: i64,
}

const IMAGE_COLUMNS: &str = "i.id, i.job_id, i.request_id, i.idx, i.path, i.sha256, i.width, i.height, \
     i.format, i.seed, i.revised_prompt, i.mark, i.starred, i.rating, i.created_at";

fn image_from_row(row: &Row<'_>) -> rusqlite::Result<ImageRow> {
    let path: String = row.get(4)?;
    Ok(ImageRow {
        id: row.get(0)?,
        job: row.get(1)?,
        request: row.get(2)?,
        index: row.get(3)?,
        path: PathBuf::from(path),
        sha256: row.get(5)?,
        width: row.get(6)?,
        height: row.get(7)?,
        format: row.get(8)?,
        seed: row.get(9)?,
        revised_prompt: row.get(10)?,
        mark: row.get(11)?,
        starred: row.get(12)?,
        rating: row.get(13)?,
        created_at: row.get(14)?,
    })
}

/// A value the store refuses before it reaches SQL. `StoreError` has no
/// variant of its own for this, so it travels as a conversion failure.
#[derive(Debug)]
struct Invalid(String);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

pub(super) fn invalid(message: String) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(Invalid(
        message,
    ))))
}

impl Store {
    /// A request's images, call by call, each call's in position order.
    /// (`idx` restarts at 0 in every provider call; a request's jobs are
    /// inserted together, so job-id order is call order.)
    pub fn images_of_request(&self, request: RequestId) -> Result<Vec<ImageRow>> {
        self.images_where("i.request_id = ?1", "i.job_id, i.idx, i.id", request)
    }

    pub fn images_of_job(&self, job: JobId) -> Result<Vec<ImageRow>> {
        self.images_where("i.job_id = ?1", "i.idx, i.id", job)
    }

    /// Every image of the batch `batch` names: its first request (whose
    /// `batch_id` is itself, or unset when it was never batched) and the
    /// rest, request by request, each in `images_of_request` order.
    pub fn images_of_batch(&self, batch: RequestId) -> Result<Vec<ImageRow>> {
        self.images_where(
            "i.request_id IN (SELECT id FROM requests WHERE batch_id = ?1 OR id = ?1)",
            "i.request_id, i.job_id, i.idx, i.id",
            batch,
        )
    }

    pub fn image(&self, id: ImageId) -> Result<Option<ImageRow>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {IMAGE_COLUMNS} FROM images i WHERE i.id = ?1"
        ))?;
        Ok(statement.query_row([id], image_from_row).optional()?)
    }

    /// `filter` and `order` are literals from this file, never user text.
    fn images_where(&self, filter: &str, order: &str, key: impl ToSql) -> Result<Vec<ImageRow>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {IMAGE_COLUMNS} FROM images i WHERE {filter} ORDER BY {order}"
        ))?;
        let rows = statement.query_map([key], image_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn set_mark(&self, image: ImageId, mark: Mark) -> Result<()> {
        self.update_image("mark = ?2", image, &mark)
    }

    pub fn set_starred(&self, image: ImageId, starred: bool) -> Result<()> {
        self.update_image("starred = ?2", image, &starred)
    }

    /// `None` clears the rating; a rating outside 1–5 is refused.
    pub fn set_rating(&self, image: ImageId, rating: Option<u8>) -> Result<()> {
        if let Some(stars) = rating.filter(|r| !(1..=5).contains(r)) {
            return Err(invalid(format!("a rating is 1 to 5 stars, not {stars}")));
        }
        self.update_image("rating = ?2", image, &rating)
    }

    /// An unknown image is an error (`QueryReturnedNoRows`), so a mark on a
    /// deleted image is never silently lost.
    fn update_image(&self, set: &str, image: ImageId, value: &dyn ToSql) -> Result<()> {
        let mut statement = self
            .conn
            .prepare_cached(&format!("UPDATE images SET {set} WHERE id = ?1"))?;
        if statement.execute(params![image, value])? == 1 {
            Ok(())
        } else {
            Err(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
        }
    }
}
