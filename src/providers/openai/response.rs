//! What `OpenAI`'s image endpoints answer (NOTES.md 1.4): `ImagesResponse`
//! with base64 images or links, DALL·E 3's revised prompts and the token
//! usage of GPT image models.

use serde::Deserialize;

use crate::catalog::Usage;
use crate::providers::http::{self, Body, Connection};
use crate::providers::{EncodedImage, ErrorClass, ProviderError};
use crate::text::strip_controls;

#[derive(Debug, Deserialize)]
struct ImagesResponse {
    #[serde(default)]
    data: Option<Vec<ImageData>>,
    #[serde(default)]
    usage: Option<TokenUsage>,
}

#[derive(Debug, Deserialize)]
struct ImageData {
    #[serde(default)]
    b64_json: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    revised_prompt: Option<String>,
}

/// `ImageGenUsage` (JSON answers) and `ImagesUsage` (stream events): the
/// same counts, the latter without `output_tokens_details`.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub(super) struct TokenUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    input_tokens_details: Option<TokenDetails>,
    #[serde(default)]
    output_tokens_details: Option<TokenDetails>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
struct TokenDetails {
    #[serde(default)]
    text_tokens: Option<u64>,
    #[serde(default)]
    image_tokens: Option<u64>,
}

impl TokenUsage {
    /// The counts the price rule needs. Without a breakdown, all input is
    /// taken as text and all output as image, the way the API bills them.
    pub(super) fn to_usage(self) -> Usage {
        let input = self.input_tokens_details.unwrap_or_default();
        let output = self.output_tokens_details.unwrap_or_default();
        let (text_input, image_input) = match (input.text_tokens, input.image_tokens) {
            (None, None) => (self.input_tokens.unwrap_or(0), 0),
            (text, image) => (text.unwrap_or(0), image.unwrap_or(0)),
        };
        Usage::Tokens {
            text_input,
            image_input,
            text_output: output.text_tokens.unwrap_or(0),
            image_output: output.image_tokens.or(self.output_tokens).unwrap_or(0),
        }
    }

    /// Two events' counts together.
    pub(super) fn add(self, other: TokenUsage) -> TokenUsage {
        let sum = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        };
        let details = |a: Option<TokenDetails>, b: Option<TokenDetails>| match (a, b) {
            (None, None) => None,
            (a, b) => {
                let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
                Some(TokenDetails {
                    text_tokens: sum(a.text_tokens, b.text_tokens),
                    image_tokens: sum(a.image_tokens, b.image_tokens),
                })
            }
        };
        TokenUsage {
            input_tokens: sum(self.input_tokens, other.input_tokens),
            output_tokens: sum(self.output_tokens, other.output_tokens),
            input_tokens_details: details(self.input_tokens_details, other.input_tokens_details),
            output_tokens_details: details(self.output_tokens_details, other.output_tokens_details),
        }
    }
}

/// The images and usage of a JSON answer. Links are fetched at once: they
/// expire, and a lost image was still billed.
pub(super) async fn images(
    conn: &Connection,
    body: &Body,
    seed: Option<u64>,
) -> Result<(Vec<EncodedImage>, Option<Usage>), ProviderError> {
    let answer: ImagesResponse = body.json("the image answer").map_err(|error| {
        let kind = body.content_type();
        if kind.contains("json") || kind.is_empty() {
            error
        } else {
            bad_response(format!(
                "the image answer came as {}, not JSON ({} bytes)",
                strip_controls(&kind, true),
                body.bytes.len()
            ))
        }
    })?;
    let data = answer.data.unwrap_or_default();
    if data.is_empty() {
        return Err(bad_response(
            "the answer held no images (an empty `data` list)".to_string(),
        ));
    }
    let mut images = Vec::with_capacity(data.len());
    for (index, item) in data.into_iter().enumerate() {
        let bytes = image_bytes(conn, &item, index).await?;
        let format = http::image_format(&bytes, &format!("image {} of the answer", index + 1))?;
        images.push(EncodedImage {
            bytes,
            format,
            seed,
            revised_prompt: item
                .revised_prompt
                .map(|text| strip_controls(&text, true))
                .filter(|text| !text.trim().is_empty()),
        });
    }
    Ok((images, answer.usage.map(TokenUsage::to_usage)))
}

/// Decodes a base64 image and finds its format; `what` names it in errors.
pub(super) fn decode_image(b64: &str, what: &str) -> Result<EncodedImage, ProviderError> {
    let bytes = http::decode_base64(b64, what)?;
    let format = http::image_format(&bytes, what)?;
    Ok(EncodedImage {
        bytes,
        format,
        seed: None,
        revised_prompt: None,
    })
}

async fn image_bytes(
    conn: &Connection,
    item: &ImageData,
    index: usize,
) -> Result<Vec<u8>, ProviderError> {
    let what = format!("b64_json of image {}", index + 1);
    if let Some(b64) = item.b64_json.as_deref() {
        return http::decode_base64(b64, &what);
    }
    match item.url.as_deref() {
        // Some OpenAI-compatible servers inline the image as a data URL.
        Some(url) if url.starts_with("data:") => {
            let b64 = url.split_once(";base64,").map_or("", |(_, data)| data);
            http::decode_base64(b64, &format!("the data URL of image {}", index + 1))
        }
        Some(url) => {
            let auth = ("authorization", format!("Bearer {}", conn.key.expose()));
            http::download(conn, url, Some(auth)).await
        }
        None => Err(bad_response(format!(
            "image {} of the answer has neither b64_json nor url",
            index + 1
        ))),
    }
}

fn bad_response(message: String) -> ProviderError {
    ProviderError::new(ErrorClass::BadResponse, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(json: &str) -> Usage {
        serde_json::from_str::<TokenUsage>(json).unwrap().to_usage()
    }

    #[test]
    fn token_usage_takes_the_breakdown_when_given() {
        assert_eq!(
            usage(
                r#"{"input_tokens":50,"output_tokens":4200,"total_tokens":4250,
                    "input_tokens_details":{"text_tokens":40,"image_tokens":10},
                    "output_tokens_details":{"text_tokens":40,"image_tokens":4160}}"#
            ),
            Usage::Tokens {
                text_input: 40,
                image_input: 10,
                text_output: 40,
                image_output: 4160
            }
        );
        assert_eq!(
            usage(r#"{"input_tokens":12,"output_tokens":272,"total_tokens":284}"#),
            Usage::Tokens {
                text_input: 12,
                image_input: 0,
                text_output: 0,
                image_output: 272
            }
        );
    }

    #[test]
    fn usages_add_up_field_by_field() {
        let one: TokenUsage = serde_json::from_str(
            r#"{"input_tokens":10,"output_tokens":100,"input_tokens_details":{"text_tokens":10,"image_tokens":0}}"#,
        )
        .unwrap();
        assert_eq!(
            one.add(one).to_usage(),
            Usage::Tokens {
                text_input: 20,
                image_input: 0,
                text_output: 0,
                image_output: 200
            }
        );
    }

    #[test]
    fn undecodable_images_are_bad_responses() {
        let not_base64 = decode_image("%%%", "b64_json").unwrap_err();
        assert_eq!(not_base64.class, ErrorClass::BadResponse);
        let not_image = decode_image(&http::encode_base64(b"hello"), "b64_json").unwrap_err();
        assert_eq!(not_image.class, ErrorClass::BadResponse);
        assert!(
            not_image.message.contains("not an image"),
            "{}",
            not_image.message
        );
    }
}
