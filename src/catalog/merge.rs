//! Merging TOML documents: the user's overlay onto the shipped catalog, and
//! operation templates into the operations that name them.

use toml::{Table, Value};

/// Overlays `top` onto `base`: tables merge key by key, anything else replaces.
pub fn deep_merge(base: &mut Table, top: Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(base_table)), Value::Table(top_table)) => {
                deep_merge(base_table, top_table);
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Replaces `template = "name"` in any table under `[models]` by the named
/// table from `[templates]` with the table's own keys merged on top, then drops
/// `[templates]`. Templates may themselves name a template.
pub fn resolve_templates(doc: &mut Table) -> Result<(), String> {
    let templates = match doc.remove("templates") {
        Some(Value::Table(table)) => table,
        Some(_) => return Err("`templates` must be a table".into()),
        None => Table::new(),
    };
    match doc.get_mut("models") {
        Some(Value::Table(models)) => expand_within(models, &templates, "models", 0),
        _ => Ok(()),
    }
}

fn expand_within(table: &mut Table, templates: &Table, at: &str, depth: u32) -> Result<(), String> {
    for (key, value) in table.iter_mut() {
        if let Value::Table(inner) = value {
            let here = format!("{at}.{key}");
            *inner = expand(std::mem::take(inner), templates, depth + 1, &here)
                .map_err(|e| format!("{here}: {e}"))?;
        }
    }
    Ok(())
}

/// A table with its templates resolved, its own nested ones first: a local
/// `params.size.template = "x"` must land on top of what the outer template
/// says about `params.size`, not be buried under it.
fn expand(mut op: Table, templates: &Table, depth: u32, at: &str) -> Result<Table, String> {
    // Tables nest a few levels and templates a few more; far beyond that
    // is a template that includes itself.
    if depth > 32 {
        return Err("templates nest too deep (is there a cycle?)".into());
    }
    expand_within(&mut op, templates, at, depth)?;
    let Some(name) = op.remove("template") else {
        return Ok(op);
    };
    let name = name
        .as_str()
        .ok_or("`template` must be a template's name")?
        .to_string();
    let Some(Value::Table(template)) = templates.get(&name) else {
        return Err(format!("no template named {name:?} in [templates]"));
    };
    let mut base = expand(template.clone(), templates, depth + 1, at)?;
    deep_merge(&mut base, op);
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        text.parse().unwrap()
    }

    #[test]
    fn overlay_merges_tables_and_replaces_values() {
        let mut base = table("[a]\nx = 1\ny = [1, 2]\n[a.inner]\nk = 'v'\n");
        deep_merge(
            &mut base,
            table("[a]\ny = [3]\nz = true\n[a.inner]\nk2 = 'w'\n"),
        );
        assert_eq!(
            base,
            table("[a]\nx = 1\ny = [3]\nz = true\n[a.inner]\nk = 'v'\nk2 = 'w'\n")
        );
    }

    #[test]
    fn templates_expand_under_operation_keys() {
        let mut doc = table(
            r#"
            [templates.base]
            endpoint = "/gen"
            params.size = { type = "size", values = ["1x1"] }
            [templates.derived]
            template = "base"
            streaming = true
            [models."p/m".operations.generate]
            template = "derived"
            endpoint = "/other"
            "#,
        );
        resolve_templates(&mut doc).unwrap();
        let op = &doc["models"]["p/m"]["operations"]["generate"];
        assert_eq!(op["endpoint"].as_str(), Some("/other"));
        assert_eq!(op["streaming"].as_bool(), Some(true));
        assert!(op["params"]["size"].is_table());
        assert!(op.get("template").is_none());
        assert!(doc.get("templates").is_none());
    }

    #[test]
    fn a_local_nested_template_wins_over_the_outer_templates_table() {
        let mut doc = table(
            "[templates.op]\nparams.size = { values = ['small'], default = 'small' }\n\
             [templates.big_size]\nvalues = ['big', 'huge']\ndefault = 'auto'\n\
             [models.'p/m'.operations]\n\
             generate = { template = 'op', params.size.template = 'big_size' }\n",
        );
        resolve_templates(&mut doc).unwrap();
        let size = &doc["models"]["p/m"]["operations"]["generate"]["params"]["size"];
        assert_eq!(size["default"].as_str(), Some("auto"));
        assert_eq!(size["values"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn unknown_and_cyclic_templates_are_errors() {
        let mut doc = table("[models.'p/m'.operations.generate]\ntemplate = 'nope'\n");
        assert!(
            resolve_templates(&mut doc)
                .unwrap_err()
                .contains("no template named")
        );
        let mut cyclic = table(
            "[templates.a]\ntemplate = 'b'\n[templates.b]\ntemplate = 'a'\n\
             [models.'p/m'.operations.generate]\ntemplate = 'a'\n",
        );
        assert!(
            resolve_templates(&mut cyclic)
                .unwrap_err()
                .contains("cycle")
        );
    }
}
