//! `tintype gen`: validate, estimate, check the budget, then run the jobs and
//! report each step on stderr and the saved paths (or JSON) on stdout.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use super::context::{DefaultReason, warn};
use super::gen_output::{self, Printer};
use super::{CliError, CliResult, Context};
use crate::catalog::{Cost, Draft, ParamError, ParamValue, ValidRequest, estimate, input};
use crate::config::keys::process_env;
use crate::engine::budget::{self, Caps, Verdict};
use crate::engine::{JobContext, JobEvent, JobOutcome, Queued, queue, run_job};
use crate::store::{ErrorInfo, JobState, Stamp, Store};

#[derive(Debug, Args)]
pub struct GenArgs {
    /// The prompt (several words are joined); `-` reads it from standard input.
    /// With --preset, it replaces the preset's prompt
    pub prompt: Vec<String>,
    /// Model id, or an unambiguous end of one (`dall-e-3`); see `tintype models`
    #[arg(short, long)]
    pub model: Option<String>,
    /// generate, edit, variation, upscale, remove-background, inpaint, erase...
    #[arg(long = "op", value_name = "OPERATION")]
    pub operation: Option<String>,
    #[arg(long, value_name = "WxH")]
    pub size: Option<String>,
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

    /// The request as typed: the preset's draft (if any) with the flags on top.
    fn draft(&self, base: Draft) -> Result<Draft, CliError> {
        let mut draft = base;
        for pair in &self.params {
            let (key, value) = split_pair(pair, "--param KEY=VALUE")?;
            draft.params.insert(key, ParamValue::text(value));
        }
        let named = [
            ("size", self.size.clone()),
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

pub fn run(args: &GenArgs) -> CliResult {
    let context = Context::load()?;
    let catalog = context.catalog()?;
    let preset = args.preset_draft(&context)?;
    let (model, reason) = match (&args.model, &preset) {
        (Some(model), _) => (model.clone(), None),
        (None, Some(draft)) => (draft.model.clone(), None),
        (None, None) => {
            let (model, why) = context.default_model(&catalog, &process_env);
            (model, Some(why))
        }
    };
    let base = Draft {
        model,
        ..preset.unwrap_or_default()
    };
    let request = catalog
        .validate(&args.draft(base)?)
        .map_err(|errors| refuse(&errors, args.json))?;
    let speak = !args.quiet && !args.json;
    if speak && let Some(reason) = reason {
        eprintln!("tintype: {}", default_note(&request, &reason));
    }
    let today = chrono::Local::now().date_naive();
    warn(
        request
            .model
            .deprecation_notice(&today.format("%Y-%m-%d").to_string()),
    );
    let cost = estimate(&request);
    if args.dry_run {
        gen_output::dry_run(&request, &cost, args.json);
        return Ok(());
    }
    let mut store = context.store()?;
    check_budget(&context, &store, &cost, today, args.yes, speak)?;
    let provider = crate::providers::setup::provider(
        &request.model.provider,
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

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)?;
    let images_dir = context.paths.images();
    let printer = Printer::new(!args.quiet);
    let (queued, outcomes) = runtime.block_on(async {
        let (events, mut updates) = tokio::sync::mpsc::unbounded_channel();
        let show = tokio::spawn(async move {
            while let Some(event) = updates.recv().await {
                printer.show(&event);
            }
        });
        let mut jobs = JobContext {
            store: &mut store,
            images_dir: &images_dir,
            events: &events,
            retry: context.config.retry.policy(),
        };
        let result = run_all(
            &mut jobs,
            provider.as_ref(),
            &request,
            &cost,
            args.preset.as_deref(),
        )
        .await;
        drop(events);
        let _ = show.await;
        result
    })?;
    gen_output::report(&store, &request, &cost, &queued, &outcomes, args.json)
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
    cost: &Cost,
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
        cost.micros,
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

async fn run_all(
    jobs: &mut JobContext<'_>,
    provider: &dyn crate::providers::Provider,
    request: &ValidRequest,
    cost: &Cost,
    preset: Option<&str>,
) -> Result<(Queued, Vec<JobOutcome>), CliError> {
    let queued = queue(jobs.store, request, cost, preset, &Stamp::now())?;
    for (job, n) in &queued.jobs {
        let _ = jobs.events.send(JobEvent::Queued {
            request: queued.request_id,
            job: *job,
            n: *n,
        });
    }
    let mut outcomes = Vec::new();
    let interrupted = {
        let all = async {
            for index in 0..queued.jobs.len() {
                outcomes.push(run_job(jobs, provider, request, &queued, index).await?);
            }
            Ok::<(), crate::store::StoreError>(())
        };
        tokio::select! {
            result = all => { result?; false }
            _ = tokio::signal::ctrl_c() => true,
        }
    };
    if interrupted {
        cancel_unfinished(jobs.store, &queued, jobs.events)?;
        return Err(CliError::Provider(
            "canceled (Ctrl-C); finished images were kept".into(),
        ));
    }
    Ok((queued, outcomes))
}

/// After Ctrl-C: every job of the request not yet finished ends as canceled,
/// so nothing is left looking like it still runs.
fn cancel_unfinished(
    store: &mut Store,
    queued: &Queued,
    events: &tokio::sync::mpsc::UnboundedSender<JobEvent>,
) -> Result<(), CliError> {
    let reason = ErrorInfo {
        class: "canceled".into(),
        message: "canceled from the keyboard (Ctrl-C)".into(),
    };
    for job in store.jobs_of(queued.request_id)? {
        if !job.state.is_finished() {
            store.finish_job(
                job.id,
                JobState::Canceled,
                Some(&reason),
                None,
                &Stamp::now(),
            )?;
            let _ = events.send(JobEvent::Canceled { job: job.id });
        }
    }
    Ok(())
}
