//! Image work done off the UI thread: decoding, thumbnails, terminal encoding, export.

pub mod contact_sheet;
pub mod detect;
pub mod encode;
pub mod export;
pub mod picture;
pub mod render;
pub mod thumbs;

pub use picture::{Encoder, KittyScreen, Picture, PictureView, Rendered};
pub use render::{PreviewJob, PreviewKey, PreviewSource, PreviewStats, PreviewWorker};
pub use thumbs::ThumbnailCache;
