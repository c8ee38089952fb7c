//! Previews for the studio: images decoded, resized and encoded for the
//! terminal's graphics protocol on a worker thread, never on the UI thread.
//! The studio asks for a (source, cell size) and gets back a ready protocol
//! that drawing only copies into the frame.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

use image::DynamicImage;
use image::imageops::FilterType;

use super::picture::{Encoder, Rendered};
use super::thumbs::ThumbnailCache;
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

/// What the worker did, for tests and `tintype doctor`-style questions.
#[derive(Debug, Default)]
pub struct PreviewStats {
    /// Image files decoded (partial images, which arrive as bytes, are not
    /// counted).
    pub originals_decoded: AtomicUsize,
    /// Pictures read back from the thumbnail cache instead.
    pub from_disk: AtomicUsize,
}

pub struct PreviewWorker {
    jobs: Sender<PreviewJob>,
    pub stats: Arc<PreviewStats>,
}

impl PreviewWorker {
    /// Starts the worker thread; each result is handed to `deliver`.
    /// Fitted pictures of image files are kept in `cache`, when given.
    pub fn spawn<F>(encoder: Encoder, cache: Option<ThumbnailCache>, deliver: F) -> PreviewWorker
    where
        F: Fn(PreviewKey, Result<Rendered, String>) + Send + 'static,
    {
        let (jobs, inbox) = channel::<PreviewJob>();
        let stats = Arc::new(PreviewStats::default());
        let mut worker = Worker {
            encoder,
            cache,
            decoded: VecDeque::new(),
            stats: Arc::clone(&stats),
        };
        std::thread::Builder::new()
            .name("tintype-preview".into())
            .spawn(move || worker.work(&inbox, &deliver))
            .ok();
        PreviewWorker { jobs, stats }
    }

    pub fn request(&self, job: PreviewJob) {
        // The worker only stops when the studio does.
        let _ = self.jobs.send(job);
    }
}

struct Worker {
    encoder: Encoder,
    cache: Option<ThumbnailCache>,
    decoded: VecDeque<(PreviewSource, Arc<DynamicImage>)>,
    stats: Arc<PreviewStats>,
}

impl Worker {
    fn work<F>(&mut self, inbox: &Receiver<PreviewJob>, deliver: &F)
    where
        F: Fn(PreviewKey, Result<Rendered, String>),
    {
        while let Ok(first) = inbox.recv() {
            // Newest first: the selection moved on, so what it shows now
            // matters most; older asks are still answered after.
            let mut batch = vec![first];
            batch.extend(inbox.try_iter());
            let mut seen = std::collections::HashSet::new();
            for job in batch.into_iter().rev() {
                if !seen.insert(job.key.clone()) {
                    continue;
                }
                let result = self.render(&job);
                deliver(job.key, result);
            }
        }
    }

    fn render(&mut self, job: &PreviewJob) -> Result<Rendered, String> {
        let (cols, rows) = (job.key.cols, job.key.rows);
        // Partial images are not worth keeping: the final one follows.
        let hash = match (&job.key.source, self.cache.as_mut()) {
            (PreviewSource::File(path), Some(cache)) => cache.hash(path).ok(),
            _ => None,
        };
        let Some(hash) = hash else {
            let image = self.original(job)?;
            return self.encoder.encode(&image, cols, rows);
        };
        let (width, height) = self.encoder.box_pixels(cols, rows);
        if let Some(pixels) = self
            .cache
            .as_ref()
            .and_then(|c| c.load(&hash, width, height))
        {
            self.stats.from_disk.fetch_add(1, Ordering::Relaxed);
            return self.encoder.encode_fitted(pixels, cols, rows);
        }
        let image = self.original(job)?;
        let pixels = self.encoder.fit(&image, cols, rows);
        if let Some(cache) = &self.cache {
            // A full disk costs the next start its head start, nothing more.
            let _ = cache.store(&hash, width, height, &pixels);
        }
        self.encoder.encode_fitted(pixels, cols, rows)
    }

    /// The job's image decoded, from memory when it was lately.
    fn original(&mut self, job: &PreviewJob) -> Result<Arc<DynamicImage>, String> {
        if let Some(at) = self.decoded.iter().position(|(s, _)| *s == job.key.source) {
            let entry = self.decoded.remove(at).ok_or("cache entry vanished")?;
            let image = Arc::clone(&entry.1);
            self.decoded.push_back(entry);
            return Ok(image);
        }
        let image = Arc::new(decode(job)?);
        if job.bytes.is_none() {
            self.stats.originals_decoded.fetch_add(1, Ordering::Relaxed);
        }
        self.decoded
            .push_back((job.key.source.clone(), Arc::clone(&image)));
        if self.decoded.len() > DECODED_KEPT {
            self.decoded.pop_front();
        }
        Ok(image)
    }
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
