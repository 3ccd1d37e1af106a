//! The guided setup: `prefect-tui` / `prefect-tui init` as a full-screen wizard, and
//! `init --plain` as line prompts. Both collect the same answers, check them with the same
//! functions (`checks`), and deploy through the same engine as `prefect-tui deploy`.

pub mod app;
pub mod checks;
pub mod footer;
pub mod forms;
pub mod help;
pub mod plain;
pub mod production;
pub mod run;
#[cfg(test)]
mod screen_tests;
#[cfg(test)]
mod snapshot_tests;
mod steps;
pub mod ui;
pub mod url_check;
pub mod widgets;
pub mod work;
