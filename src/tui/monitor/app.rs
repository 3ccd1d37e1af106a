//! Monitor state and its transitions. `update` never does I/O: it returns the `Work` the
//! runner should start (scale, redeploy, stop a task). The logs pane's own state is in
//! `logview`, the focus and the selected rows in `panes`.

use super::logview::LogView;
use super::panes::{Pane, Selection};
use crate::aws::logs::{LogEvent, TailSource};
use crate::aws::status::metrics::ServiceMetrics;
use crate::aws::status::scaling::ScalingView;
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
    /// One up: the selection in a list pane, the logs or the open detail one line.
    Up,
    /// One down: the selection, the logs or the open detail.
    Down,
    /// A page up in the focused pane or the open detail.
    PageUp,
    /// A page down in the focused pane or the open detail.
    PageDown,
    /// To the first row, the oldest log line or the top of the detail.
    Top,
    /// To the last row, the newest log line (following again) or the end of the detail.
    Bottom,
    /// Give the keys to the next pane.
    FocusNext,
    /// Give the keys to the previous pane.
    FocusPrev,
    /// Open (or close) the detail of the selected row.
    ToggleDetail,
    /// Wrap long log lines, or cut them.
    ToggleWrap,
    /// Show log timestamps, or hide them.
    ToggleTimestamps,
    /// Show only the next task's logs (then all again).
    CycleTaskFilter,
    /// Show only the selected task's logs, in the logs pane.
    LogsOfSelectedTask,
    /// Start typing a search.
    StartSearch,
    /// Go to the next match of the search.
    NextMatch,
    /// Go to the previous match of the search.
    PrevMatch,
    /// Start typing a filter: only lines containing it stay.
    StartFilter,
    /// Ask for a new desired count.
    AskScale,
    /// Ask before forcing a new deployment.
    AskRedeploy,
    /// Ask before starting a verify flow run.
    AskVerify,
    /// Ask before stopping the selected task.
    AskStopTask,
    /// Read the revisions, then ask before rolling back to the one before the live one.
    AskRollback,
    /// Read the running image, then ask before upgrading to the pinned tag.
    AskUpgrade,
    /// A change was planned in the background: ask before making it.
    Planned { question: String, work: Work },
    /// A character typed into the search or a prompt.
    Input(char),
    /// Delete the last typed character.
    Backspace,
    /// Accept the search or the prompt.
    Submit,
    /// Close the detail, the prompt or the help; else clear the search, then the filter.
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
    /// The service's CPU and memory over the last hour, or why there are none.
    MetricsLoaded(Result<ServiceMetrics, String>),
    /// The scaling bounds, the published backlog and the last scaling activity.
    ScalingLoaded(Box<ScalingView>),
    /// An action on the stack finished (or, for verify, moved on); the text says what
    /// happened.
    WorkDone(String),
    /// An action on the stack failed.
    WorkFailed(String),
}

/// Work for the runner: each changes the stack, so each was confirmed first, except the
/// `Plan…` reads, which come back as the question (`Action::Planned`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    Scale(u32),
    Redeploy,
    StopTask(String),
    Verify,
    PlanRollback,
    /// Back to this revision.
    Rollback(i32),
    PlanUpgrade,
    /// To this image.
    Upgrade(String),
}

/// A question on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Search(String),
    Filter(String),
    /// The typed count, and what was wrong with the last one submitted.
    ScaleTo {
        text: String,
        error: Option<String>,
    },
    Confirm {
        question: String,
        work: Work,
    },
}

/// The row whose detail is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    Task(String),
    Worker(String),
    FlowRun(String),
    Event(usize),
}

/// What the charts can show.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Metrics {
    #[default]
    Waiting,
    Loaded(ServiceMetrics),
    /// The endpoint could not answer; the text says what failed.
    Unavailable(String),
}

/// Whether the stack is there, as the last successful read of the service says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Presence {
    #[default]
    Unknown,
    Deployed,
    /// ECS is deleting the service (DRAINING): its tasks are stopping.
    Going {
        service: String,
    },
    /// The service was seen and is no longer there (deleted, or its cluster is).
    Gone {
        service: String,
    },
    /// No service has been seen since the monitor started.
    NotDeployed,
}

#[derive(Debug, Clone)]
pub struct MonitorApp {
    pub status: Option<StackStatus>,
    pub logs: LogView,
    pub wrap: bool,
    pub timestamps: bool,
    pub prompt: Option<Prompt>,
    pub help: bool,
    pub focus: Pane,
    pub selection: Selection,
    pub detail: Option<Detail>,
    /// Lines from the top of the detail, and (set by the drawing) its length and height.
    pub detail_scroll: usize,
    pub detail_size: (usize, usize),
    /// Rows each list pane shows, set by the drawing, for paging.
    pub list_page: usize,
    pub metrics: Metrics,
    /// Scaling and the published backlog, for a stack that has them.
    pub scaling: Option<ScalingView>,
    pub presence: Presence,
    /// The last service seen, to name it once it is gone.
    seen_service: Option<String>,
    /// The last refresh, as shown ("refreshed 12:00:01").
    pub refreshed: Option<String>,
    /// The latest error or result, shown in the status line.
    pub message: Option<(bool, String)>,
    pub quit: bool,
    /// Where the logs come from, once known.
    pub log_source: Option<TailSource>,
}

impl MonitorApp {
    pub fn new(max_logs: usize) -> Self {
        Self {
            status: None,
            logs: LogView::new(max_logs),
            wrap: false,
            timestamps: true,
            prompt: None,
            help: false,
            focus: Pane::default(),
            selection: Selection::default(),
            detail: None,
            detail_scroll: 0,
            detail_size: (0, 10),
            list_page: 5,
            metrics: Metrics::default(),
            scaling: None,
            presence: Presence::default(),
            seen_service: None,
            refreshed: None,
            message: None,
            quit: false,
            log_source: None,
        }
    }

    fn selected_task(&self) -> Option<&crate::aws::status::TaskStatus> {
        let id = self.selection.task.as_ref()?;
        self.status.as_ref()?.tasks.iter().find(|t| &t.id == id)
    }

    /// Applies one action; returns the work to start, if any.
    pub fn update(&mut self, action: Action) -> Option<Work> {
        if let Some(prompt) = self.prompt.clone() {
            return self.update_prompt(prompt, action);
        }
        if self.detail.is_some() && self.update_detail(&action) {
            return None;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.help = !self.help,
            Action::Cancel if self.help => self.help = false,
            Action::Cancel if self.logs.search.is_some() => self.logs.clear_search(),
            Action::Cancel => self.logs.set_text_filter(None),
            Action::ToggleFollow => self.logs.toggle_follow(),
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-self.page()),
            Action::PageDown => self.move_by(self.page()),
            Action::Top => match self.focus {
                Pane::Logs => self.logs.top(),
                pane => self.selection.first(self.status.as_ref(), pane),
            },
            Action::Bottom => match self.focus {
                Pane::Logs => self.logs.bottom(),
                pane => self.selection.last(self.status.as_ref(), pane),
            },
            Action::FocusNext => self.focus = self.focus.next(),
            Action::FocusPrev => self.focus = self.focus.prev(),
            Action::ToggleDetail => self.open_detail(),
            Action::ToggleWrap => self.wrap = !self.wrap,
            Action::ToggleTimestamps => self.timestamps = !self.timestamps,
            Action::CycleTaskFilter => {
                let tasks = self.logs.tasks();
                let next = match &self.logs.task_filter {
                    None => tasks.first().cloned(),
                    Some(current) => tasks
                        .iter()
                        .position(|t| t == current)
                        .and_then(|i| tasks.get(i + 1).cloned()),
                };
                self.logs.set_task_filter(next);
            }
            Action::LogsOfSelectedTask => match self.selected_task_id() {
                Some(id) => {
                    self.logs.set_task_filter(Some(id));
                    self.focus = Pane::Logs;
                }
                None => self.message = Some((true, "No task selected.".to_owned())),
            },
            Action::StartSearch => self.prompt = Some(Prompt::Search(String::new())),
            Action::StartFilter => {
                let current = self.logs.text_filter.clone().unwrap_or_default();
                self.prompt = Some(Prompt::Filter(current));
            }
            Action::NextMatch => self.logs.next_match(),
            Action::PrevMatch => self.logs.prev_match(),
            Action::AskScale => {
                self.prompt = Some(Prompt::ScaleTo {
                    text: String::new(),
                    error: None,
                })
            }
            Action::AskRedeploy => {
                self.prompt = Some(Prompt::Confirm {
                    question: "Force a new deployment of the service (new tasks replace the old)?"
                        .to_owned(),
                    work: Work::Redeploy,
                })
            }
            Action::AskVerify => {
                self.prompt = Some(Prompt::Confirm {
                    question: "Start one flow run of the stack's verify deployment and follow it \
                               to its end?"
                        .to_owned(),
                    work: Work::Verify,
                })
            }
            Action::AskStopTask => self.ask_stop_task(),
            Action::AskRollback => {
                self.message = Some((false, "Reading the stack's revisions...".to_owned()));
                return Some(Work::PlanRollback);
            }
            Action::AskUpgrade => {
                self.message = Some((false, "Reading the running image...".to_owned()));
                return Some(Work::PlanUpgrade);
            }
            Action::Planned { question, work } => {
                self.message = None;
                self.prompt = Some(Prompt::Confirm { question, work });
            }
            Action::StatusLoaded(status) => self.status_loaded(*status),
            Action::StatusFailed(e) | Action::LogsFailed(e) | Action::WorkFailed(e) => {
                self.message = Some((true, e))
            }
            Action::WorkDone(text) => self.message = Some((false, text)),
            Action::LogsArrived(events) => self.logs.add(events),
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
            Action::ScalingLoaded(view) => self.scaling = Some(*view),
            Action::MetricsLoaded(result) => {
                self.metrics = match result {
                    Ok(m) => Metrics::Loaded(m),
                    Err(e) => Metrics::Unavailable(e),
                }
            }
            Action::Input(_) | Action::Backspace | Action::Submit => {}
        }
        None
    }

    fn page(&self) -> isize {
        let rows = match self.focus {
            Pane::Logs => self.logs.page,
            _ => self.list_page,
        };
        rows.max(1) as isize
    }

    fn move_by(&mut self, delta: isize) {
        match self.focus {
            // The logs count lines up from the newest.
            Pane::Logs if delta < 0 => self.logs.up(delta.unsigned_abs()),
            Pane::Logs => self.logs.down(delta.unsigned_abs()),
            pane => self.selection.step(self.status.as_ref(), pane, delta),
        }
    }

    /// Keys while a detail is open: it scrolls, and Esc or Enter closes it. Returns whether
    /// the key was the detail's.
    fn update_detail(&mut self, action: &Action) -> bool {
        let (len, page) = self.detail_size;
        let last = len.saturating_sub(page.max(1));
        let scroll = &mut self.detail_scroll;
        match action {
            Action::Cancel | Action::ToggleDetail => self.detail = None,
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Down => *scroll = (*scroll + 1).min(last),
            Action::PageUp => *scroll = scroll.saturating_sub(page.max(1)),
            Action::PageDown => *scroll = (*scroll + page.max(1)).min(last),
            Action::Top => *scroll = 0,
            Action::Bottom => *scroll = last,
            _ => return false,
        }
        true
    }

    /// The task whose logs `l` shows: the selected task's, or the selected flow run's.
    fn selected_task_id(&self) -> Option<String> {
        if self.focus != Pane::FlowRuns {
            return self.selection.task.clone();
        }
        let name = self.selection.flow_run.as_ref()?;
        let runs = &self.status.as_ref()?.flow_runs;
        let run = runs.iter().find(|r| &r.name == name)?;
        run.task_id().map(str::to_owned)
    }

    fn open_detail(&mut self) {
        let status = self.status.as_ref();
        let detail = match self.focus {
            Pane::Tasks => self.selection.task.clone().map(Detail::Task),
            Pane::Workers => self.selection.worker.clone().map(Detail::Worker),
            Pane::FlowRuns => self.selection.flow_run.clone().map(Detail::FlowRun),
            Pane::Events => self
                .selection
                .index(status, Pane::Events)
                .map(Detail::Event),
            Pane::Logs => {
                self.message = Some((
                    true,
                    "Tab to the tasks, workers, flow runs or events, then Enter on a row."
                        .to_owned(),
                ));
                return;
            }
        };
        match detail {
            Some(d) => {
                self.detail = Some(d);
                self.detail_scroll = 0;
            }
            None => self.message = Some((true, format!("No {} to show.", self.focus.name()))),
        }
    }

    fn ask_stop_task(&mut self) {
        let Some(task) = self.selected_task() else {
            self.message = Some((true, "No task selected: Tab to the tasks.".to_owned()));
            return;
        };
        if task.last_status == "STOPPED" || task.desired_status == "STOPPED" {
            self.message = Some((true, format!("Task {} is already stopping.", task.id)));
            return;
        }
        let id = task.id.clone();
        self.prompt = Some(Prompt::Confirm {
            question: format!("Stop task {id}? The service starts a replacement."),
            work: Work::StopTask(id),
        });
    }

    fn status_loaded(&mut self, status: StackStatus) {
        // A read error is shown until a read succeeds; what an action did stays.
        match status.errors.first() {
            Some(e) => self.message = Some((true, format!("Could not read {e}"))),
            None if self.message.as_ref().is_some_and(|(error, _)| *error) => self.message = None,
            None => {}
        }
        let service_read = !status.errors.iter().any(|e| e.starts_with("service:"));
        if service_read {
            self.presence = match (&status.service, &self.seen_service) {
                (Some(s), _) if s.status == "DRAINING" => Presence::Going {
                    service: s.name.clone(),
                },
                (Some(_), _) => Presence::Deployed,
                (None, Some(name)) => Presence::Gone {
                    service: name.clone(),
                },
                (None, None) => Presence::NotDeployed,
            };
        }
        if let Some(s) = &status.service {
            self.seen_service = Some(s.name.clone());
        }
        self.selection.refresh(&status);
        if let Some(Detail::Event(i)) = self.detail
            && status.service.as_ref().is_none_or(|s| i >= s.events.len())
        {
            self.detail = None;
        }
        self.status = Some(status);
        self.refreshed = Some(clock());
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
                | Action::MetricsLoaded(_)
                | Action::ScalingLoaded(_)
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
                self.logs.search_for(text);
                self.prompt = None;
            }
            (Prompt::Filter(mut text), Action::Input(c)) => {
                text.push(c);
                self.prompt = Some(Prompt::Filter(text));
            }
            (Prompt::Filter(mut text), Action::Backspace) => {
                text.pop();
                self.prompt = Some(Prompt::Filter(text));
            }
            (Prompt::Filter(text), Action::Submit) => {
                self.logs.set_text_filter(Some(text));
                self.prompt = None;
            }
            (Prompt::ScaleTo { mut text, .. }, Action::Input(c)) => {
                if text.chars().count() < 12 {
                    text.push(c);
                }
                self.prompt = Some(Prompt::ScaleTo { text, error: None });
            }
            (Prompt::ScaleTo { mut text, .. }, Action::Backspace) => {
                text.pop();
                self.prompt = Some(Prompt::ScaleTo { text, error: None });
            }
            (Prompt::ScaleTo { text, .. }, Action::Submit) => {
                self.prompt = Some(match scale_count(&text) {
                    Ok(n) => Prompt::Confirm {
                        question: format!("Scale the service to {n} task(s)?"),
                        work: Work::Scale(n),
                    },
                    Err(error) => Prompt::ScaleTo {
                        text,
                        error: Some(error),
                    },
                })
            }
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
}

/// The most tasks the scale dialog sets; more is likely a typo, and the profile's
/// `desired_count` can go higher.
const MAX_SCALE: u32 = 100;

/// The scale dialog's text as a desired count, or what is wrong with it.
fn scale_count(text: &str) -> Result<u32, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("Type a number of tasks from 0 to {MAX_SCALE}."));
    }
    match text.parse::<u32>() {
        Ok(n) if n <= MAX_SCALE => Ok(n),
        Ok(n) => Err(format!(
            "{n} is more than {MAX_SCALE}: type a number of tasks from 0 to {MAX_SCALE}."
        )),
        Err(_) => Err(format!(
            "\"{text}\" is not a number: type a number of tasks from 0 to {MAX_SCALE}."
        )),
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
#[path = "app_tests.rs"]
mod tests;
