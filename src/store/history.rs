//! Past requests, newest first, narrowed by full-text search over their
//! prompts and by model, provider, time and review marks; and the one-line
//! filter syntax the studio's history search box speaks.

use chrono::{Local, NaiveDate};
use serde::Serialize;

use super::ids::RequestId;
use super::jobs::JobState;
use super::review::Mark;
use super::{Result, Store};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Words that must all appear in the prompt (each may be a prefix).
    pub search: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    /// Unix ms, inclusive.
    pub since_ms: Option<i64>,
    /// Unix ms, inclusive.
    pub until_ms: Option<i64>,
    /// Requests with at least one image with this mark.
    pub mark: Option<Mark>,
    /// Requests with at least one starred image.
    pub starred: bool,
    /// 0 means no limit.
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
    pub batch_id: Option<RequestId>,
    pub params_json: String,
    /// How many of its images are starred.
    pub starred: u32,
    /// How many of its images are marked keep.
    pub kept: u32,
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
     (SELECT json_group_array(path) FROM (SELECT path FROM images i WHERE i.request_id = r.id ORDER BY idx)), \
     r.batch_id, r.params_json, \
     (SELECT COUNT(*) FROM images i WHERE i.request_id = r.id AND i.starred = 1), \
     (SELECT COUNT(*) FROM images i WHERE i.request_id = r.id AND i.mark = 'keep')";

/// The SQL `history` runs when only a search and a model may be set, with
/// `:query`, `:model` and `:limit` parameters; public so benchmarks can hand
/// the very same text to the sqlite3 shell.
pub fn history_sql(search: bool, by_model: bool) -> String {
    build_sql(
        search,
        &HistoryQuery {
            model: by_model.then(String::new),
            ..HistoryQuery::default()
        },
    )
}

/// The SQL `history` runs for `query`: parameters `:limit` and, for the
/// filters set, `:query` (an FTS5 query, see [`fts_query`]), `:model`,
/// `:provider`, `:since`, `:until` and `:mark`.
pub fn history_query_sql(query: &HistoryQuery) -> String {
    build_sql(query.search.as_deref().and_then(fts_query).is_some(), query)
}

fn build_sql(search: bool, query: &HistoryQuery) -> String {
    let wanted = [
        (search, "requests_fts MATCH :query"),
        (query.model.is_some(), "r.model = :model"),
        (query.provider.is_some(), "r.provider = :provider"),
        (query.since_ms.is_some(), "r.created_at >= :since"),
        (query.until_ms.is_some(), "r.created_at <= :until"),
        // EXISTS stops at the first match, found through images_by_request.
        (
            query.mark.is_some(),
            "EXISTS (SELECT 1 FROM images m WHERE m.request_id = r.id AND m.mark = :mark)",
        ),
        (
            query.starred,
            "EXISTS (SELECT 1 FROM images s WHERE s.request_id = r.id AND s.starred = 1)",
        ),
    ];
    let filters: Vec<&str> = wanted
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, sql)| *sql)
        .collect();
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", filters.join(" AND "))
    };
    // Newest first is rowid descending: FTS5 and the table both answer it
    // without sorting, and stop at the limit.
    if search {
        format!(
            "SELECT {ROW_COLUMNS} FROM requests_fts f JOIN requests r ON r.id = f.rowid\
             {filter} ORDER BY f.rowid DESC LIMIT :limit"
        )
    } else {
        format!("SELECT {ROW_COLUMNS} FROM requests r{filter} ORDER BY r.id DESC LIMIT :limit")
    }
}

impl Store {
    pub fn history(&self, query: &HistoryQuery) -> Result<Vec<HistoryRow>> {
        let search = query.search.as_deref().and_then(fts_query);
        let mut statement = self
            .conn
            .prepare_cached(&build_sql(search.is_some(), query))?;
        let limit = if query.limit == 0 {
            i64::MAX
        } else {
            i64::from(query.limit)
        };
        let mark = query.mark.map(Mark::as_str);
        // Only the parameters the statement names may be bound.
        let named: Vec<(&str, &dyn rusqlite::ToSql)> = [
            (":query", search.as_ref().map(|s| s as &dyn rusqlite::ToSql)),
            (":model", query.model.as_ref().map(|m| m as _)),
            (":provider", query.provider.as_ref().map(|p| p as _)),
            (":since", query.since_ms.as_ref().map(|s| s as _)),
            (":until", query.until_ms.as_ref().map(|u| u as _)),
            (":mark", mark.as_ref().map(|m| m as _)),
            (":limit", Some(&limit as _)),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect();
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
        batch_id: row.get(13)?,
        params_json: row.get(14)?,
        starred: row.get(15)?,
        kept: row.get(16)?,
    })
}

/// The keys [`parse_history_filter`] knows, as its error lists them.
const FILTER_KEYS: &str = "model:, provider:, since:, until:, mark:, star";

/// `fox model:dall-e-3 provider:openai since:7d until:2026-11-01 mark:keep star`
/// → a [`HistoryQuery`]. `since:`/`until:` take `Nd` (N local days back,
/// today being day 1, as `cost --since` counts) or a local date
/// `YYYY-MM-DD`; `until:` runs through the end of its day. `star`,
/// `starred` or `star:yes` ask for starred images. Other words are searched
/// for; a word whose part before `:` is not letters (`16:9`) is a word too.
pub fn parse_history_filter(
    text: &str,
    today: NaiveDate,
    limit: u32,
) -> std::result::Result<HistoryQuery, String> {
    let mut query = HistoryQuery {
        limit,
        ..HistoryQuery::default()
    };
    let mut words = Vec::new();
    for token in text.split_whitespace() {
        let lower = token.to_ascii_lowercase();
        let Some((key, _)) = lower.split_once(':').filter(|(key, _)| is_key(key)) else {
            if lower == "star" || lower == "starred" {
                query.starred = true;
            } else {
                words.push(token);
            }
            continue;
        };
        // Values keep their case: model ids and dates are as typed.
        let value = &token[key.len() + 1..];
        if value.is_empty() && !matches!(key, "star" | "starred") {
            return Err(format!(
                "{key}: needs a value, as in {key}:{}",
                example(key)
            ));
        }
        match key {
            "model" => query.model = Some(value.to_string()),
            "provider" => query.provider = Some(value.to_string()),
            "since" => query.since_ms = Some(day_bound(key, value, today, false)?),
            "until" => query.until_ms = Some(day_bound(key, value, today, true)?),
            "mark" => {
                query.mark = Some(Mark::parse(&value.to_ascii_lowercase()).ok_or_else(|| {
                    format!("mark:{value} is not a mark; use mark:keep, mark:reject or mark:none")
                })?);
            }
            "star" | "starred" => {
                query.starred = match value.to_ascii_lowercase().as_str() {
                    "" | "yes" | "y" | "true" | "1" => true,
                    "no" | "n" | "false" | "0" => false,
                    _ => return Err(format!("{key}:{value} — use {key}:yes or {key}:no")),
                };
            }
            _ => {
                return Err(format!(
                    "unknown filter {key}: — the filters are {FILTER_KEYS}"
                ));
            }
        }
    }
    query.search = (!words.is_empty()).then(|| words.join(" "));
    Ok(query)
}

fn is_key(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
}

fn example(key: &str) -> &'static str {
    match key {
        "since" | "until" => "7d",
        "mark" => "keep",
        "provider" => "openai",
        _ => "dall-e-3",
    }
}

/// The first (or, for `end`, the last) unix ms of the local day `value`
/// names.
fn day_bound(
    key: &str,
    value: &str,
    today: NaiveDate,
    end: bool,
) -> std::result::Result<i64, String> {
    let day = if let Some(days) = value.strip_suffix(['d', 'D']) {
        let days: u64 = days.parse().map_err(|_| wrong_day(key, value))?;
        today
            .checked_sub_days(chrono::Days::new(days.max(1) - 1))
            .ok_or_else(|| format!("{key}:{value} reaches back before the calendar begins"))?
    } else {
        NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| wrong_day(key, value))?
    };
    let bound = if end {
        day.succ_opt().and_then(local_start).map(|next| next - 1)
    } else {
        local_start(day)
    };
    bound.ok_or_else(|| format!("{key}:{value} is outside the dates tintype can handle"))
}

fn wrong_day(key: &str, value: &str) -> String {
    format!("{key}:{value} — use a number of days back (7d) or a date (2026-11-01)")
}

/// Unix ms when `day` begins on the local clock. Where a daylight-saving
/// change skips midnight, the day begins when the clock resumes.
fn local_start(day: NaiveDate) -> Option<i64> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    (0..=24 * 4).find_map(|quarter| {
        (midnight + chrono::Duration::minutes(15 * quarter))
            .and_local_timezone(Local)
            .earliest()
            .map(|t| t.timestamp_millis())
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
