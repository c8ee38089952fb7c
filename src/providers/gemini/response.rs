//! Reading a `GenerateContentResponse` (NOTES.md 4.2,
//! `gemini/proto/generative_service.proto:591`): images from `inlineData`
//! parts, the model's words from text parts, token usage from
//! `usageMetadata`, and refusals from `promptFeedback` or `finishReason`.

use serde::Deserialize;

use crate::catalog::Usage;
use crate::providers::http::{self, Body};
use crate::providers::{Charged, EncodedImage, ErrorClass, ProviderError};
use crate::text::{strip_controls, truncate};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateContentResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    usage_metadata: Option<UsageMetadata>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part {
    #[serde(default)]
    text: Option<String>,
    #[serde(default, alias = "inline_data")]
    inline_data: Option<Blob>,
    /// A thinking model's draft, not part of the answer.
    #[serde(default)]
    thought: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Blob {
    #[serde(default, alias = "mime_type")]
    mime_type: String,
    #[serde(default)]
    data: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u64,
    #[serde(default)]
    candidates_token_count: u64,
    #[serde(default)]
    thoughts_token_count: u64,
    #[serde(default)]
    prompt_tokens_details: Vec<ModalityTokenCount>,
    #[serde(default)]
    candidates_tokens_details: Vec<ModalityTokenCount>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModalityTokenCount {
    #[serde(default)]
    modality: String,
    #[serde(default)]
    token_count: u64,
}

/// What a successful answer holds.
#[derive(Debug)]
pub struct Answer {
    /// The finished images; the first carries the model's commentary.
    pub images: Vec<EncodedImage>,
    /// Drafts a thinking model showed before its answer.
    pub drafts: Vec<EncodedImage>,
    /// The model's words beside the image, made safe to print.
    pub commentary: Option<String>,
    pub usage: Option<Usage>,
}

/// Finish reasons that mean the output was refused on content grounds.
const REFUSALS: [&str; 8] = [
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "SAFETY",
    "PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "IMAGE_RECITATION",
    "RECITATION",
];

/// The images, words and usage in a 200 answer, or why there is no image.
pub fn read(body: &Body) -> Result<Answer, ProviderError> {
    let answer: GenerateContentResponse = body.json("Gemini's answer")?;
    let usage = answer.usage_metadata.as_ref().map(usage);
    let Some(candidate) = answer.candidates.into_iter().next() else {
        return Err(no_candidates(answer.prompt_feedback));
    };
    let reason = candidate.finish_reason.unwrap_or_default();
    let parts = candidate.content.map(|c| c.parts).unwrap_or_default();
    let mut images = Vec::new();
    let mut drafts = Vec::new();
    let mut words = Vec::new();
    for part in parts {
        match (part.inline_data, part.text) {
            (Some(blob), _) if part.thought => {
                // A broken draft costs nothing worth failing the call over.
                if let Ok(draft) = decode(&blob) {
                    drafts.push(draft);
                }
            }
            (Some(blob), _) if is_image(&blob) => images.push(decode(&blob)?),
            (None, Some(text)) if !part.thought => words.push(text),
            _ => {}
        }
    }
    let commentary = Some(strip_controls(words.join("\n").trim(), false)).filter(|t| !t.is_empty());
    if images.is_empty() {
        return Err(no_image(&reason, commentary.as_deref()));
    }
    if let Some(first) = images.first_mut() {
        first.revised_prompt.clone_from(&commentary);
    }
    Ok(Answer {
        images,
        drafts,
        commentary,
        usage,
    })
}

/// Token counts by modality. Without details, prompt tokens count as text
/// and output tokens as image; thinking is billed as text output.
fn usage(meta: &UsageMetadata) -> Usage {
    let by_modality = |details: &[ModalityTokenCount], wanted: &str| -> u64 {
        details
            .iter()
            .filter(|d| d.modality.eq_ignore_ascii_case(wanted))
            .map(|d| d.token_count)
            .sum()
    };
    let (text_input, image_input) = if meta.prompt_tokens_details.is_empty() {
        (meta.prompt_token_count, 0)
    } else {
        let image = by_modality(&meta.prompt_tokens_details, "IMAGE");
        let all: u64 = meta
            .prompt_tokens_details
            .iter()
            .map(|d| d.token_count)
            .sum();
        // Audio, video or documents in the prompt are billed at the input rate.
        (all.saturating_sub(image), image)
    };
    let (text_output, image_output) = if meta.candidates_tokens_details.is_empty() {
        (0, meta.candidates_token_count)
    } else {
        (
            by_modality(&meta.candidates_tokens_details, "TEXT"),
            by_modality(&meta.candidates_tokens_details, "IMAGE"),
        )
    };
    Usage::Tokens {
        text_input,
        image_input,
        text_output: text_output + meta.thoughts_token_count,
        image_output,
    }
}

fn is_image(blob: &Blob) -> bool {
    blob.mime_type.is_empty() || blob.mime_type.to_ascii_lowercase().starts_with("image/")
}

fn decode(blob: &Blob) -> Result<EncodedImage, ProviderError> {
    let bytes = http::decode_base64(&blob.data, "Gemini's inlineData image")?;
    let format = http::image_format(&bytes, "Gemini's inlineData image")?;
    Ok(EncodedImage {
        bytes,
        format,
        seed: None,
        revised_prompt: None,
    })
}

/// No candidates: the prompt was blocked before anything was generated, or
/// the answer is missing its substance.
fn no_candidates(feedback: Option<PromptFeedback>) -> ProviderError {
    match feedback
        .and_then(|f| f.block_reason)
        .filter(|r| !r.is_empty())
    {
        Some(reason) => ProviderError::new(
            ErrorClass::Moderation,
            format!(
                "Gemini blocked the prompt (blockReason {})",
                strip_controls(&reason, true)
            ),
        ),
        None => ProviderError::new(
            ErrorClass::BadResponse,
            "Gemini answered with no candidates and no reason",
        ),
    }
}

/// A candidate without an image: refused on content grounds, or the model
/// chose not to draw. Either way the tokens may already be billed.
fn no_image(reason: &str, commentary: Option<&str>) -> ProviderError {
    let reason = strip_controls(reason, true);
    let said = commentary.map_or_else(String::new, |text| {
        format!("; it said: {}", truncate(&strip_controls(text, true), 300))
    });
    let shown = if reason.is_empty() {
        "no finishReason".to_string()
    } else {
        format!("finishReason {reason}")
    };
    let mut error = if REFUSALS.contains(&reason.as_str()) {
        ProviderError::new(
            ErrorClass::Moderation,
            format!("Gemini refused to make the image ({shown}){said}"),
        )
    } else {
        ProviderError::new(
            ErrorClass::InvalidRequest,
            format!("Gemini returned no image ({shown}){said}; ask for an image more explicitly"),
        )
    };
    error.charged = Charged::Maybe;
    error
}
