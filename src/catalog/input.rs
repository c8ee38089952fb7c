//! Input images: reading what validation needs from a file's header, and the
//! checks an operation's input rules ask for.

use std::path::Path;

use image::{ImageDecoder, ImageReader};

use super::request::{InputImage, ParamError};
use super::size::Size;
use super::spec::{MaskSpec, Model, Operation};
use super::value::one_of_list;

/// Reads format, dimensions and alpha from the header, without decoding pixels.
pub fn probe(path: &Path) -> Result<InputImage, String> {
    let shown = path.display();
    let bytes = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {shown}: {e}"))?
        .len();
    let reader = ImageReader::open(path)
        .and_then(ImageReader::with_guessed_format)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    let format = reader
        .format()
        .and_then(|f| f.extensions_str().first().copied())
        .map(|ext| if ext == "jpg" { "jpeg" } else { ext })
        .ok_or_else(|| format!("{shown} is not an image tintype can read (png, jpeg or webp)"))?
        .to_string();
    let decoder = reader
        .into_decoder()
        .map_err(|e| format!("{shown} is not a readable {format} image: {e}"))?;
    let (width, height) = decoder.dimensions();
    Ok(InputImage {
        path: path.to_path_buf(),
        format,
        width,
        height,
        bytes,
        has_alpha: decoder.color_type().has_alpha(),
    })
}

pub fn check_inputs(
    model: &Model,
    op_name: &str,
    op: &Operation,
    inputs: &[InputImage],
    mask: Option<&InputImage>,
    errors: &mut Vec<ParamError>,
) {
    let who = format!("{} {op_name}", model.id);
    match &op.inputs {
        None if !inputs.is_empty() => {
            errors.push(ParamError::new(
                "image",
                format!("{who} takes no input image"),
            ));
        }
        None => {}
        Some(rules) => {
            let count = u32::try_from(inputs.len()).unwrap_or(u32::MAX);
            if count < rules.min {
                let many = if rules.min == 1 {
                    "an input image".to_string()
                } else {
                    format!("at least {} input images", rules.min)
                };
                errors.push(ParamError::new(
                    "image",
                    format!("{who} needs {many} (--image PATH)"),
                ));
            } else if count > rules.max {
                errors.push(ParamError::new(
                    "image",
                    format!(
                        "{who} takes at most {} input images; {count} were given",
                        rules.max
                    ),
                ));
            }
            for input in inputs {
                check_one(&who, input, rules, errors);
            }
        }
    }
    match (&op.mask, mask) {
        (None, Some(_)) => errors.push(ParamError::new("mask", format!("{who} takes no mask"))),
        (Some(spec), None) if spec.required => {
            errors.push(ParamError::new(
                "mask",
                format!("{who} needs a mask (--mask PATH)"),
            ));
        }
        (Some(spec), Some(mask)) => check_mask(&who, spec, mask, inputs.first(), errors),
        _ => {}
    }
}

fn check_one(
    who: &str,
    input: &InputImage,
    rules: &super::spec::InputSpec,
    errors: &mut Vec<ParamError>,
) {
    let name = input.name();
    let mut fail = |message: String| errors.push(ParamError::new("image", message));
    if !rules.formats.iter().any(|f| f == &input.format) {
        fail(format!(
            "{name} is {}; {who} takes {}",
            input.format,
            one_of_list(&rules.formats)
        ));
    }
    if let Some(max) = rules.max_bytes
        && input.bytes > max
    {
        fail(format!(
            "{name} is {} bytes; {who} takes images up to {max} bytes",
            input.bytes
        ));
    }
    let size = Size {
        width: input.width,
        height: input.height,
    };
    if rules.square && !size.is_square() {
        fail(format!("{name} is {size}; {who} takes square images only"));
    }
    if let Some(min) = rules.min_side
        && size.width.min(size.height) < min
    {
        fail(format!(
            "{name} is {size}; {who} needs at least {min} pixels per side"
        ));
    }
    if let Some(max) = rules.max_side
        && size.width.max(size.height) > max
    {
        fail(format!(
            "{name} is {size}; {who} takes at most {max} pixels per side"
        ));
    }
    if let Some(min) = rules.min_pixels
        && size.pixels() < min
    {
        fail(format!(
            "{name} has {} pixels; {who} needs at least {min}",
            size.pixels()
        ));
    }
    if let Some(max) = rules.max_pixels
        && size.pixels() > max
    {
        fail(format!(
            "{name} has {} pixels; {who} takes at most {max}",
            size.pixels()
        ));
    }
    if let Some(max) = rules.max_aspect
        && size.ratio() > max + 1e-9
    {
        fail(format!(
            "{name} is {size}; {who} takes aspect ratios up to {max}:1"
        ));
    }
}

fn check_mask(
    who: &str,
    spec: &MaskSpec,
    mask: &InputImage,
    first: Option<&InputImage>,
    errors: &mut Vec<ParamError>,
) {
    let name = mask.name();
    let mut fail = |message: String| errors.push(ParamError::new("mask", message));
    if !spec.formats.iter().any(|f| f == &mask.format) {
        fail(format!(
            "the mask {name} is {}; {who} takes a {} mask",
            mask.format,
            one_of_list(&spec.formats)
        ));
    }
    if let Some(max) = spec.max_bytes
        && mask.bytes > max
    {
        fail(format!(
            "the mask {name} is {} bytes; {who} takes masks up to {max} bytes",
            mask.bytes
        ));
    }
    if spec.needs_alpha && !mask.has_alpha {
        fail(format!(
            "the mask {name} has no alpha channel; its transparent pixels mark what {who} changes"
        ));
    }
    if spec.same_size
        && let Some(image) = first
        && (image.width, image.height) != (mask.width, mask.height)
    {
        fail(format!(
            "the mask {name} is {}x{} but {} is {}x{}; they must be the same size",
            mask.width,
            mask.height,
            image.name(),
            image.width,
            image.height
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_reads_header_facts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mask.png");
        image::RgbaImage::new(40, 30).save(&path).unwrap();
        let probed = probe(&path).unwrap();
        assert_eq!(
            (probed.format.as_str(), probed.width, probed.height),
            ("png", 40, 30)
        );
        assert!(probed.has_alpha);
        assert!(probed.bytes > 0);

        let jpeg = dir.path().join("photo.jpg");
        image::RgbImage::new(8, 8).save(&jpeg).unwrap();
        let probed = probe(&jpeg).unwrap();
        assert_eq!(probed.format, "jpeg");
        assert!(!probed.has_alpha);
    }

    #[test]
    fn probe_explains_unreadable_files() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.png");
        std::fs::write(&text, "not an image").unwrap();
        assert!(probe(&text).is_err());
        assert!(
            probe(&dir.path().join("missing.png"))
                .unwrap_err()
                .contains("cannot read")
        );
    }
}
