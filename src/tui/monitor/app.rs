//! Monitor state and its transitions. `update` never does I/O: it returns the `Work` the
//! runner should start (scale, redeploy, stop a task).

use std::collections::VecDeque;

use crate::aws::logs::{LogEvent, TailSource};
use crate::ops::status::StackStatus;

/// Everything that can happen to the monitor.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Leave the monitor.
    Quit,
    /// Show or hide the key help.
    ToggleHelp,
    /// Keep the newest log line in view, or stop doing so.
    ToggleFollow,
    /// Scroll the logs one line towards older lines.
    ScrollUp,
    /// Scroll the logs one line towards newer lines.
    ScrollDown,
    /// Scroll the logs a page towards older lines.
    PageUp,
    /// Scroll the logs a page towards newer lines.
    PageDown,
    /// Wrap long log lines, or cut them.
    ToggleWrap,
    /// Show log timestamps, or hide them.
    ToggleTimestamps,
    /// Show only the next task's logs (then all again).
    CycleTaskFilter,
    /// Start typing a search.
    StartSearch,
    /// Ask for a new desired count.
    AskScale,
    /// Ask before forcing a new deployment.
    AskRedeploy,
    /// Ask before stopping the newest running task.
    AskStopTask,
    /// A character typed into the search or a prompt.
    Input(char),
    /// Delete the last typed character.
    Backspace,
    /// Accept the search or the prompt.
    Submit,
    /// Close the search, the prompt or the help.
    Cancel,
    /// Fresh state of the stack arrived.
    StatusLoaded(Box<StackStatus>),
    /// Reading the stack's state failed.
    StatusFailed(String),
    /// New log lines arrived.
    LogsArrived(Vec<LogEvent>),
    /// Reading the logs failed.
    LogsFailed(String),
    /// The logs now come from live tail, or from polling (and why).
    LogSource(TailSource),
    /// An action on the stack finished; the text says what happened.
    WorkDone(String),
    /// An action on the stack failed.
    WorkFailed(String),
}

/// Work for the runner: each changes the stack, so each was confirmed first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    Scale(u32),
    Redeploy,
    StopTask(String),
}

/// A question on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Search(String),
    ScaleTo(String),
    Confirm { question: String, work: Work },
}

#[derive(Debug, Clone)]
pub struct MonitorApp {
    pub status: Option<StackStatus>,
    pub logs: VecDeque<LogEvent>,
    pub max_logs: usize,
    pub follow: bool,
    /// Lines up from the newest (0 = bottom).
    pub scroll: usize,
    pub wrap: bool,
    pub timestamps: bool,
    pub task_filter: Option<String>,
    pub search: Option<String>,
    pub prompt: Option<Prompt>,
    pub help: bool,
    /// The last refresh, as shown ("refreshed 12:00:01").
    pub refreshed: Option<String>,
    /// The latest error or result, shown in the status line.
    pub message: Option<(bool, String)>,
    pub quit: bool,
    /// Lines the logs pane shows, set by the drawing, for paging.
    pub page: usize,
    /// Where the logs come from, once known.
    pub log_source: Option<TailSource>,
}

impl MonitorApp {
    pub fn new(max_logs: usize) -> Self {
        Self {
            status: None,
            logs: VecDeque::new(),
            max_logs: max_logs.max(1),
            follow: true,
            scroll: 0,
            wrap: false,
            timestamps: true,
            task_filter: None,
            search: None,
            prompt: None,
            help: false,
            refreshed: None,
            message: None,
            quit: false,
            page: 10,
            log_source: None,
        }
    }

    /// The log lines the current filter lets through, oldest first.
    pub fn visible_logs(&self) -> impl Iterator<Item = &LogEvent> {
        self.logs
            .iter()
            .filter(move |e| self.task_filter.as_ref().is_none_or(|t| &e.task == t))
    }

    fn tasks_with_logs(&self) -> Vec<String> {
        let mut tasks: Vec<String> = Vec::new();
        for e in &self.logs {
            if !tasks.contains(&e.task) {
                tasks.push(e.task.clone());
            }
        }
        tasks
    }

    fn newest_running_task(&self) -> Option<String> {
        self.status
            .as_ref()?
            .tasks
            .iter()
            .rev()
            .find(|t| t.last_status == "RUNNING")
            .map(|t| t.id.clone())
    }

    /// Applies one action; returns the work to start, if any.
    pub fn update(&mut self, action: Action) -> Option<Work> {
        if let Some(prompt) = self.prompt.clone() {
            return self.update_prompt(prompt, action);
        }
        match action {
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.help = !self.help,
            Action::Cancel => {
                self.help = false;
                self.search = None;
            }
            Action::ToggleFollow => {
                self.follow = !self.follow;
                if self.follow {
                    self.scroll = 0;
                }
            }
            Action::ScrollUp => self.scroll_by(1),
            Action::PageUp => self.scroll_by(self.page.max(1)),
            Action::ScrollDown => self.scroll_down(1),
            Action::PageDown => self.scroll_down(self.page.max(1)),
            Action::ToggleWrap => self.wrap = !self.wrap,
            Action::ToggleTimestamps => self.timestamps = !self.timestamps,
            Action::CycleTaskFilter => {
                let tasks = self.tasks_with_logs();
                self.task_filter = match &self.task_filter {
                    None => tasks.first().cloned(),
                    Some(current) => tasks
                        .iter()
                        .position(|t| t == current)
                        .and_then(|i| tasks.get(i + 1).cloned()),
                };
                self.scroll = 0;
            }
            Action::StartSearch => self.prompt = Some(Prompt::Search(String::new())),
            Action::AskScale => self.prompt = Some(Prompt::ScaleTo(String::new())),
            Action::AskRedeploy => {
                self.prompt = Some(Prompt::Confirm {
                    question: "Force a new deployment of the service (new tasks replace the old)?"
                        .to_owned(),
                    work: Work::Redeploy,
                })
            }
            Action::AskStopTask => match self.newest_running_task() {
                Some(id) => {
                    self.prompt = Some(Prompt::Confirm {
                        question: format!("Stop task {id}? The service starts a replacement."),
                        work: Work::StopTask(id),
                    })
                }
                None => self.message = Some((true, "No running task to stop.".to_owned())),
            },
            Action::StatusLoaded(status) => {
                // A read error is shown until a read succeeds; what an action did stays.
                match status.errors.first() {
                    Some(e) => self.message = Some((true, format!("Could not read {e}"))),
                    None if self.message.as_ref().is_some_and(|(error, _)| *error) => {
                        self.message = None
                    }
                    None => {}
                }
                self.status = Some(*status);
                self.refreshed = Some(clock());
            }
            Action::StatusFailed(e) | Action::LogsFailed(e) | Action::WorkFailed(e) => {
                self.message = Some((true, e))
            }
            Action::WorkDone(text) => self.message = Some((false, text)),
            Action::LogsArrived(events) => self.add_logs(events),
            Action::LogSource(source) => {
                // Said once, when the tail falls back; the status line keeps the mode.
                if let TailSource::Polling(why) = &source {
                    self.message = Some((
                        false,
                        format!("Live tail is not available ({why}): polling the logs."),
                    ));
                }
                self.log_source = Some(source);
            }
            Action::Input(_) | Action::Backspace | Action::Submit => {}
        }
        None
    }

    fn update_prompt(&mut self, prompt: Prompt, action: Action) -> Option<Work> {
        // Data keeps arriving while a prompt is open.
        if matches!(
            action,
            Action::StatusLoaded(_)
                | Action::StatusFailed(_)
                | Action::LogsArrived(_)
                | Action::LogsFailed(_)
                | Action::LogSource(_)
                | Action::WorkDone(_)
                | Action::WorkFailed(_)
        ) {
            self.prompt = None;
            self.update(action);
            self.prompt = Some(prompt);
            return None;
        }
        match (prompt, action) {
            (_, Action::Cancel) => self.prompt = None,
            (Prompt::Search(mut text), Action::Input(c)) => {
                text.push(c);
                self.prompt = Some(Prompt::Search(text));
            }
            (Prompt::Search(mut text), Action::Backspace) => {
                text.pop();
                self.prompt = Some(Prompt::Search(text));
            }
            (Prompt::Search(text), Action::Submit) => {
                self.search = (!text.is_empty()).then_some(text);
                self.prompt = None;
            }
            (Prompt::ScaleTo(mut text), Action::Input(c))
                if c.is_ascii_digit() && text.len() < 3 =>
            {
                text.push(c);
                self.prompt = Some(Prompt::ScaleTo(text));
            }
            (Prompt::ScaleTo(mut text), Action::Backspace) => {
                text.pop();
                self.prompt = Some(Prompt::ScaleTo(text));
            }
            (Prompt::ScaleTo(text), Action::Submit) => match text.parse::<u32>() {
                Ok(n) if n <= 100 => {
                    self.prompt = Some(Prompt::Confirm {
                        question: format!("Scale the service to {n} task(s)?"),
                        work: Work::Scale(n),
                    })
                }
                _ => {
                    self.prompt = None;
                    self.message = Some((true, "Type a number of tasks from 0 to 100.".to_owned()));
                }
            },
            (Prompt::Confirm { work, .. }, Action::Input('y' | 'Y')) => {
                self.prompt = None;
                self.message = Some((false, "Working...".to_owned()));
                return Some(work);
            }
            (Prompt::Confirm { .. }, Action::Input(_)) => self.prompt = None,
            (prompt, _) => self.prompt = Some(prompt),
        }
        None
    }

    fn add_logs(&mut self, events: Vec<LogEvent>) {
        let added = events.len();
        self.logs.extend(events);
        while self.logs.len() > self.max_logs {
            self.logs.pop_front();
        }
        // Reading older lines: keep them in place while new ones arrive below.
        if !self.follow {
            self.scroll = (self.scroll + added).min(self.logs.len());
        }
    }

    fn scroll_by(&mut self, n: usize) {
        self.follow = false;
        self.scroll = (self.scroll + n).min(self.logs.len().saturating_sub(1));
    }

    fn scroll_down(&mut self, n: usize) {
        self.scroll = self.scroll.saturating_sub(n);
        if self.scroll == 0 {
            self.follow = true;
        }
    }
}

fn clock() -> String {
    let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
    now.fmt(aws_smithy_types::date_time::Format::DateTime)
        .ok()
        .and_then(|t| t.get(11..19).map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(task: &str, n: usize) -> LogEvent {
        LogEvent {
            timestamp: n as i64,
            ingested: n as i64,
            stream: format!("worker/prefect-worker/{task}"),
            task: task.into(),
            message: format!("line {n}"),
            event_id: format!("{task}-{n}"),
        }
    }

    #[test]
    fn the_log_buffer_is_bounded_and_keeps_the_newest() {
        let mut app = MonitorApp::new(100);
        app.update(Action::LogsArrived(
            (0..250).map(|n| event("a", n)).collect(),
        ));
        assert_eq!(app.logs.len(), 100);
        assert_eq!(
            app.logs.front().map(|e| e.message.as_str()),
            Some("line 150")
        );
    }

    #[test]
    fn scrolling_up_stops_following_and_the_bottom_resumes_it() {
        let mut app = MonitorApp::new(100);
        app.update(Action::LogsArrived(
            (0..50).map(|n| event("a", n)).collect(),
        ));
        app.update(Action::ScrollUp);
        assert!(!app.follow);
        app.update(Action::LogsArrived(vec![event("a", 50)]));
        assert_eq!(app.scroll, 2, "the line being read stays in place");
        app.update(Action::ScrollDown);
        app.update(Action::ScrollDown);
        assert!(app.follow && app.scroll == 0);
    }

    #[test]
    fn task_filter_cycles_through_tasks_then_all() {
        let mut app = MonitorApp::new(100);
        app.update(Action::LogsArrived(vec![
            event("a", 0),
            event("b", 1),
            event("a", 2),
        ]));
        app.update(Action::CycleTaskFilter);
        assert_eq!(app.visible_logs().count(), 2);
        app.update(Action::CycleTaskFilter);
        assert_eq!(app.task_filter.as_deref(), Some("b"));
        app.update(Action::CycleTaskFilter);
        assert_eq!(app.task_filter, None);
        assert_eq!(app.visible_logs().count(), 3);
    }

    #[test]
    fn scaling_asks_for_a_number_then_for_confirmation() {
        let mut app = MonitorApp::new(10);
        app.update(Action::AskScale);
        app.update(Action::Input('2'));
        app.update(Action::Input('x'));
        assert_eq!(app.update(Action::Submit), None);
        assert!(matches!(
            &app.prompt,
            Some(Prompt::Confirm {
                work: Work::Scale(2),
                ..
            })
        ));
        assert_eq!(app.update(Action::Input('y')), Some(Work::Scale(2)));
        assert!(app.prompt.is_none());
        app.update(Action::AskRedeploy);
        assert_eq!(
            app.update(Action::Input('n')),
            None,
            "anything but y declines"
        );
        assert!(app.prompt.is_none());
    }

    #[test]
    fn search_is_typed_and_cancelled() {
        let mut app = MonitorApp::new(10);
        app.update(Action::StartSearch);
        for c in "err".chars() {
            app.update(Action::Input(c));
        }
        app.update(Action::Backspace);
        app.update(Action::Submit);
        assert_eq!(app.search.as_deref(), Some("er"));
        app.update(Action::Cancel);
        assert_eq!(app.search, None);
    }

    #[test]
    fn falling_back_to_polling_is_said_once_and_then_kept_as_the_mode() {
        let mut app = MonitorApp::new(10);
        app.update(Action::LogSource(TailSource::Polling(
            "the endpoint ended the session".into(),
        )));
        assert_eq!(
            app.log_source,
            Some(TailSource::Polling("the endpoint ended the session".into()))
        );
        let said = app.message.clone();
        assert!(
            said.as_ref()
                .is_some_and(|(error, text)| !error && text.contains("polling")),
            "{said:?}"
        );
        // Fresh state does not repeat it, and a later result replaces it.
        app.update(Action::StatusLoaded(Box::default()));
        assert_eq!(app.message, said);
        app.update(Action::WorkDone("Scaling to 2 task(s).".into()));
        app.update(Action::LogsArrived(vec![event("a", 1)]));
        assert_eq!(app.message, Some((false, "Scaling to 2 task(s).".into())));
        app.update(Action::LogSource(TailSource::Live));
        assert_eq!(app.message, Some((false, "Scaling to 2 task(s).".into())));
    }

    #[test]
    fn errors_show_in_the_status_line_without_losing_state() {
        let mut app = MonitorApp::new(10);
        app.update(Action::LogsArrived(vec![event("a", 0)]));
        app.update(Action::StatusFailed(
            "AWS throttled ecs:DescribeServices".into(),
        ));
        assert_eq!(
            app.message,
            Some((true, "AWS throttled ecs:DescribeServices".into()))
        );
        assert_eq!(app.logs.len(), 1);
        app.update(Action::WorkDone("Scaling to 2 task(s).".into()));
        app.update(Action::StatusLoaded(Box::default()));
        assert_eq!(
            app.message,
            Some((false, "Scaling to 2 task(s).".into())),
            "results stay"
        );
    }
}
