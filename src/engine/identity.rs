//! A request's identity, so an identical earlier request can be found and its
//! images offered instead of paying again.

use serde_json::json;

use super::output::hex_sha256;
use crate::catalog::ValidRequest;

fn normalized(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// sha256 over the model, operation, whitespace-normalized prompt, the
/// effective parameters (given or default, so spelling out a default changes
/// nothing; an explicit seed among them) and the input files' contents. The
/// image count is left out: it says how many, not which.
pub fn request_hash(request: &ValidRequest) -> String {
    let params = request.effective_params();
    let file_hash = |path: &std::path::Path| {
        std::fs::read(path).map_or_else(|_| "unreadable".to_string(), |b| hex_sha256(&b))
    };
    let inputs: Vec<String> = request.inputs.iter().map(|i| file_hash(&i.path)).collect();
    let identity = json!({
        "model": request.model.id,
        "operation": request.operation,
        "prompt": normalized(&request.prompt),
        "params": params,
        "inputs": inputs,
        "mask": request.mask.as_ref().map(|m| file_hash(&m.path)),
    });
    hex_sha256(identity.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, Draft, text_params};

    fn hash(prompt: &str, params: &[(&str, &str)]) -> String {
        let draft = Draft {
            model: "sandbox/procedural".into(),
            prompt: Some(prompt.into()),
            params: text_params(params),
            split: true,
            ..Draft::default()
        };
        request_hash(&Catalog::embedded().unwrap().validate(&draft).unwrap())
    }

    #[test]
    fn identical_requests_share_a_hash() {
        assert_eq!(hash("a  neon\tcat ", &[]), hash("a neon cat", &[]));
        assert_eq!(
            hash("a neon cat", &[("n", "4")]),
            hash("a neon cat", &[("n", "1")])
        );
        assert_eq!(hash("x", &[("seed", "7")]), hash("x", &[("seed", "7")]));
        assert_ne!(hash("x", &[("seed", "7")]), hash("x", &[("seed", "8")]));
        assert_ne!(hash("x", &[("size", "64x64")]), hash("x", &[]));
        assert_eq!(
            hash("x", &[("size", "1024x1024")]),
            hash("x", &[]),
            "a spelled-out default"
        );
        assert_ne!(hash("a neon cat", &[]), hash("A neon cat", &[]));
    }
}
