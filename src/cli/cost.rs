//! `tintype cost`: spend by day, model or provider, as a table, JSON or CSV.

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::table::Table;
use super::{CliResult, Context};
use crate::money::Micros;
use crate::store::{CostReport, CostRow, GroupBy, Since};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum By {
    Day,
    Model,
    Provider,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// How far back: `1d` (today), `7d`, `30d`, any `Nd`, or `all`
    #[arg(long, default_value = "30d", value_parser = parse_since)]
    pub since: Since,
    #[arg(long, value_enum, default_value_t = By::Day)]
    pub by: By,
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    #[arg(long)]
    pub csv: bool,
}

fn parse_since(text: &str) -> Result<Since, String> {
    let text = text.trim().to_ascii_lowercase();
    if text == "all" {
        return Ok(Since::All);
    }
    text.strip_suffix('d')
        .and_then(|days| days.parse::<u32>().ok())
        .filter(|days| *days >= 1)
        .map(Since::Days)
        .ok_or_else(|| format!("{text:?} is not a period: use 1d, 7d, 30d (any Nd) or all"))
}

#[derive(Serialize)]
struct CostJson<'a> {
    since: String,
    first_day: Option<&'a str>,
    by: &'static str,
    rows: &'a [CostRow],
    total: &'a CostRow,
}

pub fn run(args: &CostArgs) -> CliResult {
    let context = Context::load()?;
    let store = context.store()?;
    let first_day = args.since.first_day(chrono::Local::now().date_naive());
    let by = match args.by {
        By::Day => GroupBy::Day,
        By::Model => GroupBy::Model,
        By::Provider => GroupBy::Provider,
    };
    let report = store.cost_report(by, first_day.as_deref())?;
    let by_name = match args.by {
        By::Day => "day",
        By::Model => "model",
        By::Provider => "provider",
    };
    if args.json {
        let body = CostJson {
            since: match args.since {
                Since::All => "all".into(),
                Since::Days(days) => format!("{days}d"),
            },
            first_day: first_day.as_deref(),
            by: by_name,
            rows: &report.rows,
            total: &report.total,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&body).map_err(anyhow::Error::from)?
        );
    } else if args.csv {
        print!("{}", csv(&report));
    } else {
        print!("{}", text(&report, by_name, first_day.as_deref()));
    }
    Ok(())
}

fn csv(report: &CostReport) -> String {
    let quote = |field: &str| {
        if field.contains([',', '"', '\n']) {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.to_string()
        }
    };
    let mut out = String::from(
        "key,requests,images,estimated_cost_micros,actual_cost_micros,without_actual\n",
    );
    for row in report.rows.iter().chain(std::iter::once(&report.total)) {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            quote(&row.key),
            row.requests,
            row.images,
            row.estimated_cost_micros,
            row.actual_cost_micros,
            row.without_actual
        ));
    }
    out
}

fn text(report: &CostReport, by: &'static str, first_day: Option<&str>) -> String {
    if report.rows.is_empty() {
        let period = first_day.map_or_else(|| "yet".to_string(), |day| format!("since {day}"));
        return format!("nothing spent {period}\n");
    }
    let header = match by {
        "day" => "DAY",
        "model" => "MODEL",
        _ => "PROVIDER",
    };
    let mut table = Table::new(&[
        (header, false),
        ("REQUESTS", true),
        ("IMAGES", true),
        ("ESTIMATED", true),
        ("ACTUAL", true),
    ]);
    for row in report.rows.iter().chain(std::iter::once(&report.total)) {
        table.push(vec![
            row.key.clone(),
            row.requests.to_string(),
            row.images.to_string(),
            Micros(row.estimated_cost_micros).dollars(),
            Micros(row.actual_cost_micros).dollars(),
        ]);
    }
    let mut out = table.render();
    if report.total.without_actual > 0 {
        out.push_str(&format!(
            "{} call(s) have no actual cost yet (still running, or the provider reported none)\n",
            report.total.without_actual
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse() {
        assert_eq!(parse_since("7d"), Ok(Since::Days(7)));
        assert_eq!(parse_since("ALL"), Ok(Since::All));
        assert!(parse_since("0d").is_err());
        assert!(parse_since("week").unwrap_err().contains("1d, 7d, 30d"));
    }

    #[test]
    fn csv_quotes_awkward_keys() {
        let row = CostRow {
            key: "a,\"b\"".into(),
            requests: 1,
            ..CostRow::default()
        };
        let report = CostReport {
            rows: vec![row.clone()],
            total: row,
        };
        assert!(csv(&report).contains("\"a,\"\"b\"\"\",1,"));
    }
}
