//! Queueing a request: it and its jobs are written to the store, each with
//! its seed, before anything is sent.

use super::identity::request_hash;
use crate::catalog::{Cost, ValidRequest};
use crate::store::{JobId, NewRequest, RequestId, Stamp, Store, StoreError};

/// A request written to the store, with its jobs and their image counts.
#[derive(Clone, Debug)]
pub struct Queued {
    pub request_id: RequestId,
    pub jobs: Vec<(JobId, u32)>,
    /// The first seed of each call, when the model takes seeds.
    pub seeds: Vec<Option<u64>>,
}

/// Writes the request and its queued jobs before anything is sent. Models
/// that take a seed get one now (random unless given), so every image can be
/// made again.
pub fn queue(
    store: &mut Store,
    request: &ValidRequest,
    estimate: &Cost,
    preset: Option<&str>,
    batch: Option<RequestId>,
    owner: &str,
    at: &Stamp,
) -> Result<Queued, StoreError> {
    // Seeds are drawn and advanced within the model's own range (Stability
    // stops at 4294967294, Replicate at 2^31-1).
    let seed_span = request.seed_span();
    let base_seed = seed_span.map(|span| request.seed().unwrap_or_else(|| fastrand::u64(..span)));
    let new = NewRequest {
        model: request.model.id.clone(),
        provider: request.model.provider.clone(),
        operation: request.operation.clone(),
        prompt: request.prompt.clone(),
        negative_prompt: request.negative_prompt().map(str::to_string),
        params_json: serde_json::to_string(&request.params)?,
        seed: base_seed.and_then(|s| i64::try_from(s).ok()),
        inputs_json: serde_json::to_string(
            &request.inputs.iter().map(|i| &i.path).collect::<Vec<_>>(),
        )?,
        request_hash: request_hash(request),
        estimated: estimate.micros,
        estimate_rule: estimate.rule.clone(),
        calls: request.calls.clone(),
        batch_id: batch,
        preset: preset.map(str::to_string),
        owner: Some(owner.to_string()),
    };
    let (request_id, jobs) = store.insert_request(&new, at)?;
    let mut before = 0u64;
    let seeds = request
        .calls
        .iter()
        .map(|n| {
            let seed = base_seed
                .zip(seed_span)
                .map(|(s, span)| (s + before) % span);
            before += u64::from(*n);
            seed
        })
        .collect();
    Ok(Queued {
        request_id,
        jobs: jobs
            .into_iter()
            .zip(request.calls.iter().copied())
            .collect(),
        seeds,
    })
}
