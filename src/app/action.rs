//! The one vocabulary of the studio: every key binding names an `Action`, and
//! the help overlay reads its text from here, so a binding and its help can
//! never disagree. Config files name actions in `snake_case`.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // Everywhere.
    Quit,
    Help,
    NextPane,
    PrevPane,
    NextScreen,
    PrevScreen,
    Submit,
    Back,
    Search,
    Presets,
    Suspend,
    // Moving.
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Select,
    // Prompt (normal mode).
    Insert,
    ExternalEditor,
    ToggleNegative,
    SavePreset,
    // Parameters.
    ResetParam,
    // Jobs.
    CancelJob,
    CancelBatch,
    RetryJob,
    DropJob,
    // Gallery review.
    Keep,
    Reject,
    Star,
    Rate1,
    Rate2,
    Rate3,
    Rate4,
    Rate5,
    ClearRating,
    CycleFilter,
    Reroll,
    RerollSameSeed,
    Variation,
    EditFrom,
    Open,
    CopyPath,
    Export,
    // History and cost.
    Load,
    Rerun,
    RerunWithFormModel,
    GroupBy,
    // Compare.
    ToggleModel,
    MarkBest,
}

impl Action {
    /// A word or two for the status line's key hints.
    pub fn short(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::NextPane => "next pane",
            Action::Presets => "presets",
            Action::Insert => "type",
            Action::ExternalEditor => "$EDITOR",
            Action::SavePreset => "save preset",
            Action::Right => "change",
            Action::Select => "edit",
            Action::ResetParam => "reset",
            Action::CancelJob => "cancel",
            Action::CancelBatch => "cancel batch",
            Action::RetryJob => "retry",
            Action::DropJob => "drop",
            Action::Reroll => "reroll",
            Action::Export => "export kept",
            Action::Load => "load",
            Action::Rerun => "re-run",
            Action::RerunWithFormModel => "re-run with form's model",
            Action::GroupBy => "group by",
            Action::ToggleModel => "pick",
            Action::MarkBest => "best",
            Action::Back => "back",
            Action::Help => "help",
            Action::Quit => "quit",
            other => other.help().split([' ', ':']).next().unwrap_or(""),
        }
    }

    /// The line the help overlay shows for this action.
    pub fn help(self) -> &'static str {
        match self {
            Action::Quit => "quit (asks when jobs are running)",
            Action::Help => "this help",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::NextScreen => "next screen (studio, history, cost, compare)",
            Action::PrevScreen => "previous screen",
            Action::Submit => "submit the prompt with these parameters",
            Action::Back => "back out: close, leave insert mode, clear",
            Action::Search => "search history",
            Action::Presets => "pick a preset",
            Action::Suspend => "suspend to the shell (fg to return)",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::Left => "move left / previous choice",
            Action::Right => "move right / next choice",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first",
            Action::Bottom => "last",
            Action::Select => "open / edit the selected item",
            Action::Insert => "type in the prompt",
            Action::ExternalEditor => "edit the prompt in $EDITOR",
            Action::ToggleNegative => "switch between prompt and negative prompt",
            Action::SavePreset => "save prompt and parameters as a preset",
            Action::ResetParam => "reset the parameter to its default",
            Action::CancelJob => "cancel the selected job",
            Action::CancelBatch => "cancel the selected job's whole batch",
            Action::RetryJob => "retry a failed job (re-send an unknown outcome)",
            Action::DropJob => "drop a finished job from the list",
            Action::Keep => "keep the image",
            Action::Reject => "reject the image",
            Action::Star => "star / unstar the image",
            Action::Rate1 => "rate 1",
            Action::Rate2 => "rate 2",
            Action::Rate3 => "rate 3",
            Action::Rate4 => "rate 4",
            Action::Rate5 => "rate 5",
            Action::ClearRating => "clear the rating",
            Action::CycleFilter => "filter: all, kept, rejected, starred, unmarked",
            Action::Reroll => "reroll: same parameters, new seed",
            Action::RerollSameSeed => "reroll with the same seed",
            Action::Variation => "variation of the selected image",
            Action::EditFrom => "edit: the selected image becomes the input",
            Action::Open => "open in the system viewer",
            Action::CopyPath => "copy the path (OSC 52)",
            Action::Export => "export kept images and a contact sheet",
            Action::Load => "load into the prompt and form",
            Action::Rerun => "run it again as it was",
            Action::RerunWithFormModel => "run it again with the form's model",
            Action::GroupBy => "group by day, model, provider",
            Action::ToggleModel => "add / remove a model or size from the comparison",
            Action::MarkBest => "mark the best (star and keep)",
        }
    }
}
