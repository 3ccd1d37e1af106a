//! The full-screen terminal interface (ratatui + crossterm). Input becomes an `Action`,
//! `update` changes state and may ask for work, background tasks do the work and send
//! their results back as actions, and the screen is redrawn from state. Nothing here
//! awaits a network call while handling a key or drawing.

pub mod monitor;
pub mod wizard;

pub use crate::text::board;

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// A `width` x `height` rectangle in the middle of `area` (smaller if `area` is), for
/// pop-ups: help, prompts, confirmations.
pub fn centered(area: ratatui::layout::Rect, width: u16, height: u16) -> ratatui::layout::Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    ratatui::layout::Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// While a full screen is up, log lines would land in the middle of it and scroll it: they
/// are held here instead, and printed to stderr when the screen is left.
static SCREEN_UP: AtomicBool = AtomicBool::new(false);
static HELD: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Held log text beyond this is dropped (and said so) rather than grow without bound.
const HELD_LIMIT: usize = 1 << 20;

/// Where log lines go: stderr, or the held buffer while a full screen is up.
pub struct LogWriter;

/// For `tracing_subscriber::fmt().with_writer(...)`.
pub fn log_writer() -> LogWriter {
    LogWriter
}

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if SCREEN_UP.load(Ordering::SeqCst) {
            if let Ok(mut held) = HELD.lock()
                && held.len() < HELD_LIMIT
            {
                held.extend_from_slice(buf);
            }
            Ok(buf.len())
        } else {
            std::io::stderr().write(buf)
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// The full screen is up: hold log lines from now on.
pub fn screen_taken() {
    SCREEN_UP.store(true, Ordering::SeqCst);
}

/// The terminal is back to normal: print what was held.
pub fn screen_released() {
    SCREEN_UP.store(false, Ordering::SeqCst);
    if let Ok(mut held) = HELD.lock()
        && !held.is_empty()
    {
        let mut err = std::io::stderr();
        let _ = err.write_all(&held);
        if held.len() >= HELD_LIMIT {
            let _ = writeln!(err, "(more log lines were dropped while the screen was up)");
        }
        held.clear();
    }
}
