//! Spend totals from the cost ledger, by day, model or provider.

use serde::Serialize;

use super::{Result, Store};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Model,
    Provider,
}

impl GroupBy {
    fn column(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Model => "model",
            GroupBy::Provider => "provider",
        }
    }
}

/// How far back a report looks: the last N local days including today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    Days(u32),
    All,
}

impl Since {
    /// The first local day included, as `YYYY-MM-DD`, counted back from `today`.
    pub fn first_day(self, today: chrono::NaiveDate) -> Option<String> {
        match self {
            Since::All => None,
            Since::Days(days) => {
                let back = chrono::Days::new(u64::from(days.max(1) - 1));
                Some(
                    today
                        .checked_sub_days(back)
                        .unwrap_or(today)
                        .format("%Y-%m-%d")
                        .to_string(),
                )
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CostRow {
    pub key: String,
    /// Provider calls sent.
    pub requests: i64,
    /// Images delivered.
    pub images: i64,
    pub estimated_cost_micros: i64,
    /// The sum of actual costs known; calls still out or unpriced add nothing.
    pub actual_cost_micros: i64,
    /// Calls whose actual cost is not known (yet).
    pub without_actual: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CostReport {
    pub rows: Vec<CostRow>,
    pub total: CostRow,
}

/// The aggregate `cost` runs; public so benchmarks can give the same text to
/// the sqlite3 shell. `:since` is the first day included, when there is one.
pub fn cost_sql(by: GroupBy, since: bool) -> String {
    let column = by.column();
    let filter = if since { " WHERE day >= :since" } else { "" };
    format!(
        "SELECT {column}, COUNT(*), SUM(images), SUM(estimated_micros), \
         COALESCE(SUM(actual_micros), 0), COUNT(*) - COUNT(actual_micros) \
         FROM costs{filter} GROUP BY {column}"
    )
}

impl Store {
    pub fn cost_report(&self, by: GroupBy, first_day: Option<&str>) -> Result<CostReport> {
        let mut statement = self
            .conn
            .prepare_cached(&cost_sql(by, first_day.is_some()))?;
        let read = |row: &rusqlite::Row<'_>| -> rusqlite::Result<CostRow> {
            Ok(CostRow {
                key: row.get(0)?,
                requests: row.get(1)?,
                images: row.get(2)?,
                estimated_cost_micros: row.get(3)?,
                actual_cost_micros: row.get(4)?,
                without_actual: row.get(5)?,
            })
        };
        let mut rows: Vec<CostRow> = match first_day {
            Some(day) => statement.query_map(&[(":since", &day)], read)?,
            None => statement.query_map([], read)?,
        }
        .collect::<rusqlite::Result<_>>()?;
        // Days read as a timeline; models and providers dearest first.
        if by != GroupBy::Day {
            rows.sort_by(|a, b| {
                let spend = |r: &CostRow| r.actual_cost_micros.max(r.estimated_cost_micros);
                spend(b).cmp(&spend(a)).then_with(|| a.key.cmp(&b.key))
            });
        }
        let total = rows.iter().fold(
            CostRow {
                key: "total".into(),
                ..CostRow::default()
            },
            |mut sum, row| {
                sum.requests += row.requests;
                sum.images += row.images;
                sum.estimated_cost_micros += row.estimated_cost_micros;
                sum.actual_cost_micros += row.actual_cost_micros;
                sum.without_actual += row.without_actual;
                sum
            },
        );
        Ok(CostReport { rows, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_counts_today_as_the_first_day() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        assert_eq!(
            Since::Days(1).first_day(today).as_deref(),
            Some("2026-11-21")
        );
        assert_eq!(
            Since::Days(7).first_day(today).as_deref(),
            Some("2026-11-15")
        );
        assert_eq!(
            Since::Days(30).first_day(today).as_deref(),
            Some("2026-10-23")
        );
        assert_eq!(Since::All.first_day(today), None);
    }
}
