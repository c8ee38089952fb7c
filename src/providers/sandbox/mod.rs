//! The built-in offline provider: deterministic procedural placeholders, no AI.

pub mod label;
mod provider;
pub mod render;
mod scene;
pub mod transform;

pub use provider::Sandbox;
