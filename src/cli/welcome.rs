//! `tintype` with no command when stdout is not a terminal (a pipe, a
//! script): which models can run here, and how to start. In a terminal the
//! same command opens the studio.

use super::{CliResult, Context};
use crate::config::keys::process_env;

pub fn run() -> CliResult {
    let context = Context::load()?;
    let catalog = context.catalog()?;
    let (model, _) = context.default_model(&catalog, &process_env);
    println!(
        "tintype {} — a terminal studio for AI image generation\n",
        env!("CARGO_PKG_VERSION")
    );
    println!("Run tintype in a terminal to open the studio; this is what it finds here.\n");
    println!("Providers:");
    for (id, provider) in catalog.providers() {
        let models = catalog.models().filter(|m| &m.provider == id).count();
        let key = if id == "sandbox" {
            "built in, offline, free".to_string()
        } else {
            context.key_source(&catalog, id, &process_env).map_or_else(
                || {
                    format!(
                        "no key ({})",
                        provider
                            .key_env
                            .iter()
                            .map(|v| format!("${v}"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )
                },
                |source| format!("key from {source}"),
            )
        };
        println!("  {id:<10} {models:>2} models   {key}");
    }
    println!("\nDefault model: {model}");
    println!("\nTry:");
    println!(
        "  tintype gen \"a lighthouse at dusk, watercolour\"      # saves images, prints their paths"
    );
    println!(
        "  tintype gen -m dall-e-3 --quality hd -n 2 --split --dry-run \"a red fox\"   # estimate only"
    );
    println!("  tintype models          # every model, size, limit and price");
    println!("  tintype history -s fox  # search past prompts");
    println!("  tintype cost --by model # what you spent");
    println!(
        "\nData: {}\nConfig: {}",
        context.paths.data_dir.display(),
        context.paths.config_file().display()
    );
    Ok(())
}
