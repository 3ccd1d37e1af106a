//! The live monitor: header, service, tasks, workers, flow runs, service events, CPU and
//! memory charts, and the workers' logs. `app` is the state and its transitions (pure,
//! unit-tested), with the logs pane's state in `logview` and the focus and selection in
//! `panes`; `keys` is the one key table; `ui` and `ui_panes` the drawing (snapshot-tested),
//! `detail` the detail view's words; `run` the terminal and the background pollers.

pub mod app;
pub mod detail;
pub mod keys;
pub mod logview;
pub mod panes;
pub mod run;
pub mod ui;
pub mod ui_panes;

pub use app::{Action, MonitorApp, Work};

#[cfg(test)]
mod snapshot_tests;
