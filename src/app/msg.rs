//! What reaches the studio's state: keys from the terminal, events from the
//! job engine, and the answers of the work it asked for (queries, previews).

use ratatui::crossterm::event::KeyEvent;

use super::jobs::JobMeta;
use super::submit::Submission;
use crate::catalog::InputImage;
use crate::engine::JobEvent;
use crate::money::Micros;
use crate::preview::{PreviewKey, Rendered};
use crate::store::{
    CostReport, DaySpend, GroupBy, HistoryRow, ImageRow, JobId, JobState, JobStats, RequestId,
};

use super::gallery::GallerySource;

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize,
    /// The clock, once a second while jobs run (elapsed times).
    Tick(i64),
    Job(JobEvent),
    /// A submission reached the store: its jobs and their details.
    Submitted {
        jobs: Vec<(JobId, JobMeta)>,
        batch: Option<RequestId>,
        compare: bool,
    },
    /// Jobs an earlier tintype left unfinished (resumed or interrupted).
    Unfinished(Vec<(JobId, JobMeta, JobState)>),
    /// A rerun, reroll or retry rebuilt from the store, ready for the budget check.
    Prepared(Submission),
    Images {
        source: GallerySource,
        images: Vec<ImageRow>,
    },
    Preview {
        key: PreviewKey,
        rendered: Result<Rendered, String>,
    },
    History {
        generation: u64,
        rows: Result<Vec<HistoryRow>, String>,
    },
    Cost(Box<CostData>),
    Spend {
        today: Micros,
        month: Micros,
    },
    /// An image probed to become the input of an edit or variation.
    Input {
        input: InputImage,
        operation: String,
    },
    /// The text $EDITOR left in the file.
    Edited(Result<String, String>),
    /// The model of the newest stored request: the studio opens with it.
    LastModel(String),
    /// The presets, read again after one was saved.
    Presets(super::overlay::Presets),
    Info(String),
    Error(String),
    /// SIGTERM, SIGHUP: leave now, without asking.
    Terminate(&'static str),
}

#[derive(Debug, Default)]
pub struct CostData {
    pub group: Option<GroupBy>,
    pub report: Option<CostReport>,
    pub daily: Vec<DaySpend>,
    pub stats: JobStats,
    pub error: Option<String>,
}
