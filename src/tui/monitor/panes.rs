//! Which pane has the keys, and which row of each list is selected. Rows are remembered by
//! what they are (a task's id, a worker's name), not by their place, so a refresh that
//! reorders the tasks never moves `x` onto another task than the one highlighted.

use crate::ops::status::StackStatus;

/// The panes that take keys, in the order Tab visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Logs,
    Tasks,
    Workers,
    FlowRuns,
    Events,
}

impl Pane {
    const ORDER: [Pane; 5] = [
        Pane::Logs,
        Pane::Tasks,
        Pane::Workers,
        Pane::FlowRuns,
        Pane::Events,
    ];

    pub fn next(self) -> Pane {
        let i = Self::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        Self::ORDER[(i + 1) % Self::ORDER.len()]
    }

    pub fn prev(self) -> Pane {
        let i = Self::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        Self::ORDER[(i + Self::ORDER.len() - 1) % Self::ORDER.len()]
    }

    /// As the footer and the pane titles name it.
    pub fn name(self) -> &'static str {
        match self {
            Pane::Logs => "logs",
            Pane::Tasks => "tasks",
            Pane::Workers => "workers",
            Pane::FlowRuns => "flow runs",
            Pane::Events => "events",
        }
    }

    /// Whether the pane is a list of rows (↑/↓ select, Enter opens one).
    pub fn has_rows(self) -> bool {
        self != Pane::Logs
    }
}

/// The selected row of every list pane.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub task: Option<String>,
    pub worker: Option<String>,
    pub flow_run: Option<String>,
    pub event: usize,
}

/// The keys of a pane's rows, in the order they are drawn.
pub fn row_keys(status: Option<&StackStatus>, pane: Pane) -> Vec<String> {
    let Some(s) = status else {
        return Vec::new();
    };
    match pane {
        Pane::Tasks => s.tasks.iter().map(|t| t.id.clone()).collect(),
        Pane::Workers => s.workers.iter().map(|w| w.name.clone()).collect(),
        Pane::FlowRuns => s.flow_runs.iter().map(|r| r.name.clone()).collect(),
        Pane::Events => (0..s.service.as_ref().map_or(0, |v| v.events.len()))
            .map(|i| i.to_string())
            .collect(),
        Pane::Logs => Vec::new(),
    }
}

impl Selection {
    fn key(&self, pane: Pane) -> Option<String> {
        match pane {
            Pane::Tasks => self.task.clone(),
            Pane::Workers => self.worker.clone(),
            Pane::FlowRuns => self.flow_run.clone(),
            Pane::Events => Some(self.event.to_string()),
            Pane::Logs => None,
        }
    }

    fn set(&mut self, pane: Pane, key: Option<String>) {
        match pane {
            Pane::Tasks => self.task = key,
            Pane::Workers => self.worker = key,
            Pane::FlowRuns => self.flow_run = key,
            Pane::Events => self.event = key.and_then(|k| k.parse().ok()).unwrap_or(0),
            Pane::Logs => {}
        }
    }

    /// The selected row's place in the pane, if it is still there.
    pub fn index(&self, status: Option<&StackStatus>, pane: Pane) -> Option<usize> {
        let keys = row_keys(status, pane);
        let key = self.key(pane)?;
        keys.iter().position(|k| *k == key)
    }

    /// Moves the selection by `delta` rows, stopping at the first and the last.
    pub fn step(&mut self, status: Option<&StackStatus>, pane: Pane, delta: isize) {
        let keys = row_keys(status, pane);
        if keys.is_empty() {
            return;
        }
        let at = self.index(status, pane).unwrap_or(0) as isize;
        let to = (at + delta).clamp(0, keys.len() as isize - 1) as usize;
        self.set(pane, keys.get(to).cloned());
    }

    pub fn first(&mut self, status: Option<&StackStatus>, pane: Pane) {
        self.set(pane, row_keys(status, pane).first().cloned());
    }

    pub fn last(&mut self, status: Option<&StackStatus>, pane: Pane) {
        self.set(pane, row_keys(status, pane).last().cloned());
    }

    /// After a refresh: a row that went away gives way to the first one.
    pub fn refresh(&mut self, status: &StackStatus) {
        for pane in [Pane::Tasks, Pane::Workers, Pane::FlowRuns, Pane::Events] {
            let keys = row_keys(Some(status), pane);
            if self.key(pane).is_none_or(|k| !keys.contains(&k)) {
                self.set(pane, keys.first().cloned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::status::WorkerView;

    fn with_tasks(ids: &[&str]) -> StackStatus {
        let mut s = StackStatus::default();
        for id in ids {
            s.tasks
                .push(crate::aws::status::TaskStatus::healthy(id, "RUNNING"));
        }
        s
    }

    #[test]
    fn tab_visits_every_pane_and_comes_back() {
        let mut pane = Pane::default();
        let mut seen = vec![pane];
        for _ in 0..4 {
            pane = pane.next();
            seen.push(pane);
        }
        assert_eq!(pane.next(), Pane::Logs);
        assert_eq!(seen[1], Pane::Tasks, "Tab from the logs goes to the tasks");
        assert_eq!(Pane::Logs.prev(), Pane::Events);
        assert_eq!(Pane::Tasks.prev(), Pane::Logs);
    }

    #[test]
    fn the_selection_stops_at_the_ends_and_follows_its_task_through_a_reorder() {
        let s = with_tasks(&["a", "b", "c"]);
        let mut sel = Selection::default();
        sel.refresh(&s);
        assert_eq!(sel.task.as_deref(), Some("a"));
        sel.step(Some(&s), Pane::Tasks, -1);
        assert_eq!(sel.task.as_deref(), Some("a"), "stops at the first");
        sel.step(Some(&s), Pane::Tasks, 5);
        assert_eq!(sel.task.as_deref(), Some("c"), "stops at the last");
        sel.step(Some(&s), Pane::Tasks, -1);
        // A new task sorts in front: the selection stays on b.
        let s = with_tasks(&["z", "a", "b", "c"]);
        sel.refresh(&s);
        assert_eq!(sel.task.as_deref(), Some("b"));
        assert_eq!(sel.index(Some(&s), Pane::Tasks), Some(2));
        // b is gone: the first row.
        let s = with_tasks(&["z", "c"]);
        sel.refresh(&s);
        assert_eq!(sel.task.as_deref(), Some("z"));
    }

    #[test]
    fn workers_are_selected_by_name() {
        let mut s = StackStatus::default();
        for name in ["w1", "w2"] {
            s.workers.push(WorkerView {
                name: name.into(),
                status: "ONLINE".into(),
                heartbeat_age: Some(1),
            });
        }
        let mut sel = Selection::default();
        sel.refresh(&s);
        sel.step(Some(&s), Pane::Workers, 1);
        assert_eq!(sel.worker.as_deref(), Some("w2"));
    }
}
