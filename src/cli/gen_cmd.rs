//! `tintype gen`: validate, estimate, check the budget, then run the jobs and
//! report each step on stderr and the saved paths (or JSON) on stdout.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::context::{DefaultReason, warn};
use super::gen_output;
use super::gen_run::{finish, submit_all};
use super::progress::Printer;
use super::session::{recover, start_engine};
use super::{CliError, CliResult, Context};
use crate::catalog::{Cost, Draft, ParamError, ParamValue, ValidRequest, estimate, input};
use crate::config::keys::process_env;
use crate::engine::budget::{self, Caps, Verdict};
use crate::engine::setup::Clients;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct GenArgs {
    /// The prompt (several words are joined); `-` reads it from standard input.
    /// With --preset, it replaces the preset's prompt
    pub prompt: Vec<String>,
    /// Model id, or an unambiguous end of one (`dall-e-3`); see `tintype models`.
    /// Several (`-m a,b` or repeated) run the prompt on each: a variants batch
    #[arg(short, long = "model", value_name = "MODEL", value_delimiter = ',')]
    pub models: Vec<String>,
    /// generate, edit, variation, upscale, remove-background, inpaint, erase...
    #[arg(long = "op", value_name = "OPERATION")]
    pub operation: Option<String>,
    /// Several (`--size 1024x1024,1536x1024` or repeated) make a variants batch
    #[arg(long = "size", value_name = "WxH", value_delimiter = ',')]
    pub sizes: Vec<String>,
    /// Aspect ratio, for models that take one (`16:9`)
    #[arg(long, value_name = "RATIO")]
    pub aspect: Option<String>,
    #[arg(long)]
    pub quality: Option<String>,
    #[arg(long)]
    pub style: Option<String>,
    /// Number of images
    #[arg(short)]
    pub n: Option<u32>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// What the image should not show, for models that take a negative prompt
    #[arg(long, value_name = "TEXT")]
    pub negative: Option<String>,
    /// Any catalog parameter (repeatable): `--param background=transparent`
    #[arg(short = 'p', long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Start from a preset (`tintype presets` lists them); flags override it
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// A preset variable (repeatable): `--var subject="a brass lamp"`
    #[arg(long = "var", value_name = "NAME=VALUE", requires = "preset")]
    pub vars: Vec<String>,
    /// Input image (repeatable)
    #[arg(long = "image", value_name = "PATH")]
    pub images: Vec<PathBuf>,
    /// Mask image: transparent where the image may change
    #[arg(long, value_name = "PATH")]
    pub mask: Option<PathBuf>,
    /// Allow more images than one request makes, sent as several requests
    #[arg(long)]
    pub split: bool,
    /// Validate and estimate; send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object on stdout
    #[arg(long)]
    pub json: bool,
    /// Go ahead even past a budget cap
    #[arg(long)]
    pub yes: bool,
    /// Send it even if an identical earlier request's images are on disk
    #[arg(long)]
    pub no_cache: bool,
    /// Do not print the images in the terminal after the run
    #[arg(long)]
    pub no_show: bool,
    /// No progress lines on stderr
    #[arg(short, long)]
    pub quiet: bool,
}

impl GenArgs {
    fn prompt(&self) -> Result<Option<String>, CliError> {
        if self.prompt.len() == 1 && self.prompt[0] == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                CliError::Invalid(format!("cannot read the prompt from standard input: {e}"))
            })?;
            return Ok(Some(text));
        }
        Ok((!self.prompt.is_empty()).then(|| self.prompt.join(" ")))
    }

    /// The request as typed: the preset's draft (if any) with the flags on
    /// top, at one `size` of a variants batch.
    fn draft(&self, base: Draft, size: Option<&String>) -> Result<Draft, CliError> {
        let mut draft = base;
        for pair in &self.params {
            let (key, value) = split_pair(pair, "--param KEY=VALUE")?;
            draft.params.insert(key, ParamValue::text(value));
        }
        let named = [
            ("size", size.cloned()),
            ("aspect_ratio", self.aspect.clone()),
            ("quality", self.quality.clone()),
            ("style", self.style.clone()),
            ("n", self.n.map(|n| n.to_string())),
            ("seed", self.seed.map(|s| s.to_string())),
            ("negative_prompt", self.negative.clone()),
        ];
        for (key, value) in named {
            if let Some(value) = value {
                draft.params.insert(key.into(), ParamValue::Text(value));
            }
        }
        if let Some(prompt) = self.prompt()? {
            draft.prompt = Some(prompt);
        }
        if self.operation.is_some() {
            draft.operation.clone_from(&self.operation);
        }
        draft.split |= self.split;
        let probe = |path: &PathBuf| input::probe(path).map_err(CliError::Invalid);
        draft.inputs = self.images.iter().map(probe).collect::<Result<_, _>>()?;
        draft.mask = self.mask.as_ref().map(probe).transpose()?;
        Ok(draft)
    }

    /// The preset's draft, from `--preset` and `--var`.
    fn preset_draft(&self, context: &Context) -> Result<Option<Draft>, CliError> {
        let Some(name) = &self.preset else {
            return Ok(None);
        };
        let (mut presets, warnings) = crate::presets::load(Some(&context.paths.presets()));
        for warning in warnings {
            warn(Some(warning));
        }
        let Some(preset) = presets.remove(name) else {
            let known: Vec<&String> = presets.keys().collect();
            return Err(CliError::Invalid(format!(
                "there is no preset {name:?}; there are {}",
                crate::catalog::value::one_of_list(&known)
            )));
        };
        let mut values = std::collections::BTreeMap::new();
        for pair in &self.vars {
            let (key, value) = split_pair(pair, "--var NAME=VALUE")?;
            values.insert(key, value);
        }
        preset.draft(&values).map(Some).map_err(CliError::Invalid)
    }
}

/// `usage` is the flag as its help writes it: `--param KEY=VALUE`.
fn split_pair(pair: &str, usage: &str) -> Result<(String, String), CliError> {
    pair.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .ok_or_else(|| CliError::Invalid(format!("write {usage}, not {pair:?}")))
}

/// The requests a `gen` makes: one, or one per model and size of a
/// variants batch, each validated and estimated.
pub(super) struct Plan {
    pub requests: Vec<(ValidRequest, Cost)>,
    reason: Option<DefaultReason>,
}

fn plan(
    args: &GenArgs,
    context: &Context,
    catalog: &crate::catalog::Catalog,
    preset: Option<&Draft>,
) -> Result<Plan, CliError> {
    let (models, reason) = match (&args.models[..], preset) {
        ([], Some(draft)) => (vec![draft.model.clone()], None),
        ([], None) => {
            let (model, why) = context.default_model(catalog, &process_env);
            (vec![model], Some(why))
        }
        (given, _) => (given.to_vec(), None),
    };
    let sizes: Vec<Option<&String>> = if args.sizes.is_empty() {
        vec![None]
    } else {
        args.sizes.iter().map(Some).collect()
    };
    let mut requests = Vec::new();
    let mut errors = Vec::new();
    for model in &models {
        for size in &sizes {
            let base = Draft {
                model: model.clone(),
                ..preset.cloned().unwrap_or_default()
            };
            match catalog.validate(&args.draft(base, *size)?) {
                Ok(request) => {
                    let cost = estimate(&request);
                    requests.push((request, cost));
                }
                Err(found) => errors.extend(found),
            }
        }
    }
    if !errors.is_empty() {
        return Err(refuse(&errors, args.json));
    }
    Ok(Plan { requests, reason })
}

pub fn run(args: &GenArgs) -> CliResult {
    let context = Context::load()?;
    let catalog = Arc::new(context.catalog()?);
    let preset = args.preset_draft(&context)?;
    let plan = plan(args, &context, &catalog, preset.as_ref())?;
    let speak = !args.quiet && !args.json;
    if speak && let (Some(reason), Some((request, _))) = (&plan.reason, plan.requests.first()) {
        eprintln!("tintype: {}", default_note(request, reason));
    }
    let today = chrono::Local::now().date_naive();
    for (request, _) in &plan.requests {
        warn(
            request
                .model
                .deprecation_notice(&today.format("%Y-%m-%d").to_string()),
        );
    }
    if args.dry_run && args.json && plan.requests.len() > 1 {
        gen_output::dry_run_batch(&plan.requests);
        return Ok(());
    }
    if args.dry_run {
        for (request, cost) in &plan.requests {
            gen_output::dry_run(request, cost, args.json);
        }
        return Ok(());
    }
    let total = plan.requests.iter().map(|(_, c)| c.micros).sum();
    let store = context.store()?;
    check_budget(&context, &store, total, today, args.yes, speak)?;
    // A missing key or a bad base URL is said now, before anything is queued;
    // the clients built for that are the ones the engine uses, so a key
    // command (`pass show ...`) runs once per provider.
    let mut clients = Clients::new();
    for (request, _) in &plan.requests {
        let provider = &request.model.provider;
        if clients.contains_key(provider) {
            continue;
        }
        let client = crate::providers::setup::provider(
            provider,
            &catalog,
            &context.config,
            &process_env,
            crate::providers::http::Limits::default(),
        )
        .map_err(|why| {
            CliError::Provider(format!(
                "{} cannot be sent: {why}. --dry-run validates and estimates it; -m sandbox/procedural generates offline.",
                request.model.id
            ))
        })?;
        clients.insert(provider.clone(), Arc::from(client));
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)?;
    let printer = Printer::new(!args.quiet, plan.requests.iter().map(|(r, _)| r.n).sum());
    let (engine, results) = runtime.block_on(async {
        let (events, mut updates) = tokio::sync::mpsc::unbounded_channel();
        let show = {
            let printer = printer.clone();
            tokio::spawn(async move {
                while let Some(event) = updates.recv().await {
                    printer.show(&event);
                }
            })
        };
        let engine = start_engine(&context, &catalog, store, events, clients)?;
        let resumed = recover(&engine, &catalog, &printer).await?;
        let results = submit_all(&engine, plan, args).await;
        let results = match results {
            Ok(results) => finish(&engine, results, resumed).await,
            Err(error) => Err(error),
        };
        // The engine holds the event sender; the printer ends when it goes.
        let engine_store = engine.store().clone();
        drop(engine);
        let _ = show.await;
        results.map(|r| (engine_store, r))
    })?;
    printer.finish();
    let store = engine.lock();
    let shown = gen_output::report(&store, &results, args.json)?;
    if !args.no_show && !args.json {
        super::inline::show_inline(&shown);
    }
    gen_output::verdict(&results)
}

fn refuse(errors: &[ParamError], json: bool) -> CliError {
    if json {
        let body = serde_json::json!({ "error": { "class": "invalid_request", "errors": errors } });
        println!("{body}");
    }
    let lines: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
    CliError::Invalid(lines.join("\ntintype: "))
}

fn default_note(request: &ValidRequest, reason: &DefaultReason) -> String {
    match reason {
        DefaultReason::Configured => {
            format!("using {} (default_model in config.toml)", request.model.id)
        }
        DefaultReason::KeyFound(source) => format!(
            "using {} (key from {source}; -m picks another)",
            request.model.id
        ),
        DefaultReason::NoKeys => format!(
            "using {} (offline placeholders, no AI): no API key found; `tintype models` shows which to set",
            request.model.id
        ),
    }
}

fn check_budget(
    context: &Context,
    store: &Store,
    total: crate::money::Micros,
    today: chrono::NaiveDate,
    insist: bool,
    speak: bool,
) -> CliResult {
    let caps = Caps {
        daily: context
            .config
            .budget
            .daily_usd
            .map(super::super::money::Decimal::micros),
        monthly: context
            .config
            .budget
            .monthly_usd
            .map(super::super::money::Decimal::micros),
    };
    if caps == Caps::default() {
        return Ok(());
    }
    let day = today.format("%Y-%m-%d").to_string();
    let month = today.format("%Y-%m-01").to_string();
    match budget::judge(
        caps,
        store.spend_since(&day)?,
        store.spend_since(&month)?,
        total,
    ) {
        Verdict::Within => Ok(()),
        Verdict::Warn(message) => {
            if speak {
                eprintln!("tintype: budget: {message}");
            }
            Ok(())
        }
        Verdict::Refuse(message) if !insist => Err(CliError::Budget(message)),
        Verdict::Refuse(message) => {
            if speak {
                eprintln!("tintype: budget: going ahead (--yes): {message}");
            }
            Ok(())
        }
    }
}
