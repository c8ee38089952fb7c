//! The gallery's state: the images of the selected job's request or batch,
//! the selection, the mark filter, and the review marks (applied here at
//! once, written to the store by an effect).

use crate::store::{ImageId, ImageRow, Mark, RequestId};

/// Whose images the gallery shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GallerySource {
    Request(RequestId),
    Batch(RequestId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MarkFilter {
    #[default]
    All,
    Kept,
    Rejected,
    Starred,
    Unmarked,
}

impl MarkFilter {
    #[must_use]
    pub fn next(self) -> MarkFilter {
        match self {
            MarkFilter::All => MarkFilter::Kept,
            MarkFilter::Kept => MarkFilter::Rejected,
            MarkFilter::Rejected => MarkFilter::Starred,
            MarkFilter::Starred => MarkFilter::Unmarked,
            MarkFilter::Unmarked => MarkFilter::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MarkFilter::All => "all",
            MarkFilter::Kept => "kept",
            MarkFilter::Rejected => "rejected",
            MarkFilter::Starred => "starred",
            MarkFilter::Unmarked => "unmarked",
        }
    }

    pub fn admits(self, image: &ImageRow) -> bool {
        match self {
            MarkFilter::All => true,
            MarkFilter::Kept => image.mark == Mark::Keep,
            MarkFilter::Rejected => image.mark == Mark::Reject,
            MarkFilter::Starred => image.starred,
            MarkFilter::Unmarked => image.mark == Mark::None && !image.starred,
        }
    }
}

/// A change to one image's review marks, for the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Review {
    Mark(ImageId, Mark),
    Star(ImageId, bool),
    Rate(ImageId, Option<u8>),
}

#[derive(Clone, Debug, Default)]
pub struct Gallery {
    pub source: Option<GallerySource>,
    images: Vec<ImageRow>,
    pub filter: MarkFilter,
    /// Index into the filtered list.
    pub selected: usize,
    /// Thumbnails per grid row, set by the view from its width.
    pub columns: std::cell::Cell<usize>,
}

impl Gallery {
    /// Replaces the images when they are for the current source; keeps the
    /// selection on the same image where it still is there.
    pub fn set_images(&mut self, source: GallerySource, images: Vec<ImageRow>) {
        if self.source != Some(source) {
            return;
        }
        let current = self.selected_image().map(|i| i.id);
        self.images = images;
        if let Some(at) = current.and_then(|id| self.visible().position(|i| i.id == id)) {
            self.selected = at;
        }
        self.clamp();
    }

    /// Shows another source; returns whether it changed (and needs loading).
    pub fn show(&mut self, source: Option<GallerySource>) -> bool {
        if self.source == source {
            return false;
        }
        self.source = source;
        self.images.clear();
        self.selected = 0;
        true
    }

    pub fn all(&self) -> &[ImageRow] {
        &self.images
    }

    pub fn visible(&self) -> impl Iterator<Item = &ImageRow> {
        self.images.iter().filter(|i| self.filter.admits(i))
    }

    pub fn visible_count(&self) -> usize {
        self.visible().count()
    }

    pub fn selected_image(&self) -> Option<&ImageRow> {
        self.visible().nth(self.selected)
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.visible_count().saturating_sub(1));
    }

    pub fn cycle_filter(&mut self) {
        self.filter = self.filter.next();
        self.selected = 0;
    }

    /// Moves in the grid: `dx` along a row, `dy` across rows.
    pub fn step(&mut self, dx: isize, dy: isize) {
        let count = self.visible_count();
        if count == 0 {
            return;
        }
        let columns = self.columns.get().max(1) as isize;
        let at = self.selected as isize + dx + dy * columns;
        self.selected = at.clamp(0, count as isize - 1) as usize;
    }

    pub fn select(&mut self, at: usize) {
        self.selected = at;
        self.clamp();
    }

    /// Applies a review key to the selected image; returns the change to store.
    pub fn review(&mut self, change: ReviewKey) -> Vec<Review> {
        let Some(id) = self.selected_image().map(|i| i.id) else {
            return Vec::new();
        };
        let Some(image) = self.images.iter_mut().find(|i| i.id == id) else {
            return Vec::new();
        };
        let review = match change {
            ReviewKey::Keep => {
                image.mark = if image.mark == Mark::Keep {
                    Mark::None
                } else {
                    Mark::Keep
                };
                vec![Review::Mark(id, image.mark)]
            }
            ReviewKey::Reject => {
                image.mark = if image.mark == Mark::Reject {
                    Mark::None
                } else {
                    Mark::Reject
                };
                vec![Review::Mark(id, image.mark)]
            }
            ReviewKey::Star => {
                image.starred = !image.starred;
                vec![Review::Star(id, image.starred)]
            }
            ReviewKey::Rate(rating) => {
                image.rating = rating.filter(|r| (1..=5).contains(r));
                vec![Review::Rate(id, image.rating)]
            }
            ReviewKey::Best => {
                image.starred = true;
                image.mark = Mark::Keep;
                vec![Review::Star(id, true), Review::Mark(id, Mark::Keep)]
            }
        };
        // A mark may take the image out of the filtered view.
        self.clamp();
        review
    }

    /// The kept images, in gallery order, for export.
    pub fn kept(&self) -> Vec<&ImageRow> {
        self.images
            .iter()
            .filter(|i| i.mark == Mark::Keep)
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewKey {
    Keep,
    Reject,
    Star,
    Rate(Option<u8>),
    /// Star and keep: the best of a comparison.
    Best,
}
