//! What the state asks for, as data: the runner does the I/O and reports
//! back with a `Msg`. Tests assert on these instead of doing the work.

use std::path::PathBuf;

use super::gallery::{GallerySource, Review};
use super::submit::{Rerun, Submission};
use crate::preview::PreviewJob;
use crate::preview::contact_sheet::SheetItem;
use crate::store::{GroupBy, HistoryQuery, JobId, RequestId};

#[derive(Debug)]
pub enum Effect {
    Submit(Submission),
    /// Rebuild a stored request (reroll, retry, re-run) into a `Msg::Prepared`.
    Rerun(Rerun),
    Cancel(JobId),
    CancelRequests(Vec<RequestId>),
    LoadImages(GallerySource),
    Review(Review),
    Preview(PreviewJob),
    QueryHistory {
        generation: u64,
        query: HistoryQuery,
    },
    QueryCost(GroupBy),
    RefreshSpend,
    /// Probe an image to use it as the input of `operation`.
    UseAsInput {
        path: PathBuf,
        operation: String,
    },
    Open(PathBuf),
    CopyPath(PathBuf),
    Export(Vec<SheetItem>),
    SavePreset {
        name: String,
        text: String,
    },
    ExternalEditor(String),
    Suspend,
    Quit,
}
