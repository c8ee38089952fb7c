//! State of the screens beside the studio: history search, the cost view and
//! the model comparison.

use std::collections::BTreeSet;

use super::msg::CostData;
use crate::store::{GroupBy, HistoryQuery, HistoryRow, ImageRow, RequestId, parse_history_filter};

/// How many past requests the history screen loads per search.
pub const HISTORY_LIMIT: u32 = 1000;

#[derive(Debug, Default)]
pub struct HistoryView {
    /// `fox model:dall-e-3 since:7d star`: words and filters.
    pub filter: String,
    /// Keys type into the filter line.
    pub editing: bool,
    pub rows: Vec<HistoryRow>,
    pub selected: usize,
    pub generation: u64,
    pub error: Option<String>,
    pub loaded: bool,
}

impl HistoryView {
    /// The query for the filter as typed; `Err` says what is wrong with it.
    /// Each query gets a new generation, so a slower older answer is dropped.
    pub fn query(&mut self, today: chrono::NaiveDate) -> Result<(u64, HistoryQuery), String> {
        let query = parse_history_filter(&self.filter, today, HISTORY_LIMIT)?;
        self.generation += 1;
        Ok((self.generation, query))
    }

    pub fn receive(&mut self, generation: u64, rows: Result<Vec<HistoryRow>, String>) {
        if generation != self.generation {
            return;
        }
        self.loaded = true;
        match rows {
            Ok(rows) => {
                self.rows = rows;
                self.error = None;
                self.selected = self.selected.min(self.rows.len().saturating_sub(1));
            }
            Err(error) => self.error = Some(error),
        }
    }

    pub fn selected_row(&self) -> Option<&HistoryRow> {
        self.rows.get(self.selected)
    }
}

#[derive(Debug)]
pub struct CostView {
    pub group: GroupBy,
    pub data: Option<CostData>,
    pub selected: usize,
}

impl Default for CostView {
    fn default() -> Self {
        CostView {
            group: GroupBy::Day,
            data: None,
            selected: 0,
        }
    }
}

impl CostView {
    pub fn next_group(&mut self) -> GroupBy {
        self.group = match self.group {
            GroupBy::Day => GroupBy::Model,
            GroupBy::Model => GroupBy::Provider,
            GroupBy::Provider => GroupBy::Day,
        };
        self.selected = 0;
        self.group
    }
}

/// One prompt across several models, side by side.
#[derive(Debug, Default)]
pub struct CompareView {
    /// Models that can take the form's operation, in catalog order.
    pub models: Vec<String>,
    pub checked: BTreeSet<String>,
    /// Row in the model list.
    pub selected: usize,
    /// The comparison's batch and its requests, in order (one cell each).
    pub batch: Option<RequestId>,
    pub requests: Vec<RequestId>,
    pub images: Vec<ImageRow>,
    /// Selected cell of the results.
    pub cell: usize,
    /// Keys move among results rather than the model list.
    pub in_results: bool,
}

impl CompareView {
    pub fn toggle(&mut self) {
        if let Some(model) = self.models.get(self.selected).cloned()
            && !self.checked.remove(&model)
        {
            self.checked.insert(model);
        }
    }

    /// The first image of each request, in cell order.
    pub fn cell_image(&self, request: RequestId) -> Option<&ImageRow> {
        self.images.iter().find(|i| i.request == request)
    }
}
