//! Past requests, newest first, optionally found by full-text search over
//! their prompts.

use serde::Serialize;

use super::ids::RequestId;
use super::jobs::JobState;
use super::{Result, Store};

#[derive(Clone, Debug, Default)]
pub struct HistoryQuery {
    /// Words that must all appear in the prompt (each may be a prefix).
    pub search: Option<String>,
    pub model: Option<String>,
    pub limit: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct HistoryRow {
    pub id: RequestId,
    /// Unix milliseconds.
    pub created_at: i64,
    pub model: String,
    pub provider: String,
    pub operation: String,
    pub prompt: String,
    pub negative_prompt: Option<String>,
    pub status: String,
    pub n: u32,
    pub seed: Option<i64>,
    pub images: Vec<String>,
    pub estimated_cost_micros: i64,
    /// The sum of the actual costs known so far; `None` until one is known.
    pub actual_cost_micros: Option<i64>,
}

/// Turns what a person typed into an FTS5 query: every word must appear, each
/// as a prefix, with FTS5 syntax characters taken literally.
pub fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split_whitespace()
        .map(|word| format!("\"{}\"*", word.replace('"', "\"\"")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// One word for a request from the states of its jobs.
pub fn request_status(states: &[JobState]) -> &'static str {
    let any = |s: JobState| states.contains(&s);
    if states.is_empty() {
        "unknown"
    } else if any(JobState::Submitted) || any(JobState::Running) {
        "running"
    } else if any(JobState::Queued) {
        "queued"
    } else if states.iter().all(|s| *s == JobState::Succeeded) {
        "succeeded"
    } else if any(JobState::Succeeded) {
        "partial"
    } else if any(JobState::Interrupted) {
        "interrupted"
    } else if any(JobState::Failed) {
        "failed"
    } else {
        "canceled"
    }
}

const ROW_COLUMNS: &str = "r.id, r.created_at, r.model, r.provider, r.operation, r.prompt, r.negative_prompt, \
     r.n, r.seed, r.estimated_micros, \
     (SELECT group_concat(state) FROM jobs j WHERE j.request_id = r.id), \
     (SELECT SUM(actual_micros) FROM costs c WHERE c.request_id = r.id), \
     (SELECT json_group_array(path) FROM (SELECT path FROM images i WHERE i.request_id = r.id ORDER BY idx))";

/// The SQL `history` runs, with `:query`, `:model` and `:limit` parameters;
/// public so benchmarks can hand the very same text to the sqlite3 shell.
pub fn history_sql(search: bool, by_model: bool) -> String {
    match (search, by_model) {
        (true, model) => format!(
            "SELECT {ROW_COLUMNS} FROM requests_fts f JOIN requests r ON r.id = f.rowid \
             WHERE requests_fts MATCH :query{} ORDER BY f.rowid DESC LIMIT :limit",
            if model { " AND r.model = :model" } else { "" }
        ),
        (false, model) => format!(
            "SELECT {ROW_COLUMNS} FROM requests r{} ORDER BY r.id DESC LIMIT :limit",
            if model { " WHERE r.model = :model" } else { "" }
        ),
    }
}

impl Store {
    pub fn history(&self, query: &HistoryQuery) -> Result<Vec<HistoryRow>> {
        let search = query.search.as_deref().and_then(fts_query);
        let mut statement = self
            .conn
            .prepare_cached(&history_sql(search.is_some(), query.model.is_some()))?;
        let limit = if query.limit == 0 {
            i64::MAX
        } else {
            i64::from(query.limit)
        };
        let mut named: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":limit", &limit)];
        if let Some(search) = &search {
            named.push((":query", search));
        }
        if let Some(model) = &query.model {
            named.push((":model", model));
        }
        let rows = statement.query_map(named.as_slice(), read_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<HistoryRow> {
    let states: Option<String> = row.get(10)?;
    let states: Vec<JobState> = states
        .unwrap_or_default()
        .split(',')
        .filter_map(JobState::parse)
        .collect();
    let images: Option<String> = row.get(12)?;
    let images: Vec<String> = images
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    Ok(HistoryRow {
        id: row.get(0)?,
        created_at: row.get(1)?,
        model: row.get(2)?,
        provider: row.get(3)?,
        operation: row.get(4)?,
        prompt: row.get(5)?,
        negative_prompt: row.get(6)?,
        n: row.get(7)?,
        seed: row.get(8)?,
        estimated_cost_micros: row.get(9)?,
        status: request_status(&states).to_string(),
        actual_cost_micros: row.get(11)?,
        images,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_becomes_a_safe_prefix_query() {
        assert_eq!(fts_query("neon cat").as_deref(), Some("\"neon\"* \"cat\"*"));
        assert_eq!(
            fts_query("say \"hi\" OR").as_deref(),
            Some("\"say\"* \"\"\"hi\"\"\"* \"OR\"*")
        );
        assert_eq!(fts_query("   "), None);
    }

    #[test]
    fn status_summarizes_job_states() {
        use JobState::*;
        assert_eq!(request_status(&[Succeeded, Succeeded]), "succeeded");
        assert_eq!(request_status(&[Succeeded, Failed]), "partial");
        assert_eq!(request_status(&[Queued, Succeeded]), "queued");
        assert_eq!(request_status(&[Running, Queued]), "running");
        assert_eq!(request_status(&[Failed, Interrupted]), "interrupted");
        assert_eq!(request_status(&[Failed]), "failed");
        assert_eq!(request_status(&[Canceled]), "canceled");
        assert_eq!(request_status(&[]), "unknown");
    }
}
