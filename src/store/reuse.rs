//! Reading back what an earlier request made: its images, to offer them
//! instead of paying again, and the request itself, to resume one of its
//! calls after a restart.

use rusqlite::{OptionalExtension, params};

use super::ids::{JobId, RequestId};
use super::{Result, Store};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredImage {
    pub job: JobId,
    pub path: String,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub seed: Option<i64>,
}

/// An earlier request that ended with every job succeeded.
#[derive(Clone, Debug)]
pub struct Earlier {
    pub request: RequestId,
    pub created_at: i64,
    pub images: Vec<StoredImage>,
}

/// A request as stored, enough to rebuild it against the catalog.
#[derive(Clone, Debug)]
pub struct StoredRequest {
    pub id: RequestId,
    pub model: String,
    pub provider: String,
    pub operation: String,
    pub prompt: String,
    pub params_json: String,
    /// The input files' paths as sent (a JSON list).
    pub inputs_json: String,
    pub n: u32,
    /// The first call's seed, when the model takes seeds.
    pub seed: Option<i64>,
    pub estimated_micros: i64,
}

impl Store {
    /// The newest earlier requests (up to `limit`) with this identity that
    /// succeeded in full and made at least `n` images, newest first, each
    /// with its images in order.
    pub fn identical_requests(&self, hash: &str, n: u32, limit: u32) -> Result<Vec<Earlier>> {
        let mut found = self.conn.prepare_cached(
            "SELECT r.id, r.created_at FROM requests r \
             WHERE r.request_hash = ?1 \
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.request_id = r.id AND j.state != 'succeeded') \
               AND (SELECT COUNT(*) FROM images i WHERE i.request_id = r.id) >= ?2 \
             ORDER BY r.id DESC LIMIT ?3",
        )?;
        let candidates: Vec<(RequestId, i64)> = found
            .query_map(params![hash, n, limit], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut images = self.conn.prepare_cached(
            "SELECT i.job_id, i.path, i.sha256, i.width, i.height, i.seed FROM images i \
             JOIN jobs j ON j.id = i.job_id WHERE i.request_id = ?1 ORDER BY j.call_index, i.idx",
        )?;
        let mut earlier = Vec::with_capacity(candidates.len());
        for (request, created_at) in candidates {
            let rows = images
                .query_map([request], |row| {
                    Ok(StoredImage {
                        job: row.get(0)?,
                        path: row.get(1)?,
                        sha256: row.get(2)?,
                        width: row.get(3)?,
                        height: row.get(4)?,
                        seed: row.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            earlier.push(Earlier {
                request,
                created_at,
                images: rows,
            });
        }
        Ok(earlier)
    }

    pub fn stored_request(&self, id: RequestId) -> Result<Option<StoredRequest>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, model, provider, operation, prompt, params_json, n, seed, estimated_micros, inputs_json \
                 FROM requests WHERE id = ?1",
                [id],
                |row| {
                    Ok(StoredRequest {
                        id: row.get(0)?,
                        model: row.get(1)?,
                        provider: row.get(2)?,
                        operation: row.get(3)?,
                        prompt: row.get(4)?,
                        params_json: row.get(5)?,
                        n: row.get(6)?,
                        seed: row.get(7)?,
                        estimated_micros: row.get(8)?,
                        inputs_json: row.get(9)?,
                    })
                },
            )
            .optional()?)
    }

    /// The model of the newest request, for the studio to open with.
    pub fn last_model(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT model FROM requests ORDER BY id DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?)
    }
}
