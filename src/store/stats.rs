//! Figures for the studio's cost view: spend per day for a chart, and how
//! recent jobs ended and how long they took.

use chrono::NaiveDate;
use serde::Serialize;

use super::jobs::JobState;
use super::review::invalid;
use super::{Result, Store};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DaySpend {
    /// The local calendar day, `YYYY-MM-DD`.
    pub day: String,
    pub estimated_micros: i64,
    /// The sum of actual costs known; calls still out or unpriced add nothing.
    pub actual_micros: i64,
    /// Provider calls sent that day.
    pub calls: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobStats {
    /// Every job that ended, interrupted ones included (they are in none of
    /// the three counts below).
    pub finished: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub canceled: i64,
    /// The median of `finished_at - started_at` over succeeded jobs, in ms;
    /// for an even count, the lower of the two middle values, so it is
    /// always a latency some job really had.
    pub median_latency_ms: Option<i64>,
}

fn parse_day(day: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|e| invalid(format!("{day:?} is not a day (YYYY-MM-DD): {e}")))
}

impl Store {
    /// One entry per day from `first_day` through `last_day` (inclusive,
    /// `YYYY-MM-DD`), zero-filled, so a 30-day chart gets 30 bars. Empty when
    /// `last_day` comes before `first_day`.
    pub fn daily_spend(&self, first_day: &str, last_day: &str) -> Result<Vec<DaySpend>> {
        let (first, last) = (parse_day(first_day)?, parse_day(last_day)?);
        // Reads only the covering `costs_by_day` index, already in day order.
        let mut statement = self.conn.prepare_cached(
            "SELECT day, SUM(estimated_micros), COALESCE(SUM(actual_micros), 0), COUNT(*) \
             FROM costs WHERE day BETWEEN ?1 AND ?2 GROUP BY day ORDER BY day",
        )?;
        let first_text = first.format("%Y-%m-%d").to_string();
        let last_text = last.format("%Y-%m-%d").to_string();
        let mut spent = statement
            .query_map([&first_text, &last_text], |row| {
                Ok(DaySpend {
                    day: row.get(0)?,
                    estimated_micros: row.get(1)?,
                    actual_micros: row.get(2)?,
                    calls: row.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .peekable();
        let mut days = Vec::new();
        for date in first.iter_days().take_while(|d| *d <= last) {
            let day = date.format("%Y-%m-%d").to_string();
            match spent.next_if(|s| s.day == day) {
                Some(spend) => days.push(spend),
                None => days.push(DaySpend {
                    day,
                    ..DaySpend::default()
                }),
            }
        }
        Ok(days)
    }

    /// How the jobs that ended at or after `since_ms` (unix ms) ended,
    /// optionally only those of one model and/or one provider.
    pub fn job_stats(
        &self,
        since_ms: i64,
        model: Option<&str>,
        provider: Option<&str>,
    ) -> Result<JobStats> {
        // NULL means "any", so one cached statement serves every filter.
        let mut statement = self.conn.prepare_cached(
            "SELECT j.state, j.finished_at - j.started_at FROM jobs j \
             JOIN requests r ON r.id = j.request_id \
             WHERE j.finished_at >= ?1 \
               AND j.state IN ('succeeded', 'failed', 'canceled', 'interrupted') \
               AND (?2 IS NULL OR r.model = ?2) AND (?3 IS NULL OR r.provider = ?3)",
        )?;
        let mut stats = JobStats::default();
        let mut latencies = Vec::new();
        let mut rows = statement.query(rusqlite::params![since_ms, model, provider])?;
        while let Some(row) = rows.next()? {
            let state: String = row.get(0)?;
            stats.finished += 1;
            match JobState::parse(&state) {
                Some(JobState::Succeeded) => {
                    stats.succeeded += 1;
                    if let Some(latency) = row.get::<_, Option<i64>>(1)? {
                        latencies.push(latency);
                    }
                }
                Some(JobState::Failed) => stats.failed += 1,
                Some(JobState::Canceled) => stats.canceled += 1,
                _ => {}
            }
        }
        latencies.sort_unstable();
        stats.median_latency_ms = latencies
            .len()
            .checked_sub(1)
            .map(|last| latencies[last / 2]);
        Ok(stats)
    }
}
