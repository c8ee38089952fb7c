//! Every shipped preset parses, fills its variables and validates against
//! the catalog; the set covers several providers.

use std::collections::{BTreeMap, BTreeSet};

use tintype::catalog::{Catalog, estimate};

#[test]
fn every_shipped_preset_validates_against_the_catalog() {
    let catalog = Catalog::embedded().unwrap();
    let (presets, warnings) = tintype::presets::load(None);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(presets.len() >= 6, "ship at least 6 presets");
    let mut providers = BTreeSet::new();
    for preset in presets.values() {
        assert!(
            !preset.title.is_empty() && !preset.description.is_empty(),
            "{}",
            preset.name
        );
        let draft = preset.draft(&BTreeMap::new()).unwrap();
        let request = catalog.validate(&draft).unwrap_or_else(|errors| {
            panic!("preset {} does not validate: {errors:?}", preset.name)
        });
        assert!(
            !request.prompt.contains('{'),
            "{}: unfilled variable",
            preset.name
        );
        let cost = estimate(&request);
        assert!(
            !cost.rule.contains("no price known"),
            "{}: {}",
            preset.name,
            cost.rule
        );
        assert!(
            !request.model.is_deprecated(),
            "{} uses a deprecated model",
            preset.name
        );
        providers.insert(request.model.provider.clone());
        // Every variable can be replaced and still validates.
        let values: BTreeMap<String, String> = preset
            .vars
            .keys()
            .map(|k| (k.clone(), "a brass lamp".into()))
            .collect();
        catalog.validate(&preset.draft(&values).unwrap()).unwrap();
    }
    assert!(
        providers.len() >= 4,
        "presets cover several providers: {providers:?}"
    );
    assert!(providers.contains("sandbox"), "one preset works offline");
}
