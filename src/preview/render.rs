//! Previews for the studio: images decoded, resized and encoded for the
//! terminal's graphics protocol on a worker thread, never on the UI thread.
//! The studio asks for a (source, cell size) and gets back a ready protocol
//! that drawing only copies into the frame.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use image::DynamicImage;
use image::imageops::FilterType;

use super::picture::{Encoder, Rendered};
use crate::store::JobId;

/// Where a preview's pixels come from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PreviewSource {
    File(PathBuf),
    /// A streamed partial image of a running job: its `seq`-th preview.
    Partial {
        job: JobId,
        seq: u32,
    },
}

/// One preview: a source drawn into a box of `cols` x `rows` cells.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PreviewKey {
    pub source: PreviewSource,
    pub cols: u16,
    pub rows: u16,
}

/// A preview asked for; partial images bring their bytes along.
#[derive(Clone, Debug)]
pub struct PreviewJob {
    pub key: PreviewKey,
    pub bytes: Option<Arc<Vec<u8>>>,
}

/// Decoded originals kept (downscaled) so another cell size, or the same
/// image as thumbnail and large preview, does not decode the file again.
const DECODED_KEPT: usize = 12;
/// Longest side kept of a decoded original: enough for a full-screen preview
/// at 10x20-pixel cells on a 200-column terminal.
const DECODED_MAX_SIDE: u32 = 2048;

pub struct PreviewWorker {
    jobs: Sender<PreviewJob>,
}

impl PreviewWorker {
    /// Starts the worker thread; each result is handed to `deliver`.
    pub fn spawn<F>(encoder: Encoder, deliver: F) -> PreviewWorker
    where
        F: Fn(PreviewKey, Result<Rendered, String>) + Send + 'static,
    {
        let (jobs, inbox) = channel::<PreviewJob>();
        std::thread::Builder::new()
            .name("tintype-preview".into())
            .spawn(move || work(&encoder, &inbox, &deliver))
            .ok();
        PreviewWorker { jobs }
    }

    pub fn request(&self, job: PreviewJob) {
        // The worker only stops when the studio does.
        let _ = self.jobs.send(job);
    }
}

fn work<F>(encoder: &Encoder, inbox: &Receiver<PreviewJob>, deliver: &F)
where
    F: Fn(PreviewKey, Result<Rendered, String>),
{
    let mut decoded: VecDeque<(PreviewSource, Arc<DynamicImage>)> = VecDeque::new();
    while let Ok(first) = inbox.recv() {
        // Newest first: the selection moved on, so what it shows now matters
        // most; older asks are still answered after.
        let mut batch = vec![first];
        batch.extend(inbox.try_iter());
        let mut seen = std::collections::HashSet::new();
        for job in batch.into_iter().rev() {
            if !seen.insert(job.key.clone()) {
                continue;
            }
            let result = render(encoder, &job, &mut decoded);
            deliver(job.key, result);
        }
    }
}

fn render(
    encoder: &Encoder,
    job: &PreviewJob,
    decoded: &mut VecDeque<(PreviewSource, Arc<DynamicImage>)>,
) -> Result<Rendered, String> {
    let image = if let Some(at) = decoded.iter().position(|(s, _)| *s == job.key.source) {
        let entry = decoded.remove(at).ok_or("cache entry vanished")?;
        let image = Arc::clone(&entry.1);
        decoded.push_back(entry);
        image
    } else {
        let image = Arc::new(decode(job)?);
        decoded.push_back((job.key.source.clone(), Arc::clone(&image)));
        if decoded.len() > DECODED_KEPT {
            decoded.pop_front();
        }
        image
    };
    encoder.encode(&image, job.key.cols, job.key.rows)
}

fn decode(job: &PreviewJob) -> Result<DynamicImage, String> {
    let image = match (&job.key.source, &job.bytes) {
        (_, Some(bytes)) => {
            image::load_from_memory(bytes).map_err(|e| format!("cannot decode the preview: {e}"))?
        }
        (PreviewSource::File(path), None) => image::ImageReader::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .with_guessed_format()
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .decode()
            .map_err(|e| format!("cannot decode {}: {e}", path.display()))?,
        (PreviewSource::Partial { .. }, None) => {
            return Err("the partial image has no bytes".into());
        }
    };
    Ok(if image.width().max(image.height()) > DECODED_MAX_SIDE {
        image.resize(DECODED_MAX_SIDE, DECODED_MAX_SIDE, FilterType::Triangle)
    } else {
        image
    })
}
