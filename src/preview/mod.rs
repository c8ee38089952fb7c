//! Image work done off the UI thread: decoding, thumbnails, terminal encoding, export.

pub mod contact_sheet;
pub mod detect;
pub mod export;
pub mod render;

pub use render::{PreviewJob, PreviewKey, PreviewSource, PreviewWorker, Rendered};
