//! The studio: one `Action` vocabulary, a `State` whose `update` returns
//! effects as data, a runner that does the I/O those effects ask for, and a
//! loop that drains every message before drawing once.

pub mod action;
mod actions;
pub mod effect;
pub mod form;
mod form_edit;
mod form_rules;
pub mod gallery;
mod image_actions;
mod job_events;
pub mod jobs;
pub mod keymap;
mod keymap_defaults;
mod keys;
pub mod msg;
pub mod overlay;
pub mod previews;
pub mod prompt;
pub mod run;
pub mod runner;
mod screen_actions;
pub mod screens;
pub mod state;
pub mod submit;
pub mod terminal;

pub use action::Action;
pub use effect::Effect;
pub use image_actions::tidy;
pub use msg::Msg;
pub use state::{Level, Pane, Screen, State};
