//! Rows for the store tests: a stamp at a given time and day, and a request
//! of a given model and prompt split into calls.

use tintype::money::Micros;
use tintype::store::{NewRequest, Stamp};

pub fn at(ms: i64, day: &str) -> Stamp {
    Stamp {
        ms,
        day: day.into(),
    }
}

pub fn request(model: &str, prompt: &str, calls: &[u32]) -> NewRequest {
    NewRequest {
        model: model.into(),
        provider: model.split('/').next().unwrap().into(),
        operation: "generate".into(),
        prompt: prompt.into(),
        negative_prompt: None,
        params_json: "{}".into(),
        seed: None,
        inputs_json: "[]".into(),
        request_hash: format!("hash-{prompt}"),
        estimated: Micros(40_000 * i64::from(calls.iter().sum::<u32>())),
        estimate_rule: "test rule".into(),
        calls: calls.to_vec(),
        batch_id: None,
        preset: None,
        owner: None,
    }
}
