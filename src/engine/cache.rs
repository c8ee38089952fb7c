//! Identical requests: before paying for a request again, look for an
//! earlier one with the same identity (model, operation, normalized prompt,
//! parameters, explicit seed, inputs) whose images are all still on disk,
//! unchanged, and offer those.

use super::identity::request_hash;
use super::output::hex_sha256;
use crate::catalog::ValidRequest;
use crate::store::{Earlier, SharedStore, StoreError};

/// The newest earlier request identical to `request` that made at least as
/// many images, all of them still intact; its first `request.n` images.
pub async fn identical(
    store: &SharedStore,
    request: &ValidRequest,
) -> Result<Option<Earlier>, StoreError> {
    let hash = request_hash(request);
    let n = request.n;
    let candidates = store
        .run(move |s| s.identical_requests(&hash, n, 5))
        .await?;
    let intact = tokio::task::spawn_blocking(move || {
        candidates.into_iter().find_map(|mut earlier| {
            earlier.images.truncate(n as usize);
            earlier
                .images
                .iter()
                .all(|image| {
                    std::fs::read(&image.path).is_ok_and(|bytes| hex_sha256(&bytes) == image.sha256)
                })
                .then_some(earlier)
        })
    })
    .await
    .unwrap_or(None);
    Ok(intact)
}
