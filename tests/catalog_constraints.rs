//! The catalog's constraints, model by model: sizes, n limits, prompt limits,
//! conditional parameters, inputs, and the estimator against the price tables.

use std::path::PathBuf;

use tintype::catalog::{
    Catalog, Draft, InputImage, Operation, ParamError, ParamValue, Usage, ValidRequest,
    actual_cost, estimate, text_params,
};
use tintype::money::Micros;

fn catalog() -> Catalog {
    Catalog::embedded().expect("the shipped catalog loads")
}

fn draft(model: &str, op: Option<&str>, prompt: &str, params: &[(&str, &str)]) -> Draft {
    Draft {
        model: model.into(),
        operation: op.map(Into::into),
        prompt: Some(prompt.into()),
        params: text_params(params),
        ..Draft::default()
    }
}

fn ok(draft: &Draft) -> ValidRequest {
    catalog()
        .validate(draft)
        .unwrap_or_else(|errors| panic!("{} should validate: {errors:?}", draft.model))
}

fn errors(draft: &Draft) -> Vec<ParamError> {
    match catalog().validate(draft) {
        Ok(_) => panic!("{} {:?} should be refused", draft.model, draft.params),
        Err(errors) => errors,
    }
}

fn error_text(draft: &Draft) -> String {
    errors(draft)
        .iter()
        .map(|e| e.message.clone())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The least a request to `op` needs to be valid: its required prompt,
/// parameters, one non-zero `at_least_one` value and enough input images.
fn minimal_draft(model: &str, op_name: &str, op: &Operation) -> Draft {
    let mut d = draft(model, Some(op_name), "", &[]);
    if let Some(spec) = &op.prompt {
        d.prompt = Some(if spec.required {
            "a lighthouse at dusk".into()
        } else {
            String::new()
        });
    }
    for param in op.params.iter().filter(|(_, s)| s.required).map(|(n, _)| n) {
        d.params.insert(param.clone(), ParamValue::text("a cat"));
    }
    if let Some(first) = op.at_least_one.first() {
        d.params.insert(first.clone(), ParamValue::text("64"));
    }
    let needed = op.inputs.as_ref().map_or(0, |i| i.min);
    let format = op
        .inputs
        .as_ref()
        .map(|i| i.formats[0].clone())
        .unwrap_or_default();
    d.inputs = (0..needed)
        .map(|_| image("in.png", &format, 1024, 1024, true))
        .collect();
    d
}

fn image(name: &str, format: &str, width: u32, height: u32, alpha: bool) -> InputImage {
    InputImage {
        path: PathBuf::from(name),
        format: format.into(),
        width,
        height,
        bytes: 100_000,
        has_alpha: alpha,
    }
}

#[test]
fn covers_the_required_models() {
    let catalog = catalog();
    for id in [
        "openai/gpt-image-2",
        "openai/gpt-image-1.5",
        "openai/gpt-image-1",
        "openai/gpt-image-1-mini",
        "openai/dall-e-3",
        "openai/dall-e-2",
        "replicate/black-forest-labs/flux-schnell",
        "replicate/black-forest-labs/flux-1.1-pro",
        "replicate/stability-ai/sdxl",
        "replicate/qwen/qwen-image-edit-plus",
        "stability/sd3.5-large",
        "stability/sd3.5-medium",
        "stability/stable-image-ultra",
        "stability/stable-image-core",
        "gemini/gemini-2.5-flash-image",
        "removebg/remove-background",
        "sandbox/procedural",
    ] {
        assert!(catalog.model(id).is_some(), "missing {id}");
    }
    let ops: Vec<String> = catalog
        .models()
        .filter(|m| m.provider == "stability")
        .flat_map(|m| m.operations.keys().cloned())
        .collect();
    for op in ["upscale", "remove-background", "inpaint", "erase"] {
        assert!(ops.iter().any(|o| o == op), "stability lacks {op}");
    }
    let sdxl = catalog.model("replicate/stability-ai/sdxl").unwrap();
    assert_eq!(
        sdxl.version.as_deref().map(str::len),
        Some(64),
        "sdxl is pinned by version id"
    );
    assert!(catalog.model("openai/dall-e-3").unwrap().is_deprecated());
    assert!(!catalog.model("openai/gpt-image-2").unwrap().is_deprecated());
}

#[test]
fn every_price_table_covers_every_choice() {
    // For each operation, try every combination of the values its price rows
    // look at: the estimator must find a price for each.
    let catalog = catalog();
    for model in catalog.models() {
        for (op_name, op) in &model.operations {
            let keys = op.pricing.keys();
            let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
            for key in &keys {
                let values: Vec<String> = op.params[*key]
                    .values
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                combos = combos
                    .into_iter()
                    .flat_map(|combo| {
                        values.iter().map(move |v| {
                            let mut next = combo.clone();
                            next.push(((*key).to_string(), v.clone()));
                            next
                        })
                    })
                    .collect();
            }
            for combo in combos {
                let params: Vec<(&str, &str)> = combo
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let mut d = minimal_draft(&model.id, op_name, op);
                d.params.extend(text_params(&params));
                let request = ok(&d);
                let cost = estimate(&request);
                assert!(
                    !cost.rule.contains("no price known"),
                    "{} {op_name} {combo:?}: {}",
                    model.id,
                    cost.rule
                );
                assert!(!op.pricing.source().is_empty());
            }
        }
    }
}

#[test]
fn dall_e_3_makes_one_image_per_request() {
    let error = error_text(&draft("openai/dall-e-3", None, "a fox", &[("n", "4")]));
    assert_eq!(
        error,
        "dall-e-3 makes one image per request; ask for n = 1, or let tintype send 4 requests (--split)"
    );
    let mut split = draft(
        "openai/dall-e-3",
        None,
        "a fox",
        &[("n", "4"), ("quality", "hd")],
    );
    split.split = true;
    let request = ok(&split);
    assert_eq!(request.calls, vec![1, 1, 1, 1]);
    let cost = estimate(&request);
    assert_eq!(cost.micros, Micros(320_000));
    assert_eq!(cost.rule, "dall-e-3 hd 1024x1024: $0.08 x 4 in 4 requests");
}

#[test]
fn dall_e_3_sizes_qualities_styles_and_prices() {
    for (quality, size, micros) in [
        ("standard", "1024x1024", 40_000),
        ("standard", "1792x1024", 80_000),
        ("standard", "1024x1792", 80_000),
        ("hd", "1024x1024", 80_000),
        ("hd", "1792x1024", 120_000),
        ("hd", "1024x1792", 120_000),
    ] {
        let request = ok(&draft(
            "openai/dall-e-3",
            None,
            "a fox",
            &[("quality", quality), ("size", size), ("style", "natural")],
        ));
        assert_eq!(
            estimate(&request).micros,
            Micros(micros),
            "{quality} {size}"
        );
    }
    let hd = ok(&draft(
        "openai/dall-e-3",
        None,
        "a fox",
        &[("quality", "hd"), ("size", "1792x1024")],
    ));
    assert_eq!(estimate(&hd).rule, "dall-e-3 hd 1792x1024: $0.12 x 1");
    assert!(
        error_text(&draft("openai/dall-e-3", None, "x", &[("size", "512x512")]))
            .contains("1792x1024")
    );
    assert!(
        error_text(&draft("openai/dall-e-3", None, "x", &[("quality", "high")]))
            .contains("standard or hd")
    );
    assert!(
        error_text(&draft("openai/dall-e-3", None, "x", &[("style", "anime")]))
            .contains("vivid or natural")
    );
    ok(&draft("openai/dall-e-3", None, &"a".repeat(4000), &[]));
    assert!(
        error_text(&draft("openai/dall-e-3", None, &"a".repeat(4001), &[]))
            .contains("at most 4000")
    );
    assert!(error_text(&draft("openai/dall-e-3", None, "", &[])).contains("needs a prompt"));
    assert!(
        error_text(&draft("openai/dall-e-3", Some("edit"), "x", &[]))
            .contains("cannot edit; it can generate")
    );
}

#[test]
fn style_belongs_to_dall_e_3_only() {
    let error = error_text(&draft(
        "openai/gpt-image-1",
        None,
        "x",
        &[("style", "vivid")],
    ));
    assert!(
        error.contains("has no parameter \"style\"") && error.contains("openai/dall-e-3"),
        "{error}"
    );
    let typo = error_text(&draft(
        "openai/gpt-image-1",
        None,
        "x",
        &[("qualty", "high")],
    ));
    assert!(typo.contains("did you mean quality?"), "{typo}");
    let seedless = error_text(&draft("openai/dall-e-3", None, "x", &[("seed", "7")]));
    assert!(seedless.contains("does not take a seed"), "{seedless}");
}

#[test]
fn dall_e_2_is_square_and_splits_past_ten() {
    for (size, micros) in [
        ("256x256", 16_000),
        ("512x512", 18_000),
        ("1024x1024", 20_000),
    ] {
        let request = ok(&draft(
            "openai/dall-e-2",
            None,
            "x",
            &[("size", size), ("n", "10")],
        ));
        assert_eq!(request.calls, vec![10]);
        assert_eq!(estimate(&request).micros, Micros(micros * 10), "{size}");
    }
    let wide = error_text(&draft(
        "openai/dall-e-2",
        None,
        "x",
        &[("size", "1792x1024")],
    ));
    assert!(wide.contains("square images only"), "{wide}");
    let many = error_text(&draft("openai/dall-e-2", None, "x", &[("n", "12")]));
    assert_eq!(
        many,
        "dall-e-2 makes at most 10 images per request; ask for n = 10 or fewer, or let tintype send 2 requests (--split)"
    );
    let mut split = draft(
        "openai/dall-e-2",
        None,
        "x",
        &[("n", "12"), ("size", "256x256")],
    );
    split.split = true;
    let request = ok(&split);
    assert_eq!(request.calls, vec![10, 2]);
    assert_eq!(estimate(&request).micros, Micros(16_000 * 12));
    assert!(
        error_text(&draft("openai/dall-e-2", None, &"a".repeat(1001), &[]))
            .contains("at most 1000")
    );
    assert!(error_text(&draft("openai/dall-e-2", None, "x", &[("n", "0")])).contains("at least 1"));
    let mut too_many = draft("openai/dall-e-2", None, "x", &[("n", "101")]);
    too_many.split = true;
    assert!(error_text(&too_many).contains("more than tintype queues"));
}

#[test]
fn dall_e_2_edit_and_variation_inputs() {
    let mut variation = draft("openai/dall-e-2", Some("variation"), "", &[("n", "3")]);
    assert!(error_text(&variation).contains("needs an input image"));
    variation.inputs = vec![image("photo.png", "png", 512, 512, false)];
    ok(&variation);
    variation.prompt = Some("make it blue".into());
    assert!(error_text(&variation).contains("takes no prompt"));

    let mut edit = draft("openai/dall-e-2", Some("edit"), "add a hat", &[]);
    edit.inputs = vec![image("photo.png", "png", 512, 400, false)];
    assert!(error_text(&edit).contains("square images only"));
    edit.inputs = vec![image("photo.jpg", "jpeg", 512, 512, false)];
    assert!(error_text(&edit).contains("photo.jpg is jpeg"));
    edit.inputs = vec![image("photo.png", "png", 512, 512, false)];
    edit.mask = Some(image("mask.png", "png", 256, 256, false));
    let mask_errors = error_text(&edit);
    assert!(
        mask_errors.contains("no alpha channel") && mask_errors.contains("same size"),
        "{mask_errors}"
    );
    edit.mask = Some(image("mask.png", "png", 512, 512, true));
    ok(&edit);
}

#[test]
fn gpt_image_conditional_parameters() {
    for model in [
        "openai/gpt-image-2",
        "openai/gpt-image-1.5",
        "openai/gpt-image-1",
        "openai/gpt-image-1-mini",
    ] {
        let jpeg = error_text(&draft(
            model,
            None,
            "x",
            &[("background", "transparent"), ("output_format", "jpeg")],
        ));
        assert_eq!(
            jpeg,
            "when background is transparent, output_format must be png or webp (it is jpeg): jpeg has no alpha channel"
        );
        ok(&draft(
            model,
            None,
            "x",
            &[("background", "transparent"), ("output_format", "webp")],
        ));
        ok(&draft(model, None, "x", &[("background", "transparent")]));
        let png = error_text(&draft(model, None, "x", &[("output_compression", "80")]));
        assert!(
            png.contains("output_format must be jpeg or webp (it is png)"),
            "{png}"
        );
        ok(&draft(
            model,
            None,
            "x",
            &[("output_compression", "80"), ("output_format", "jpeg")],
        ));
        assert!(
            error_text(&draft(
                model,
                None,
                "x",
                &[("output_compression", "101"), ("output_format", "jpeg")]
            ))
            .contains("between 0 and 100")
        );
        let partial = error_text(&draft(model, None, "x", &[("partial_images", "2")]));
        assert!(partial.contains("stream must be true"), "{partial}");
        ok(&draft(
            model,
            None,
            "x",
            &[("partial_images", "3"), ("stream", "true")],
        ));
        assert!(
            error_text(&draft(
                model,
                None,
                "x",
                &[("partial_images", "4"), ("stream", "true")]
            ))
            .contains("between 0 and 3")
        );
        ok(&draft(
            model,
            None,
            "x",
            &[("n", "10"), ("quality", "low"), ("moderation", "low")],
        ));
        assert!(
            error_text(&draft(model, None, "x", &[("n", "11")]))
                .contains("at most 10 images per request")
        );
        assert!(
            error_text(&draft(model, None, "x", &[("quality", "hd")]))
                .contains("auto, low, medium or high")
        );
        ok(&draft(model, None, &"a".repeat(32000), &[]));
        assert!(error_text(&draft(model, None, &"a".repeat(32001), &[])).contains("at most 32000"));
        assert!(
            catalog()
                .model(model)
                .unwrap()
                .operation("generate")
                .unwrap()
                .streaming
        );
    }
}

#[test]
fn gpt_image_edits_take_masks_and_fidelity() {
    let mut edit = draft(
        "openai/gpt-image-1",
        Some("edit"),
        "add a hat",
        &[("input_fidelity", "high")],
    );
    edit.inputs = (0..16)
        .map(|i| image(&format!("ref{i}.webp"), "webp", 1024, 768, false))
        .collect();
    edit.mask = Some(image("mask.png", "png", 1024, 768, true));
    ok(&edit);
    edit.inputs
        .push(image("ref16.png", "png", 1024, 768, false));
    assert!(error_text(&edit).contains("at most 16 input images"));

    let mut mini = draft(
        "openai/gpt-image-1-mini",
        Some("edit"),
        "add a hat",
        &[("input_fidelity", "high")],
    );
    mini.inputs = vec![image("a.png", "png", 1024, 1024, false)];
    let error = error_text(&mini);
    assert!(error.contains("no parameter \"input_fidelity\""), "{error}");
    let moderation = error_text(&draft(
        "openai/gpt-image-1",
        Some("edit"),
        "x",
        &[("moderation", "low")],
    ));
    assert!(
        moderation.contains("no parameter \"moderation\""),
        "{moderation}"
    );
}

#[test]
fn gpt_image_2_takes_custom_sizes_within_its_rules() {
    ok(&draft(
        "openai/gpt-image-2",
        None,
        "x",
        &[("size", "2048x1152")],
    ));
    ok(&draft(
        "openai/gpt-image-2",
        None,
        "x",
        &[("size", "3840x2160")],
    ));
    let odd = error_text(&draft(
        "openai/gpt-image-2",
        None,
        "x",
        &[("size", "1000x1000")],
    ));
    assert!(odd.contains("multiples of 16"), "{odd}");
    assert!(
        error_text(&draft(
            "openai/gpt-image-2",
            None,
            "x",
            &[("size", "3840x1024")]
        ))
        .contains("elongated")
    );
    assert!(
        error_text(&draft(
            "openai/gpt-image-2",
            None,
            "x",
            &[("size", "4096x2304")]
        ))
        .contains("longer than 3840")
    );
    assert!(
        error_text(&draft(
            "openai/gpt-image-1",
            None,
            "x",
            &[("size", "2048x2048")]
        ))
        .contains("not offered")
    );
}

#[test]
fn token_estimates_follow_the_tables() {
    // 4160 image tokens x $40/1M = $0.1664 per image; "a fox" is 5 chars = 2 tokens x $5/1M.
    let request = ok(&draft(
        "openai/gpt-image-1",
        None,
        "a fox",
        &[("quality", "high"), ("size", "1024x1024"), ("n", "2")],
    ));
    let cost = estimate(&request);
    assert_eq!(cost.micros, Micros(2 * 166_400 + 10));
    assert_eq!(
        cost.rule,
        "gpt-image-1 high 1024x1024: 4160 image tokens x $40.00/1M = $0.1664 x 2, + ~2 prompt tokens x $5.00/1M"
    );
    let auto = ok(&draft("openai/gpt-image-1", None, "a fox", &[]));
    let auto_cost = estimate(&auto);
    assert!(
        auto_cost.rule.contains("quality auto priced as high"),
        "{}",
        auto_cost.rule
    );
    assert_eq!(auto_cost.micros, Micros(6240 * 40 + 10));

    // gpt-image-1.5 shares the token counts at $32/1M: medium 1024x1024 = $0.0338.
    let mid = ok(&draft(
        "openai/gpt-image-1.5",
        None,
        "abcd",
        &[("quality", "medium"), ("size", "1024x1024")],
    ));
    assert_eq!(estimate(&mid).micros, Micros(1056 * 32 + 5));

    // gpt-image-2 scales unlisted sizes by area from 1024x1024: 2048x2048 is 4x.
    let big = ok(&draft(
        "openai/gpt-image-2",
        None,
        "abcd",
        &[("quality", "low"), ("size", "2048x2048")],
    ));
    let big_cost = estimate(&big);
    assert_eq!(big_cost.micros, Micros(800 * 30 + 5));
    assert!(
        big_cost.rule.contains("scaled by area from 1024x1024"),
        "{}",
        big_cost.rule
    );

    // Edits add input images at the catalog's per-image token estimate.
    let mut edit = draft(
        "openai/gpt-image-1",
        Some("edit"),
        "abcd",
        &[("quality", "low"), ("size", "1024x1024")],
    );
    edit.inputs = vec![image("a.png", "png", 1024, 1024, false)];
    edit.mask = Some(image("m.png", "png", 1024, 1024, true));
    assert_eq!(
        estimate(&ok(&edit)).micros,
        Micros(272 * 40 + 5 + 2 * 765 * 10)
    );
}

#[test]
fn actual_cost_from_usage() {
    let request = ok(&draft(
        "openai/gpt-image-1",
        None,
        "a fox",
        &[("quality", "high"), ("size", "1024x1024")],
    ));
    let usage = Usage::Tokens {
        text_input: 50,
        image_input: 0,
        text_output: 0,
        image_output: 4160,
    };
    let cost = actual_cost(&request, &usage);
    assert_eq!(cost.micros, Micros(250 + 166_400));
    assert!(
        cost.rule.contains("4160 image out x $40.00/1M"),
        "{}",
        cost.rule
    );

    let sdxl = ok(&draft("replicate/stability-ai/sdxl", None, "x", &[]));
    let seconds = actual_cost(&sdxl, &Usage::Seconds { millis: 3214 });
    assert_eq!(seconds.micros, Micros(3134)); // 3.214 s x $0.000975 = $0.00313365
    assert!(
        seconds.rule.contains("3.214s x $0.000975/s"),
        "{}",
        seconds.rule
    );

    let ultra = ok(&draft("stability/stable-image-ultra", None, "x", &[]));
    assert_eq!(
        actual_cost(&ultra, &Usage::Images { count: 1 }).micros,
        Micros(80_000)
    );

    let mut removebg = draft("removebg/remove-background", None, "", &[("size", "full")]);
    removebg.inputs = vec![image("a.jpg", "jpeg", 800, 600, false)];
    let removebg = ok(&removebg);
    let charged = actual_cost(
        &removebg,
        &Usage::Credits {
            micro_credits: 250_000,
        },
    );
    assert_eq!(charged.micros, Micros(56_250));

    let gemini = ok(&draft("gemini/gemini-2.5-flash-image", None, "x", &[]));
    let tokens = Usage::Tokens {
        text_input: 10,
        image_input: 0,
        text_output: 0,
        image_output: 1290,
    };
    assert_eq!(actual_cost(&gemini, &tokens).micros, Micros(38_700 + 3));

    let flux = ok(&draft(
        "replicate/black-forest-labs/flux-schnell",
        None,
        "x",
        &[("n", "4")],
    ));
    assert_eq!(
        actual_cost(&flux, &Usage::Images { count: 3 }).micros,
        Micros(9_000)
    );
}

#[test]
fn replicate_models() {
    let flux = ok(&draft(
        "replicate/black-forest-labs/flux-schnell",
        None,
        "x",
        &[("n", "4"), ("seed", "42"), ("aspect_ratio", "16:9")],
    ));
    assert_eq!(flux.calls, vec![4]);
    assert_eq!(flux.seed(), Some(42));
    assert_eq!(estimate(&flux).micros, Micros(12_000));
    assert!(
        error_text(&draft(
            "replicate/black-forest-labs/flux-schnell",
            None,
            "x",
            &[("n", "5")]
        ))
        .contains("at most 4 images per request")
    );
    assert!(
        error_text(&draft(
            "replicate/black-forest-labs/flux-schnell",
            None,
            "x",
            &[("num_inference_steps", "8")]
        ))
        .contains("between 1 and 4")
    );

    let width = error_text(&draft(
        "replicate/black-forest-labs/flux-1.1-pro",
        None,
        "x",
        &[("width", "512")],
    ));
    assert!(width.contains("aspect_ratio must be custom"), "{width}");
    ok(&draft(
        "replicate/black-forest-labs/flux-1.1-pro",
        None,
        "x",
        &[("width", "512"), ("aspect_ratio", "custom")],
    ));
    assert_eq!(
        estimate(&ok(&draft(
            "replicate/black-forest-labs/flux-1.1-pro",
            None,
            "x",
            &[]
        )))
        .micros,
        Micros(40_000)
    );

    let sdxl = ok(&draft(
        "replicate/stability-ai/sdxl",
        None,
        "x",
        &[
            ("n", "2"),
            ("size", "768x1344"),
            ("negative_prompt", "blurry"),
        ],
    ));
    let cost = estimate(&sdxl);
    assert_eq!(cost.micros, Micros(2 * 5_850));
    assert!(
        cost.rule.contains("Nvidia L40S") && cost.rule.contains("billed by GPU time"),
        "{}",
        cost.rule
    );
    assert_eq!(sdxl.negative_prompt(), Some("blurry"));

    let mut qwen = draft(
        "replicate/qwen/qwen-image-edit-plus",
        None,
        "swap the jacket",
        &[
            ("n", "4"),
            ("guidance_scale", "3.5"),
            ("num_inference_steps", "30"),
            ("negative_prompt", "blur"),
            ("seed", "9"),
        ],
    );
    assert!(error_text(&qwen).contains("needs an input image"));
    qwen.inputs = (0..4)
        .map(|i| image(&format!("{i}.png"), "png", 800, 800, false))
        .collect();
    let request = ok(&qwen);
    assert_eq!(request.operation, "edit");
    assert_eq!(estimate(&request).micros, Micros(120_000));
    qwen.inputs.push(image("5.png", "png", 800, 800, false));
    assert!(error_text(&qwen).contains("at most 4 input images"));
}

#[test]
fn stability_credits_and_edits() {
    for (model, micros) in [
        ("stability/stable-image-ultra", 80_000),
        ("stability/stable-image-core", 30_000),
        ("stability/sd3.5-large", 65_000),
        ("stability/sd3.5-medium", 35_000),
    ] {
        let request = ok(&draft(
            model,
            None,
            "x",
            &[
                ("aspect_ratio", "21:9"),
                ("seed", "4294967294"),
                ("negative_prompt", "fog"),
            ],
        ));
        assert_eq!(estimate(&request).micros, Micros(micros), "{model}");
        assert!(
            error_text(&draft(model, None, "x", &[("n", "2")])).contains("one image per request")
        );
        assert!(error_text(&draft(model, None, "x", &[("aspect_ratio", "7:5")])).contains("21:9"));
        assert!(
            error_text(&draft(model, None, "x", &[("seed", "4294967295")]))
                .contains("between 0 and 4294967294")
        );
    }
    let large = ok(&draft("stability/sd3.5-large", None, "x", &[]));
    assert_eq!(
        estimate(&large).rule,
        "sd3.5-large: 6.5 credits x $0.01 = $0.065 x 1"
    );
    assert_eq!(
        large.op().fixed.get("model"),
        Some(&ParamValue::text("sd3.5-large"))
    );

    let mut outpaint = draft("stability/outpaint", None, "", &[]);
    outpaint.inputs = vec![image("a.png", "png", 1024, 1024, false)];
    assert!(error_text(&outpaint).contains("at least one of left, right, up or down"));
    outpaint
        .params
        .insert("left".into(), ParamValue::text("200"));
    ok(&outpaint);

    let mut replace = draft(
        "stability/search-and-replace",
        None,
        "a golden retriever",
        &[],
    );
    replace.inputs = vec![image("a.png", "png", 1024, 1024, false)];
    assert!(error_text(&replace).contains("needs search_prompt"));
    replace
        .params
        .insert("search_prompt".into(), ParamValue::text("cat"));
    ok(&replace);

    let mut erase = draft("stability/erase", None, "remove it", &[]);
    erase.inputs = vec![image("a.png", "png", 1024, 1024, false)];
    assert!(error_text(&erase).contains("takes no prompt"));
    erase.prompt = None;
    erase.mask = Some(image("m.png", "png", 1024, 1024, false));
    assert_eq!(estimate(&ok(&erase)).micros, Micros(50_000));

    let mut upscale = draft("stability/upscale-fast", None, "", &[]);
    upscale.inputs = vec![image("big.png", "png", 2048, 2048, false)];
    assert!(error_text(&upscale).contains("at most 1536 pixels per side"));
    upscale.inputs = vec![image("small.png", "png", 512, 512, false)];
    assert_eq!(estimate(&ok(&upscale)).micros, Micros(20_000));
    let mut inpaint = draft("stability/inpaint", None, "a red door", &[]);
    inpaint.inputs = vec![image("wide.png", "png", 3000, 1000, false)];
    assert!(error_text(&inpaint).contains("aspect ratios up to 2.5:1"));
}

#[test]
fn gemini_and_removebg() {
    let gemini = ok(&draft(
        "gemini/gemini-2.5-flash-image",
        None,
        "abcdefgh",
        &[("aspect_ratio", "16:9")],
    ));
    let cost = estimate(&gemini);
    assert_eq!(cost.micros, Micros(38_700 + 1));
    assert!(
        cost.rule.contains("1290 image tokens x $30.00/1M"),
        "{}",
        cost.rule
    );
    assert!(
        error_text(&draft(
            "gemini/gemini-2.5-flash-image",
            None,
            "x",
            &[("aspect_ratio", "4:5")]
        ))
        .contains("21:9")
    );
    // 2000 image tokens x $120/1M + 1 prompt token x $2/1M.
    let pro = ok(&draft(
        "gemini/gemini-3-pro-image-preview",
        None,
        "abcd",
        &[("image_size", "4K")],
    ));
    assert_eq!(estimate(&pro).micros, Micros(240_000 + 2));

    let mut removebg = draft(
        "removebg/remove-background",
        None,
        "",
        &[("size", "preview")],
    );
    removebg.inputs = vec![image("a.jpg", "jpeg", 800, 600, false)];
    assert_eq!(estimate(&ok(&removebg)).micros, Micros(56_250));
    removebg.params.clear();
    assert_eq!(estimate(&ok(&removebg)).micros, Micros(225_000));
}

#[test]
fn sandbox_is_free_and_takes_any_size() {
    let request = ok(&draft(
        "sandbox/procedural",
        None,
        "x",
        &[
            ("size", "333x777"),
            ("n", "3"),
            ("fail", "rate_limit"),
            ("latency_ms", "0"),
        ],
    ));
    let cost = estimate(&request);
    assert_eq!(cost.micros, Micros::ZERO);
    assert_eq!(cost.rule, "procedural: free (offline placeholders)");
    assert!(
        error_text(&draft(
            "sandbox/procedural",
            None,
            "x",
            &[("size", "5000x5000")]
        ))
        .contains("longer than 4096")
    );
    assert!(
        error_text(&draft(
            "sandbox/procedural",
            None,
            "x",
            &[("fail", "explode")]
        ))
        .contains("rate_limit")
    );
}

#[test]
fn models_resolve_by_short_name_with_suggestions() {
    let catalog = catalog();
    assert_eq!(catalog.resolve("dall-e-3").unwrap().id, "openai/dall-e-3");
    assert_eq!(
        catalog.resolve("flux-schnell").unwrap().id,
        "replicate/black-forest-labs/flux-schnell"
    );
    let typo = catalog.resolve("dalle-3").unwrap_err();
    assert!(
        typo.message.contains("did you mean openai/dall-e-3"),
        "{}",
        typo.message
    );
    let ambiguous = catalog.resolve("remove-background").unwrap_err();
    assert!(
        ambiguous.message.contains("give the full id"),
        "{}",
        ambiguous.message
    );
}

#[test]
fn every_error_is_reported_at_once() {
    let found = errors(&draft(
        "openai/dall-e-3",
        None,
        &"a".repeat(4001),
        &[("quality", "ultra"), ("size", "1x1"), ("n", "2")],
    ));
    let params: Vec<&str> = found.iter().map(|e| e.param.as_str()).collect();
    assert_eq!(params, vec!["prompt", "n", "quality", "size"]);
}

#[test]
fn deprecation_notices_depend_on_the_date() {
    let catalog = catalog();
    let dalle = catalog.model("openai/dall-e-3").unwrap();
    let past = dalle.deprecation_notice("2026-11-21").unwrap();
    assert!(
        past.contains("was shut down on 2026-05-12") && past.contains("openai/gpt-image-2"),
        "{past}"
    );
    let before = dalle.deprecation_notice("2026-01-01").unwrap();
    assert!(before.contains("and shuts down on 2026-05-12"), "{before}");
    assert_eq!(
        catalog
            .model("sandbox/procedural")
            .unwrap()
            .deprecation_notice("2026-11-21"),
        None
    );
}

#[test]
fn every_model_enforces_its_n_and_prompt_limits() {
    let catalog = catalog();
    for model in catalog.models() {
        for (op_name, op) in &model.operations {
            let base = || minimal_draft(&model.id, op_name, op);
            let who = format!("{} {op_name}", model.id);
            let per_call = op.n.max_per_request;
            let mut full = base();
            full.params
                .insert("n".into(), ParamValue::Int(i64::from(per_call)));
            assert_eq!(ok(&full).calls, vec![per_call], "{who}");
            let mut over = base();
            over.params
                .insert("n".into(), ParamValue::Int(i64::from(per_call) + 1));
            let refused = errors(&over);
            assert_eq!(refused[0].param, "n", "{who}");
            assert!(
                refused[0].message.contains("--split"),
                "{who}: {}",
                refused[0].message
            );
            over.split = true;
            assert_eq!(ok(&over).calls.len(), 2, "{who}");
            if let Some(spec) = &op.prompt {
                let mut longest = base();
                longest.prompt = Some("p".repeat(spec.max_chars));
                ok(&longest);
                longest.prompt = Some("p".repeat(spec.max_chars + 1));
                assert_eq!(errors(&longest)[0].param, "prompt", "{who}");
            } else {
                let mut prompted = base();
                prompted.prompt = Some("a prompt".into());
                assert_eq!(
                    errors(&prompted)[0].param,
                    "prompt",
                    "{who} takes no prompt"
                );
            }
        }
    }
}

#[test]
fn gpt_image_2_keeps_its_own_sizes_over_the_shared_gpt_image_ones() {
    let catalog = catalog();
    let model = catalog.resolve("openai/gpt-image-2").unwrap();
    for op in ["generate", "edit"] {
        let size = &model.operation(op).unwrap().params["size"];
        let values: Vec<String> = size.values.iter().map(ToString::to_string).collect();
        assert!(
            values.contains(&"3840x2160".to_string()),
            "{op}: {values:?}"
        );
        assert_eq!(
            size.default.as_ref().map(ToString::to_string).as_deref(),
            Some("auto"),
            "{op}"
        );
    }
    // The shared list still applies to gpt-image-1.5.
    let older = catalog.resolve("openai/gpt-image-1.5").unwrap();
    let values = &older.operation("generate").unwrap().params["size"].values;
    assert!(!values.iter().any(|v| v.to_string() == "3840x2160"));
}
