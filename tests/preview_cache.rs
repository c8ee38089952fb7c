//! The preview worker over a gallery of 200 image files, asked for them as
//! the studio asks while paging (each page's thumbnails, then the large
//! preview of each image selected in turn): no original is decoded twice,
//! and a second studio on the same thumbnail cache decodes none.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::channel;
use std::time::Duration;

use tintype::preview::detect::{Detected, Graphics};
use tintype::preview::{
    Encoder, PreviewJob, PreviewKey, PreviewSource, PreviewStats, PreviewWorker, ThumbnailCache,
};

const IMAGES: usize = 200;
const PAGE: usize = 6;
const THUMB: (u16, u16) = (12, 6);
const LARGE: (u16, u16) = (38, 19);

fn gallery(dir: &std::path::Path) -> Vec<PathBuf> {
    (0..IMAGES)
        .map(|i| {
            let picture = image::RgbImage::from_fn(256, 256, |x, y| {
                image::Rgb([(i * 13 % 256) as u8, x as u8, y as u8])
            });
            let path = dir.join(format!("{i:03}.png"));
            picture.save(&path).unwrap();
            path
        })
        .collect()
}

/// Asks for every preview a user paging through the gallery would see,
/// waits for all the answers, and returns what the worker counted.
fn page_through(paths: &[PathBuf], cache_dir: &std::path::Path) -> std::sync::Arc<PreviewStats> {
    let detected = Detected {
        graphics: Graphics::Sixel,
        cell: (10, 20),
        tmux: false,
        tmux_sixel: false,
        ssh: false,
        reasons: Vec::new(),
    };
    let (tx, answers) = channel();
    let worker = PreviewWorker::spawn(
        Encoder::new(&detected),
        Some(ThumbnailCache::new(cache_dir.to_path_buf())),
        move |key, rendered| {
            tx.send((key, rendered.map(|r| (r.cols, r.rows)))).unwrap();
        },
    );
    let key = |path: &PathBuf, (cols, rows): (u16, u16)| PreviewKey {
        source: PreviewSource::File(path.clone()),
        cols,
        rows,
    };
    let mut asked = 0;
    for page in paths.chunks(PAGE) {
        for path in page {
            worker.request(PreviewJob {
                key: key(path, THUMB),
                bytes: None,
            });
            asked += 1;
        }
        for path in page {
            worker.request(PreviewJob {
                key: key(path, LARGE),
                bytes: None,
            });
            asked += 1;
        }
    }
    for _ in 0..asked {
        let (key, answer) = answers.recv_timeout(Duration::from_mins(1)).unwrap();
        let (cols, rows) = answer.unwrap();
        assert!(cols <= key.cols && rows <= key.rows && cols > 0 && rows > 0);
    }
    std::sync::Arc::clone(&worker.stats)
}

#[test]
fn a_gallery_decodes_each_original_once_and_none_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let paths = gallery(dir.path());
    let cache = dir.path().join("thumbnails");

    let first = page_through(&paths, &cache);
    assert_eq!(first.originals_decoded.load(Ordering::Relaxed), IMAGES);
    assert_eq!(first.from_disk.load(Ordering::Relaxed), 0);
    let stored = walk(&cache);
    assert_eq!(
        stored.len(),
        IMAGES * 2,
        "a thumbnail and a large picture each"
    );
    assert!(stored.iter().all(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name.ends_with("-120x120.png") || name.ends_with("-380x380.png")
    }));

    let second = page_through(&paths, &cache);
    assert_eq!(second.originals_decoded.load(Ordering::Relaxed), 0);
    assert_eq!(second.from_disk.load(Ordering::Relaxed), IMAGES * 2);

    // A changed image is not mistaken for its old thumbnail.
    image::RgbImage::from_pixel(256, 256, image::Rgb([9, 9, 9]))
        .save(&paths[0])
        .unwrap();
    let third = page_through(&paths[..1], &cache);
    assert_eq!(third.originals_decoded.load(Ordering::Relaxed), 1);
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
