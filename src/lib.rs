//! tintype: a terminal studio for AI image generation.
//!
//! Data flows one way: catalog → validated request → engine → events → state → render.

pub mod app;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod engine;
pub mod money;
pub mod presets;
pub mod preview;
pub mod providers;
pub mod store;
pub mod text;
pub mod ui;
