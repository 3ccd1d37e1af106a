//! prefect-tui: deploy a Prefect worker onto AWS ECS Fargate and watch it.
//!
//! The binary (`main.rs`) only parses, dispatches and maps errors to exit codes; everything
//! else lives here so tests and benchmarks drive the same engine the commands use.

#![deny(clippy::unwrap_used)]

pub mod aws;
pub mod cli;
pub mod commands;
pub mod error;
pub mod export;
pub mod network;
pub mod ops;
pub mod prefect;
pub mod profile;
pub mod secret;
pub mod stack;
pub mod text;
pub mod tui;
