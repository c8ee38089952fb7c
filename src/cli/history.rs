//! `tintype history`: past requests, newest first, with full-text search.

use clap::Args;
use serde::Serialize;

use super::table::Table;
use super::{CliResult, Context};
use crate::money::Micros;
use crate::store::{HistoryQuery, HistoryRow};
use crate::text::{strip_controls, truncate};

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Words the prompt must contain (each may be the start of a word)
    #[arg(short, long)]
    pub search: Option<String>,
    /// Only this model (full id)
    #[arg(short, long)]
    pub model: Option<String>,
    /// How many rows; 0 for all
    #[arg(short = 'n', long, default_value_t = 20)]
    pub limit: u32,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct HistoryJson<'a> {
    id: i64,
    created_at: String,
    model: &'a str,
    operation: &'a str,
    prompt: &'a str,
    negative_prompt: Option<&'a str>,
    status: &'a str,
    n: u32,
    seed: Option<i64>,
    images: &'a [String],
    estimated_cost_micros: i64,
    actual_cost_micros: Option<i64>,
}

fn local_time(ms: i64, pattern: &str) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&chrono::Local).format(pattern).to_string())
        .unwrap_or_default()
}

pub fn run(args: &HistoryArgs) -> CliResult {
    let context = Context::load()?;
    let store = context.store()?;
    let rows = store.history(&HistoryQuery {
        search: args.search.clone(),
        model: args.model.clone(),
        limit: args.limit,
        ..HistoryQuery::default()
    })?;
    if args.json {
        let body: Vec<HistoryJson<'_>> = rows.iter().map(json_row).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&body).map_err(anyhow::Error::from)?
        );
    } else if rows.is_empty() {
        println!("{}", empty_message(args));
    } else {
        print!("{}", text(&rows));
    }
    Ok(())
}

fn json_row(row: &HistoryRow) -> HistoryJson<'_> {
    HistoryJson {
        id: row.id.0,
        created_at: local_time(row.created_at, "%Y-%m-%dT%H:%M:%S%.3f%:z"),
        model: &row.model,
        operation: &row.operation,
        prompt: &row.prompt,
        negative_prompt: row.negative_prompt.as_deref(),
        status: &row.status,
        n: row.n,
        seed: row.seed,
        images: &row.images,
        estimated_cost_micros: row.estimated_cost_micros,
        actual_cost_micros: row.actual_cost_micros,
    }
}

fn empty_message(args: &HistoryArgs) -> String {
    match &args.search {
        Some(words) => format!("no prompt matches {words:?}"),
        None => "no history yet: try `tintype gen \"a lighthouse at dusk\"`".into(),
    }
}

fn text(rows: &[HistoryRow]) -> String {
    let mut table = Table::new(&[
        ("ID", true),
        ("WHEN", false),
        ("MODEL", false),
        ("STATUS", false),
        ("N", true),
        ("COST", true),
        ("PROMPT", false),
    ]);
    for row in rows {
        // An actual cost where known; `~` marks an estimate.
        let cost = row.actual_cost_micros.map_or_else(
            || format!("~{}", Micros(row.estimated_cost_micros).dollars()),
            |actual| Micros(actual).dollars(),
        );
        table.push(vec![
            row.id.to_string(),
            local_time(row.created_at, "%Y-%m-%d %H:%M"),
            row.model.clone(),
            row.status.clone(),
            row.n.to_string(),
            cost,
            truncate(&strip_controls(&row.prompt, true), 60),
        ]);
    }
    table.render()
}
