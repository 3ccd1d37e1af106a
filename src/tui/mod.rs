//! The full-screen terminal interface (ratatui + crossterm). Input becomes an `Action`,
//! `update` changes state and may ask for work, background tasks do the work and send
//! their results back as actions, and the screen is redrawn from state. Nothing here
//! awaits a network call while handling a key or drawing.

pub mod board;
pub mod monitor;
pub mod wizard;
