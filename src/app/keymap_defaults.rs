//! The default bindings, per pane: lazygit and gitui habits (hjkl and the
//! arrows move, `q` quits, `?` helps, Tab cycles panes).

use super::action::Action;
use super::keymap::KeyContext;

const MOVES: &[(&str, Action)] = &[
    ("up", Action::Up),
    ("k", Action::Up),
    ("down", Action::Down),
    ("j", Action::Down),
    ("left", Action::Left),
    ("h", Action::Left),
    ("right", Action::Right),
    ("l", Action::Right),
    ("pageup", Action::PageUp),
    ("pagedown", Action::PageDown),
    ("home", Action::Top),
    ("g", Action::Top),
    ("end", Action::Bottom),
    ("G", Action::Bottom),
    ("enter", Action::Select),
];

pub fn defaults(context: KeyContext) -> Vec<(&'static str, Action)> {
    use Action as A;
    let mut keys: Vec<(&str, Action)> = match context {
        KeyContext::Global => vec![
            ("q", A::Quit),
            ("ctrl-c", A::Quit),
            ("?", A::Help),
            ("f1", A::Help),
            ("tab", A::NextPane),
            ("shift-tab", A::PrevPane),
            ("]", A::NextScreen),
            ("[", A::PrevScreen),
            ("ctrl-s", A::Submit),
            ("ctrl-enter", A::Submit),
            ("esc", A::Back),
            ("/", A::Search),
            ("p", A::Presets),
            ("ctrl-p", A::Presets),
            ("ctrl-z", A::Suspend),
        ],
        KeyContext::Prompt => vec![
            ("i", A::Insert),
            ("enter", A::Insert),
            ("a", A::Insert),
            ("e", A::ExternalEditor),
            ("n", A::ToggleNegative),
            ("S", A::SavePreset),
        ],
        KeyContext::Params => vec![("backspace", A::ResetParam), ("delete", A::ResetParam)],
        KeyContext::Jobs => vec![
            ("x", A::CancelJob),
            ("X", A::CancelBatch),
            ("r", A::RetryJob),
            ("d", A::DropJob),
        ],
        KeyContext::Gallery => vec![
            ("a", A::Keep),
            ("x", A::Reject),
            ("s", A::Star),
            ("1", A::Rate1),
            ("2", A::Rate2),
            ("3", A::Rate3),
            ("4", A::Rate4),
            ("5", A::Rate5),
            ("0", A::ClearRating),
            ("f", A::CycleFilter),
            ("r", A::Reroll),
            ("R", A::RerollSameSeed),
            ("v", A::Variation),
            ("E", A::EditFrom),
            ("o", A::Open),
            ("y", A::CopyPath),
            ("w", A::Export),
        ],
        KeyContext::History => vec![
            ("enter", A::Load),
            ("r", A::Rerun),
            ("M", A::RerunWithFormModel),
        ],
        KeyContext::Cost => vec![("b", A::GroupBy), ("enter", A::GroupBy)],
        KeyContext::Compare => vec![
            (" ", A::ToggleModel),
            ("space", A::ToggleModel),
            ("b", A::MarkBest),
        ],
    };
    if context != KeyContext::Global && context != KeyContext::Prompt {
        // A pane's own `enter` (listed first) wins over the generic select.
        keys.extend_from_slice(MOVES);
    }
    keys
}
