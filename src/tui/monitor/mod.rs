//! The live monitor: header, service, tasks, workers and flow runs, and the workers' logs.
//! `app` is the state and its transitions (pure, unit-tested), `keys` the one key table,
//! `ui` the drawing (snapshot-tested), `run` the terminal and the background pollers.

pub mod app;
pub mod keys;
pub mod run;
pub mod ui;

pub use app::{Action, MonitorApp, Work};

#[cfg(test)]
mod snapshot_tests;
