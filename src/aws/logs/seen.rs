//! Which events a tail has already shown, whichever source brought them.
//!
//! A polled event has CloudWatch's event id; a live tail event has none. So each event is
//! also counted under its content (stream, timestamp, message) per source: polling (by
//! distinct ids) and each live tail session (which delivers an event once) each saw some
//! number of events with that content; the largest of those numbers is how many distinct
//! events exist, and a sighting is new exactly when it raises that number above what was
//! shown. Two real events with the same content (a worker printing the same line twice in
//! one millisecond) are both shown, and no source's echo of them is, not even a session
//! that replays events an earlier one delivered. Within polling, the id alone decides.
//!
//! What is remembered is bounded by a horizon: events older than it are forgotten, and an
//! event older than it is never new again, whichever source brings it. Polling never asks
//! for them (its window starts there), but a live tail session may deliver them: one that
//! opens with what the group already holds (moto's does) hands over events polled and
//! forgotten long ago, with no id to recognise them by. The horizon starts where the tail
//! starts (`--since`), so nothing older than that shows either.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use super::LogEvent;

#[derive(Debug, Default)]
struct Sightings {
    polled: u32,
    /// Sightings in the live tail session `session`.
    live: u32,
    session: u32,
    shown: u32,
}

impl Sightings {
    /// Counts one more sighting by a source that has now seen `count`; true when that
    /// makes one more distinct event than was shown.
    fn raise(&mut self, count: u32) -> bool {
        let fresh = count > self.shown;
        self.shown = self.shown.max(count);
        fresh
    }
}

#[derive(Debug, Default)]
pub(super) struct Seen {
    ids: HashSet<String>,
    /// By a 64-bit hash of the content: a collision between two different lines inside
    /// one overlap window is far less likely than any network fault, and keeping hashes
    /// rather than the lines keeps the window's memory small.
    sightings: HashMap<u64, Sightings>,
    /// (timestamp, content, polled id) in arrival order, to forget what left the window.
    order: VecDeque<(i64, u64, Option<String>)>,
    /// The live tail session now delivering.
    session: u32,
    /// Events older than this (ms since the epoch) were shown and forgotten, or were
    /// never asked for: none is new.
    horizon: i64,
}

fn content_key(event: &LogEvent) -> u64 {
    let mut h = DefaultHasher::new();
    (&event.stream, event.timestamp, &event.message).hash(&mut h);
    h.finish()
}

impl Seen {
    /// Remembers nothing yet; events older than `horizon` are never new.
    pub fn since(horizon: i64) -> Self {
        Self {
            horizon,
            ..Self::default()
        }
    }

    /// Records a polled event; true when it was not shown before.
    pub fn admit_polled(&mut self, event: &LogEvent) -> bool {
        if event.timestamp < self.horizon || !self.ids.insert(event.event_id.clone()) {
            return false;
        }
        let key = content_key(event);
        let seen = self.sightings.entry(key).or_default();
        seen.polled += 1;
        let fresh = seen.raise(seen.polled);
        self.order
            .push_back((event.timestamp, key, Some(event.event_id.clone())));
        fresh
    }

    /// Records a live tail event; its local id when it was not shown before.
    pub fn admit_live(&mut self, event: &LogEvent) -> Option<String> {
        if event.timestamp < self.horizon {
            return None;
        }
        let key = content_key(event);
        let seen = self.sightings.entry(key).or_default();
        if seen.session != self.session {
            seen.session = self.session;
            seen.live = 0;
        }
        seen.live += 1;
        let fresh = seen
            .raise(seen.live)
            .then(|| format!("live-{key:016x}-{}", seen.shown));
        self.order.push_back((event.timestamp, key, None));
        fresh
    }

    /// A new live tail session starts: its sightings are counted afresh.
    pub fn new_session(&mut self) {
        self.session += 1;
    }

    /// Forgets events older than `cutoff`: no poll asks for them again, and no source's
    /// copy of them is new.
    pub fn forget_before(&mut self, cutoff: i64) {
        self.horizon = self.horizon.max(cutoff);
        while let Some((ts, _, _)) = self.order.front() {
            if *ts >= cutoff {
                break;
            }
            if let Some((_, key, id)) = self.order.pop_front() {
                self.sightings.remove(&key);
                if let Some(id) = id {
                    self.ids.remove(&id);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }
}
