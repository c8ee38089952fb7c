//! Images going out and coming in: input files, MIME types, base64, format
//! sniffing, and fetching output links (the key stays on the API's host).

use base64::Engine as _;

use super::{Connection, bad_response, read};
use crate::catalog::InputImage;
use crate::providers::{Charged, ErrorClass, ProviderError};
use crate::text::strip_controls;

/// The MIME type of an input image format, as probed (`png`, `jpeg`, `webp`, `gif`).
pub fn mime_type(format: &str) -> &'static str {
    match format {
        "png" => "image/png",
        "jpeg" | "jpg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        _ => "application/octet-stream",
    }
}

/// Reads an input image for upload; a file that went missing since it was
/// validated is the user's to fix, and nothing was sent.
pub async fn read_input(image: &InputImage) -> Result<Vec<u8>, ProviderError> {
    tokio::fs::read(&image.path).await.map_err(|e| {
        ProviderError::new(
            ErrorClass::InvalidRequest,
            strip_controls(
                &format!("cannot read the input image {}: {e}", image.path.display()),
                true,
            ),
        )
    })
}

/// Decodes a base64 image field.
pub fn decode_base64(text: &str, what: &str) -> Result<Vec<u8>, ProviderError> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| bad_response(format!("{what} is not valid base64: {e}")))
}

pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The image format of `bytes` (`png`, `jpeg`, `webp`), or a bad response.
pub fn image_format(bytes: &[u8], what: &str) -> Result<String, ProviderError> {
    let format = image::guess_format(bytes)
        .map_err(|_| bad_response(format!("{what} is not an image tintype can read")))?;
    let ext = format.extensions_str().first().copied().unwrap_or("bin");
    Ok(if ext == "jpg" {
        "jpeg".into()
    } else {
        ext.into()
    })
}

/// Fetches an output image at once (provider links expire). The key goes
/// along only to the API's own host.
pub async fn download(
    conn: &Connection,
    url: &str,
    auth_header: Option<(&str, String)>,
) -> Result<Vec<u8>, ProviderError> {
    let mut request = conn.client.get(url);
    if let Some((name, value)) = auth_header.filter(|_| conn.same_host(url)) {
        request = request.header(name, value);
    }
    let response = request.send().await.map_err(|e| {
        ProviderError::new(
            ErrorClass::OutputLost,
            format!(
                "cannot fetch the output image: {}",
                strip_controls(&e.to_string(), true)
            ),
        )
    })?;
    let body = read(response, conn.limits.max_body_bytes, false)
        .await
        .map_err(|mut e| {
            e.class = ErrorClass::OutputLost;
            e.charged = Charged::Yes;
            e
        })?;
    if !body.status.is_success() {
        return Err(ProviderError::new(
            ErrorClass::OutputLost,
            format!(
                "the output link answered {} (expired, or not ours)",
                body.status
            ),
        )
        .with_status(body.status.as_u16()));
    }
    Ok(body.bytes)
}

#[cfg(test)]
mod tests {
    use super::super::Limits;
    use super::*;
    use crate::config::ApiKey;
    use wiremock::matchers::{header, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn connection(server: &MockServer) -> Connection {
        let limits = Limits {
            max_body_bytes: 1024,
            ..Limits::default()
        };
        Connection::new(&server.uri(), ApiKey::new("sk-test-key-0123456789"), limits).unwrap()
    }

    #[test]
    fn input_formats_have_their_mime_types() {
        assert_eq!(mime_type("jpeg"), "image/jpeg");
        assert_eq!(mime_type("webp"), "image/webp");
        assert_eq!(mime_type("png"), "image/png");
        assert_eq!(mime_type("tiff"), "application/octet-stream");
        assert_eq!(super::super::byte_size(612), "612 bytes");
        assert_eq!(super::super::byte_size(62_914_560), "62 MB");
    }

    #[test]
    fn base64_and_formats_are_checked() {
        assert!(
            decode_base64("not base64!!", "b64_json")
                .unwrap_err()
                .message
                .contains("not valid base64")
        );
        let png = encode_base64(b"\x89PNG\r\n\x1a\n0000");
        assert_eq!(
            image_format(&decode_base64(&png, "x").unwrap(), "x").unwrap(),
            "png"
        );
        assert_eq!(
            image_format(b"string", "b64_json").unwrap_err().class,
            ErrorClass::BadResponse
        );
    }

    #[tokio::test]
    async fn downloads_keep_keys_at_home_and_report_expired_links() {
        let api = MockServer::start().await;
        let elsewhere = MockServer::start().await;
        Mock::given(path("/out.png"))
            .and(header("authorization", "Bearer sk-test-key-0123456789"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(b"home".to_vec()))
            .mount(&api)
            .await;
        Mock::given(path("/out.png"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(b"cdn".to_vec()))
            .mount(&elsewhere)
            .await;
        Mock::given(path("/expired.png"))
            .respond_with(ResponseTemplate::new(403))
            .mount(&elsewhere)
            .await;
        let conn = connection(&api);
        let auth = || Some(("authorization", format!("Bearer {}", conn.key.expose())));
        assert_eq!(
            download(&conn, &format!("{}/out.png", api.uri()), auth())
                .await
                .unwrap(),
            b"home"
        );
        assert_eq!(
            download(&conn, &format!("{}/out.png", elsewhere.uri()), auth())
                .await
                .unwrap(),
            b"cdn"
        );
        let requests = elsewhere.received_requests().await.unwrap();
        assert!(
            requests
                .iter()
                .all(|r| !r.headers.contains_key("authorization")),
            "the key stayed home"
        );
        let expired = download(&conn, &format!("{}/expired.png", elsewhere.uri()), auth())
            .await
            .unwrap_err();
        assert_eq!(expired.class, ErrorClass::OutputLost);
        assert_eq!(expired.charged, crate::providers::Charged::Yes);
        assert!(expired.message.contains("403"));
    }
}
