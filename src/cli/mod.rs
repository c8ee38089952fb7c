//! The command line: one file per subcommand, each parsing into a typed
//! options struct; this file holds the shared context and the exit codes.

mod context;
mod cost;
mod doctor;
mod gen_cmd;
mod gen_output;
mod gen_run;
mod history;
mod inline;
mod inspect;
mod models;
mod presets;
mod progress;
mod resume;
mod session;
mod show;
mod studio;
mod table;
mod welcome;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

pub use context::Context;

#[derive(Debug, Parser)]
#[command(
    name = "tintype",
    version,
    about = "A terminal studio for AI image generation",
    long_about = "A terminal studio for AI image generation: OpenAI, Replicate, Stability, Gemini and remove.bg, \
                  with an offline sandbox that needs no key.\n\nRun without a command to open the studio."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the models tintype knows: operations, sizes, limits and prices
    Models(models::ModelsArgs),
    /// Generate (or edit, vary, upscale...) images
    #[command(name = "gen")]
    Generate(Box<gen_cmd::GenArgs>),
    /// The presets: ready-made prompts and parameters with variables
    Presets(presets::PresetsArgs),
    /// Spend by day, model or provider
    Cost(cost::CostArgs),
    /// Past requests, newest first; full-text search over prompts
    History(history::HistoryArgs),
    /// Show the recipe saved with an image, and the command that makes it again
    Inspect(inspect::InspectArgs),
    /// Pick up jobs a stopped tintype left unfinished, or mark them interrupted
    Resume(resume::ResumeArgs),
    /// Print one image in the terminal (kitty, sixel, iTerm2 or half blocks)
    Show(show::ShowArgs),
    Doctor(doctor::DoctorArgs),
    /// Print shell completions
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
}

/// Why a command failed, and so which exit code it ends with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The request does not fit the catalog (exit 2); each error already printed.
    #[error("{0}")]
    Invalid(String),
    /// A provider or the network failed (exit 3).
    #[error("{0}")]
    Provider(String),
    /// Refused by the budget (exit 4).
    #[error("{0}")]
    Budget(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Invalid(_) => 2,
            CliError::Provider(_) => 3,
            CliError::Budget(_) => 4,
            CliError::Other(_) => 1,
        }
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(error: crate::store::StoreError) -> Self {
        CliError::Other(error.into())
    }
}

pub type CliResult = Result<(), CliError>;

pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        None if std::io::IsTerminal::is_terminal(&std::io::stdout()) => studio::run(),
        None => welcome::run(),
        Some(Command::Models(args)) => models::run(&args),
        Some(Command::Generate(args)) => gen_cmd::run(&args),
        Some(Command::Presets(args)) => presets::run(&args),
        Some(Command::Cost(args)) => cost::run(&args),
        Some(Command::History(args)) => history::run(&args),
        Some(Command::Inspect(args)) => inspect::run(&args),
        Some(Command::Resume(args)) => resume::run(&args),
        Some(Command::Show(args)) => show::run(&args),
        Some(Command::Doctor(args)) => doctor::run(&args),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "tintype",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let message = match &error {
                CliError::Other(e) => format!("{e:#}"),
                other => other.to_string(),
            };
            if !message.is_empty() {
                let _ = writeln!(std::io::stderr(), "tintype: {message}");
            }
            ExitCode::from(error.exit_code())
        }
    }
}
