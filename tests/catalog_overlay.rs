//! The user's catalog overlay: add a model or change a price without a
//! rebuild; a broken overlay is reported and the shipped catalog is used.

use tintype::catalog::{Catalog, Draft, ParamValue, estimate};
use tintype::money::Micros;

fn dall_e_3_hd_wide(catalog: &Catalog) -> Micros {
    let draft = Draft {
        model: "openai/dall-e-3".into(),
        prompt: Some("x".into()),
        params: [("quality", "hd"), ("size", "1792x1024")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), ParamValue::text(v)))
            .collect(),
        ..Draft::default()
    };
    estimate(&catalog.validate(&draft).unwrap()).micros
}

#[test]
fn overlay_changes_a_price() {
    let overlay = r#"
        [models."openai/dall-e-3".operations.generate.pricing]
        rows = [{ when = { quality = "hd", size = "1792x1024" }, usd = "0.5" }]
    "#;
    let catalog = Catalog::with_overlay(overlay).unwrap();
    assert_eq!(dall_e_3_hd_wide(&catalog), Micros(500_000));
    assert_eq!(
        dall_e_3_hd_wide(&Catalog::embedded().unwrap()),
        Micros(120_000)
    );
}

#[test]
fn overlay_adds_a_model_from_a_template() {
    let overlay = r#"
        [models."openai/gpt-image-3"]
        provider = "openai"
        remote = "gpt-image-3"
        label = "GPT Image 3 (hypothetical)"
        operations.generate = { template = "gpt_image_generate", pricing = { template = "gpt_image_2_tokens", image_output_per_m = "60.00" } }
    "#;
    let catalog = Catalog::with_overlay(overlay).unwrap();
    let model = catalog.resolve("gpt-image-3").unwrap();
    assert!(
        model
            .operation("generate")
            .unwrap()
            .params
            .contains_key("background")
    );
    let draft = Draft {
        model: "openai/gpt-image-3".into(),
        prompt: Some("abcd".into()),
        params: [
            ("quality".to_string(), ParamValue::text("low")),
            ("size".to_string(), ParamValue::text("1024x1024")),
        ]
        .into(),
        ..Draft::default()
    };
    // 200 tokens x $60/1M + 1 prompt token x $5/1M.
    assert_eq!(
        estimate(&catalog.validate(&draft).unwrap()).micros,
        Micros(12_005)
    );
}

#[test]
fn broken_overlays_are_reported_and_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.toml");

    std::fs::write(&path, "this is = = not toml").unwrap();
    let (catalog, warning) = Catalog::load(Some(&path)).unwrap();
    assert!(warning.unwrap().contains("using the built-in catalog"));
    assert!(catalog.model("openai/dall-e-3").is_some());

    // Valid TOML, wrong shape: a price that is not a decimal.
    std::fs::write(
        &path,
        "[models.'openai/dall-e-2'.operations.generate.pricing]\nrows = [{ when = { size = '256x256' }, usd = 'cheap' }]\n",
    )
    .unwrap();
    let (_, warning) = Catalog::load(Some(&path)).unwrap();
    assert!(warning.unwrap().contains("cheap"));

    // A typo in a field name is caught, not silently ignored.
    std::fs::write(&path, "[models.'openai/dall-e-2']\nlable = 'x'\n").unwrap();
    let (_, warning) = Catalog::load(Some(&path)).unwrap();
    assert!(warning.unwrap().contains("lable"));

    // A default outside its own range is caught at load time.
    std::fs::write(
        &path,
        "[models.'openai/dall-e-3'.operations.generate.params.quality]\ndefault = 'ultra'\n",
    )
    .unwrap();
    let (_, warning) = Catalog::load(Some(&path)).unwrap();
    assert!(warning.unwrap().contains("default"));

    let (_, none) = Catalog::load(Some(&dir.path().join("absent.toml"))).unwrap();
    assert!(none.is_none());
}

#[test]
fn the_catalog_has_a_version_an_overlay_may_change() {
    let shipped = Catalog::embedded().unwrap();
    let version = shipped.version();
    let digits = version.replace('-', "");
    assert!(
        version.len() == 10 && digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit()),
        "{version} is not an ISO date"
    );
    let overlaid = Catalog::with_overlay("version = \"2027-01-15\"").unwrap();
    assert_eq!(overlaid.version(), "2027-01-15");
    assert!(Catalog::with_overlay("version = 5").is_err());
    let hash = Catalog::embedded_hash();
    assert_eq!(hash.len(), 12);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
}
