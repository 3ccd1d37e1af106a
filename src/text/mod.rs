//! Words for people, made from typed reports at the edge: the plan, the account of what
//! exists, progress lines. The plain commands, the line prompts and the full screens all
//! show these, so a plan or a failure reads the same wherever it appears. Nothing here is
//! ever parsed back into data.

pub mod board;
pub mod cost;
pub mod day_two;
pub mod exists;
pub mod plan;
pub mod progress;
pub mod verify;
