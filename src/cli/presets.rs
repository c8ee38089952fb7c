//! `tintype presets`: the shipped and user presets, with their variables.

use clap::Args;
use serde_json::json;

use super::context::warn;
use super::table::Table;
use super::{CliResult, Context};

#[derive(Debug, Args)]
pub struct PresetsArgs {
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &PresetsArgs) -> CliResult {
    let context = Context::load()?;
    let (presets, warnings) = crate::presets::load(Some(&context.paths.presets()));
    for warning in warnings {
        warn(Some(warning));
    }
    if args.json {
        let list: Vec<_> = presets
            .values()
            .map(|p| {
                let vars: serde_json::Map<String, serde_json::Value> = p
                    .vars
                    .iter()
                    .map(|(name, var)| {
                        (
                            name.clone(),
                            json!({ "default": var.default, "help": var.help }),
                        )
                    })
                    .collect();
                json!({ "name": p.name, "title": p.title, "description": p.description,
                        "model": p.model, "prompt": p.prompt, "vars": vars })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    let mut table = Table::new(&[
        ("NAME", false),
        ("MODEL", false),
        ("VARIABLES", false),
        ("WHAT", false),
    ]);
    for preset in presets.values() {
        table.push(vec![
            preset.name.clone(),
            preset.model.clone(),
            preset.vars.keys().cloned().collect::<Vec<_>>().join(", "),
            preset.title.clone(),
        ]);
    }
    print!("{}", table.render());
    println!("use one: tintype gen --preset NAME --var NAME=VALUE [flags to override]");
    Ok(())
}
