//! Requests, their jobs and the job state machine, images, and the cost
//! ledger rows a job writes when it is sent and when it ends.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::ids::{ImageId, JobId, RequestId};
use super::{Result, Store, StoreError};
use crate::money::Micros;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    /// Sent to the provider; `remote_id` is set when the provider gives one.
    Submitted,
    Running,
    Succeeded,
    Failed,
    Canceled,
    /// tintype stopped while the job was out; it may have been billed.
    Interrupted,
}

impl JobState {
    pub const ALL: [JobState; 7] = [
        JobState::Queued,
        JobState::Submitted,
        JobState::Running,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Canceled,
        JobState::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Submitted => "submitted",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Canceled => "canceled",
            JobState::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Failed | JobState::Canceled | JobState::Interrupted
        )
    }

    /// The states a job may be in to move to `self`. A finished job only
    /// moves again by being queued anew (retry, re-send).
    pub fn reachable_from(self) -> &'static [JobState] {
        use JobState::{Canceled, Failed, Interrupted, Queued, Running, Submitted};
        match self {
            Queued => &[Failed, Interrupted, Canceled],
            Submitted | Failed | Canceled | Interrupted => &[Queued, Submitted, Running],
            Running | JobState::Succeeded => &[Submitted, Running],
        }
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A moment: unix milliseconds and the local calendar day it falls on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub ms: i64,
    pub day: String,
}

impl Stamp {
    pub fn now() -> Stamp {
        Stamp::from_local(chrono::Local::now())
    }

    pub fn from_local(time: chrono::DateTime<chrono::Local>) -> Stamp {
        Stamp {
            ms: time.timestamp_millis(),
            day: time.format("%Y-%m-%d").to_string(),
        }
    }
}

/// A validated request about to be queued, in the store's terms.
#[derive(Clone, Debug)]
pub struct NewRequest {
    pub model: String,
    pub provider: String,
    pub operation: String,
    pub prompt: String,
    pub negative_prompt: Option<String>,
    pub params_json: String,
    pub seed: Option<i64>,
    pub inputs_json: String,
    pub request_hash: String,
    pub estimated: Micros,
    pub estimate_rule: String,
    /// Images per provider call; one job each.
    pub calls: Vec<u32>,
    pub batch_id: Option<RequestId>,
    pub preset: Option<String>,
    /// The running tintype's token (see `engine::Owner`), so another process
    /// starting meanwhile leaves these jobs alone.
    pub owner: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewImage {
    pub idx: u32,
    pub path: String,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub format: String,
    pub seed: Option<i64>,
    pub revised_prompt: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorInfo {
    pub class: String,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct JobRecord {
    pub id: JobId,
    pub request_id: RequestId,
    pub call_index: u32,
    pub n: u32,
    pub state: JobState,
    pub remote_id: Option<String>,
    pub attempts: u32,
    pub error: Option<ErrorInfo>,
    pub created_at: i64,
    pub updated_at: i64,
    pub owner: Option<String>,
}

const JOB_COLUMNS: &str = "id, request_id, call_index, n, state, remote_id, attempts, \
                           error_class, error_message, created_at, updated_at, owner";

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<JobRecord> {
    let state: String = row.get(4)?;
    let class: Option<String> = row.get(7)?;
    let message: Option<String> = row.get(8)?;
    Ok(JobRecord {
        id: row.get(0)?,
        request_id: row.get(1)?,
        call_index: row.get(2)?,
        n: row.get(3)?,
        // The CHECK constraint admits only known states.
        state: JobState::parse(&state).unwrap_or(JobState::Failed),
        remote_id: row.get(5)?,
        attempts: row.get(6)?,
        error: class.map(|class| ErrorInfo {
            class,
            message: message.unwrap_or_default(),
        }),
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
        owner: row.get(11)?,
    })
}

impl Store {
    /// Writes the request and one queued job per call, in one transaction,
    /// before anything is sent.
    pub fn insert_request(
        &mut self,
        new: &NewRequest,
        at: &Stamp,
    ) -> Result<(RequestId, Vec<JobId>)> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO requests (batch_id, created_at, model, provider, operation, prompt, \
             negative_prompt, params_json, seed, n, inputs_json, request_hash, estimated_micros, estimate_rule) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                new.batch_id,
                at.ms,
                new.model,
                new.provider,
                new.operation,
                new.prompt,
                new.negative_prompt,
                new.params_json,
                new.seed,
                new.calls.iter().sum::<u32>().max(1),
                new.inputs_json,
                new.request_hash,
                new.estimated.0,
                new.estimate_rule,
            ],
        )?;
        let request = RequestId(tx.last_insert_rowid());
        let mut jobs = Vec::with_capacity(new.calls.len());
        for (index, n) in new.calls.iter().enumerate() {
            tx.execute(
                "INSERT INTO jobs (request_id, call_index, n, state, created_at, updated_at, owner) \
                 VALUES (?1, ?2, ?3, 'queued', ?4, ?4, ?5)",
                params![request, index as i64, n, at.ms, new.owner],
            )?;
            jobs.push(JobId(tx.last_insert_rowid()));
        }
        if let Some(preset) = &new.preset {
            tx.execute(
                "INSERT INTO preset_uses (preset, request_id, used_at) VALUES (?1, ?2, ?3)",
                params![preset, request, at.ms],
            )?;
        }
        tx.commit()?;
        Ok((request, jobs))
    }

    fn transition(
        &self,
        job: JobId,
        to: JobState,
        set: &str,
        values: &[&dyn rusqlite::ToSql],
        at: &Stamp,
    ) -> Result<()> {
        transition_on(&self.conn, job, to, set, values, at)
    }

    /// The job leaves for the provider: count the attempt and open its ledger
    /// row with the estimate, so money in flight is never invisible.
    pub fn submit_job(
        &mut self,
        job: JobId,
        estimate: Micros,
        rule: &str,
        at: &Stamp,
    ) -> Result<()> {
        self.transition(
            job,
            JobState::Submitted,
            ", attempts = attempts + 1, started_at = COALESCE(started_at, ?1), error_class = NULL, error_message = NULL",
            &[],
            at,
        )?;
        self.conn.execute(
            "INSERT OR IGNORE INTO costs (job_id, request_id, created_at, day, provider, model, estimated_micros, estimate_rule) \
             SELECT j.id, r.id, ?2, ?3, r.provider, r.model, ?4, ?5 \
             FROM jobs j JOIN requests r ON r.id = j.request_id WHERE j.id = ?1",
            params![job, at.ms, at.day, estimate.0, rule],
        )?;
        Ok(())
    }

    pub fn set_remote_id(&self, job: JobId, remote_id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE jobs SET remote_id = ?2 WHERE id = ?1",
            params![job, remote_id],
        )?;
        Ok(())
    }

    pub fn mark_running(&self, job: JobId, at: &Stamp) -> Result<()> {
        self.transition(job, JobState::Running, "", &[], at)
    }

    /// Puts a finished job back in the queue (retry a failure, re-send an
    /// interrupted call).
    pub fn requeue_job(&self, job: JobId, at: &Stamp) -> Result<()> {
        self.transition(job, JobState::Queued, ", finished_at = NULL", &[], at)
    }

    pub fn add_image(&self, job: JobId, image: &NewImage, at: &Stamp) -> Result<ImageId> {
        self.conn.execute(
            "INSERT INTO images (job_id, request_id, idx, path, sha256, width, height, format, seed, revised_prompt, created_at) \
             SELECT ?1, request_id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM jobs WHERE id = ?1",
            params![
                job,
                image.idx,
                image.path,
                image.sha256,
                image.width,
                image.height,
                image.format,
                image.seed,
                image.revised_prompt,
                at.ms
            ],
        )?;
        Ok(ImageId(self.conn.last_insert_rowid()))
    }

    /// Ends a job and completes its ledger row, in one transaction.
    pub fn finish_job(
        &mut self,
        job: JobId,
        state: JobState,
        error: Option<&ErrorInfo>,
        actual: Option<(Micros, &str)>,
        at: &Stamp,
    ) -> Result<()> {
        debug_assert!(state.is_finished());
        let tx = self.conn.transaction()?;
        transition_on(
            &tx,
            job,
            state,
            ", finished_at = ?1, error_class = ?3, error_message = ?4",
            &[
                &error.map(|e| e.class.clone()),
                &error.map(|e| e.message.clone()),
            ],
            at,
        )?;
        tx.execute(
            "UPDATE costs SET images = (SELECT COUNT(*) FROM images WHERE job_id = ?1), \
             actual_micros = COALESCE(?2, actual_micros), actual_basis = COALESCE(?3, actual_basis) \
             WHERE job_id = ?1",
            params![job, actual.map(|a| a.0.0), actual.map(|a| a.1)],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn job(&self, job: JobId) -> Result<Option<JobRecord>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"),
                [job],
                job_from_row,
            )
            .optional()?)
    }

    pub fn jobs_of(&self, request: RequestId) -> Result<Vec<JobRecord>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE request_id = ?1 ORDER BY call_index"
        ))?;
        let rows = statement.query_map([request], job_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Makes `request` the first of a batch: the batch is named after it.
    pub fn start_batch(&self, request: RequestId) -> Result<()> {
        self.conn
            .execute("UPDATE requests SET batch_id = id WHERE id = ?1", [request])?;
        Ok(())
    }

    /// The requests of a batch, first first.
    pub fn batch_requests(&self, batch: RequestId) -> Result<Vec<RequestId>> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT id FROM requests WHERE batch_id = ?1 ORDER BY id")?;
        let rows = statement.query_map([batch], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Hands a job to another owner (a restarted tintype resuming it).
    pub fn set_owner(&self, job: JobId, owner: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE jobs SET owner = ?2 WHERE id = ?1",
            params![job, owner],
        )?;
        Ok(())
    }

    /// Jobs left queued, submitted or running, e.g. by a crash or a kill.
    pub fn unfinished_jobs(&self) -> Result<Vec<JobRecord>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('queued', 'submitted', 'running') ORDER BY id"
        ))?;
        let rows = statement.query_map([], job_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Money spent or committed since `day` (inclusive): the actual cost where
    /// known, else the estimate.
    pub fn spend_since(&self, day: &str) -> Result<Micros> {
        let total: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(COALESCE(actual_micros, estimated_micros)), 0) FROM costs WHERE day >= ?1",
            [day],
            |row| row.get(0),
        )?;
        Ok(Micros(total))
    }
}

/// Moves a job to `to` only from a state that may reach it; `set` adds
/// assignments whose parameters start at ?3.
fn transition_on(
    conn: &rusqlite::Connection,
    job: JobId,
    to: JobState,
    set: &str,
    values: &[&dyn rusqlite::ToSql],
    at: &Stamp,
) -> Result<()> {
    let from: Vec<String> = to
        .reachable_from()
        .iter()
        .map(|s| format!("'{s}'"))
        .collect();
    let sql = format!(
        "UPDATE jobs SET state = '{to}', updated_at = ?1{set} WHERE id = ?2 AND state IN ({})",
        from.join(", ")
    );
    let mut bound: Vec<&dyn rusqlite::ToSql> = vec![&at.ms, &job];
    bound.extend_from_slice(values);
    if conn.execute(&sql, bound.as_slice())? == 0 {
        let current: Option<String> = conn
            .query_row("SELECT state FROM jobs WHERE id = ?1", [job], |row| {
                row.get(0)
            })
            .optional()?;
        return Err(StoreError::Transition {
            job: job.0,
            from: current.unwrap_or_else(|| "nowhere (no such job)".into()),
            to: to.to_string(),
        });
    }
    Ok(())
}
