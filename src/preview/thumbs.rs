//! Resized pictures kept on disk, keyed by the image's sha256 and the pixel
//! size they were fitted to, so a gallery opened again decodes no original:
//! a 1024x1024 PNG takes ~25 ms to decode and resize, its 120x120 thumbnail
//! under 1 ms to read back.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::engine::output::hex_sha256;
use image::RgbImage;

pub struct ThumbnailCache {
    dir: PathBuf,
    /// Hashes already taken, by path, size and modification time: hashing a
    /// file reads all of it.
    hashes: HashMap<PathBuf, (u64, Option<SystemTime>, String)>,
}

impl ThumbnailCache {
    pub fn new(dir: PathBuf) -> ThumbnailCache {
        ThumbnailCache {
            dir,
            hashes: HashMap::new(),
        }
    }

    /// The sha256 of the file at `path`, as hex.
    pub fn hash(&mut self, path: &Path) -> std::io::Result<String> {
        let meta = std::fs::metadata(path)?;
        let stamp = (meta.len(), meta.modified().ok());
        if let Some((len, modified, hash)) = self.hashes.get(path)
            && (*len, *modified) == stamp
        {
            return Ok(hash.clone());
        }
        let hash = hex_sha256(&std::fs::read(path)?);
        self.hashes
            .insert(path.to_path_buf(), (stamp.0, stamp.1, hash.clone()));
        Ok(hash)
    }

    fn path_of(&self, hash: &str, width: u32, height: u32) -> PathBuf {
        let shard = hash.get(..2).unwrap_or("00");
        self.dir
            .join(shard)
            .join(format!("{hash}-{width}x{height}.png"))
    }

    /// The picture stored for `hash` fitted into `width` x `height` pixels;
    /// a damaged or missing one is `None` (and made again by the caller).
    pub fn load(&self, hash: &str, width: u32, height: u32) -> Option<RgbImage> {
        let path = self.path_of(hash, width, height);
        let bytes = std::fs::read(path).ok()?;
        image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
            .ok()
            .map(|image| image.to_rgb8())
    }

    /// Stores `pixels` whole or not at all (written beside, then renamed),
    /// so a crash never leaves half a thumbnail to be read back.
    pub fn store(
        &self,
        hash: &str,
        width: u32,
        height: u32,
        pixels: &RgbImage,
    ) -> std::io::Result<()> {
        let path = self.path_of(hash, width, height);
        let dir = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(dir)?;
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut file, &super::encode::png(pixels))?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_picture_comes_back_by_hash_and_size() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = ThumbnailCache::new(dir.path().join("thumbs"));
        let original = dir.path().join("a.png");
        std::fs::write(&original, b"not really a png").unwrap();
        let hash = cache.hash(&original).unwrap();
        assert_eq!(hash.len(), 64);
        assert_eq!(cache.hash(&original).unwrap(), hash);

        let pixels = RgbImage::from_fn(12, 8, |x, y| image::Rgb([x as u8 * 20, y as u8 * 30, 7]));
        assert!(cache.load(&hash, 12, 8).is_none());
        cache.store(&hash, 12, 8, &pixels).unwrap();
        assert_eq!(cache.load(&hash, 12, 8).unwrap(), pixels);
        assert!(
            cache.load(&hash, 24, 16).is_none(),
            "another size is another entry"
        );

        // A changed file is hashed again.
        std::fs::write(&original, b"another picture altogether").unwrap();
        assert_ne!(cache.hash(&original).unwrap(), hash);

        // A damaged entry reads as missing.
        let entry = cache.path_of(&hash, 12, 8);
        std::fs::write(&entry, b"garbage").unwrap();
        assert!(cache.load(&hash, 12, 8).is_none());
    }
}
