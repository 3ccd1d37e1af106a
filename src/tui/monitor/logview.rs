//! The logs pane's state: the bounded buffer, the task and text filters, the search and its
//! matches, and the scroll position. Pure, so the monitor's reading keys are unit-tested
//! here; the drawing only asks it which lines are on screen.
//!
//! Lines are counted in the filtered list ("visible" lines): the scroll, the match count
//! and "line x of y" all refer to what the pane can show.

use std::collections::VecDeque;

use crate::aws::logs::LogEvent;

#[derive(Debug, Clone)]
pub struct LogView {
    pub lines: VecDeque<LogEvent>,
    pub max_lines: usize,
    /// The sequence number of `lines[0]`: lines keep their number while older ones leave
    /// the buffer, so the current match stays on its line.
    first_seq: u64,
    pub follow: bool,
    /// Visible lines between the newest and the bottom of the pane (0 = at the bottom).
    pub scroll: usize,
    pub task_filter: Option<String>,
    /// Only lines containing this text are shown.
    pub text_filter: Option<String>,
    pub search: Option<String>,
    /// The sequence number of the line the search is on.
    current: Option<u64>,
    /// Lines the pane shows, set by the drawing, for paging and the ends.
    pub page: usize,
}

/// Where the search is: the current match among all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchPosition {
    /// 1-based; 0 when there are matches but none is current.
    pub current: usize,
    pub total: usize,
}

/// Case-insensitive unless the needle has an upper-case letter (smart case, as in vim and
/// less). ASCII folding only, so byte offsets stay those of the message.
pub fn find_all(haystack: &str, needle: &str) -> Vec<(usize, usize)> {
    if needle.is_empty() {
        return Vec::new();
    }
    let exact = needle.chars().any(|c| c.is_uppercase());
    let (hay, pat) = if exact {
        (haystack.to_owned(), needle.to_owned())
    } else {
        (haystack.to_ascii_lowercase(), needle.to_ascii_lowercase())
    };
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = hay.get(from..).and_then(|rest| rest.find(&pat)) {
        let start = from + i;
        found.push((start, start + pat.len()));
        from = start + pat.len();
    }
    found
}

fn contains(haystack: &str, needle: &str) -> bool {
    !find_all(haystack, needle).is_empty()
}

impl LogView {
    pub fn new(max_lines: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            max_lines: max_lines.max(1),
            first_seq: 0,
            follow: true,
            scroll: 0,
            task_filter: None,
            text_filter: None,
            search: None,
            current: None,
            page: 10,
        }
    }

    fn shows(&self, e: &LogEvent) -> bool {
        self.task_filter.as_ref().is_none_or(|t| &e.task == t)
            && self
                .text_filter
                .as_ref()
                .is_none_or(|f| contains(&e.message, f))
    }

    /// The lines the filters let through, oldest first, with their sequence numbers.
    pub fn visible(&self) -> impl DoubleEndedIterator<Item = (u64, &LogEvent)> {
        self.lines
            .iter()
            .enumerate()
            .map(|(i, e)| (self.first_seq + i as u64, e))
            .filter(|(_, e)| self.shows(e))
    }

    pub fn visible_count(&self) -> usize {
        self.visible().count()
    }

    /// The furthest the view scrolls up: the oldest line at the top of the pane.
    fn max_scroll(&self) -> usize {
        self.visible_count().saturating_sub(self.page.max(1))
    }

    /// The lines on screen, oldest first, at most `height` of them.
    pub fn window(&self, height: usize) -> Vec<(u64, &LogEvent)> {
        let mut window: Vec<_> = self
            .visible()
            .rev()
            .skip(self.scroll)
            .take(height)
            .collect();
        window.reverse();
        window
    }

    /// "line x of y": the bottom line of the pane among the visible lines.
    pub fn position(&self) -> (usize, usize) {
        let total = self.visible_count();
        (total.saturating_sub(self.scroll), total)
    }

    pub fn add(&mut self, events: Vec<LogEvent>) {
        let shown = events.iter().filter(|e| self.shows(e)).count();
        self.lines.extend(events);
        while self.lines.len() > self.max_lines {
            self.lines.pop_front();
            self.first_seq += 1;
        }
        // Reading older lines: keep them in place while new ones arrive below.
        if !self.follow {
            self.scroll = (self.scroll + shown).min(self.max_scroll());
        }
        if self.current.is_some_and(|seq| seq < self.first_seq) {
            self.current = None;
        }
    }

    pub fn up(&mut self, n: usize) {
        self.follow = false;
        self.scroll = (self.scroll + n).min(self.max_scroll());
    }

    pub fn down(&mut self, n: usize) {
        self.scroll = self.scroll.saturating_sub(n);
        if self.scroll == 0 {
            self.follow = true;
        }
    }

    pub fn top(&mut self) {
        self.follow = false;
        self.scroll = self.max_scroll();
    }

    pub fn bottom(&mut self) {
        self.scroll = 0;
        self.follow = true;
    }

    pub fn toggle_follow(&mut self) {
        self.follow = !self.follow;
        if self.follow {
            self.scroll = 0;
        }
    }

    /// Filters changed: the old scroll and match refer to other lines.
    fn refiltered(&mut self) {
        self.scroll = 0;
        self.follow = true;
        if self.search.is_some() {
            self.jump_to_nearest();
        }
    }

    pub fn set_task_filter(&mut self, task: Option<String>) {
        self.task_filter = task;
        self.refiltered();
    }

    pub fn set_text_filter(&mut self, text: Option<String>) {
        self.text_filter = text.filter(|t| !t.is_empty());
        self.refiltered();
    }

    /// The tasks that have lines in the buffer, in order of their first line.
    pub fn tasks(&self) -> Vec<String> {
        let mut tasks: Vec<String> = Vec::new();
        for e in &self.lines {
            if !tasks.contains(&e.task) {
                tasks.push(e.task.clone());
            }
        }
        tasks
    }

    fn matches(&self) -> Vec<u64> {
        let Some(needle) = self.search.as_deref() else {
            return Vec::new();
        };
        self.visible()
            .filter(|(_, e)| contains(&e.message, needle))
            .map(|(seq, _)| seq)
            .collect()
    }

    pub fn match_position(&self) -> Option<MatchPosition> {
        self.search.as_ref()?;
        let matches = self.matches();
        let current = self
            .current
            .and_then(|c| matches.iter().position(|m| *m == c))
            .map_or(0, |i| i + 1);
        Some(MatchPosition {
            current,
            total: matches.len(),
        })
    }

    pub fn is_current_match(&self, seq: u64) -> bool {
        self.current == Some(seq)
    }

    /// Starts a search: the current match is the newest one at or above the bottom of the
    /// pane, the one nearest to what is being read.
    pub fn search_for(&mut self, text: String) {
        self.search = (!text.is_empty()).then_some(text);
        self.current = None;
        self.jump_to_nearest();
    }

    pub fn clear_search(&mut self) {
        self.search = None;
        self.current = None;
    }

    fn jump_to_nearest(&mut self) {
        let bottom = self.visible().rev().nth(self.scroll).map(|(seq, _)| seq);
        let matches = self.matches();
        let nearest = matches
            .iter()
            .rev()
            .find(|m| bottom.is_none_or(|b| **m <= b))
            .or(matches.first())
            .copied();
        self.current = nearest;
        if let Some(seq) = nearest {
            self.show(seq);
        }
    }

    /// `n`: the next match below (newer); after the last, the first again.
    pub fn next_match(&mut self) {
        self.step_match(true);
    }

    /// `N`: the previous match above (older); before the first, the last again.
    pub fn prev_match(&mut self) {
        self.step_match(false);
    }

    fn step_match(&mut self, forward: bool) {
        let matches = self.matches();
        if matches.is_empty() {
            return;
        }
        let i = self
            .current
            .and_then(|c| matches.iter().position(|m| *m == c));
        let next = match (i, forward) {
            (None, true) => 0,
            (None, false) => matches.len() - 1,
            (Some(i), true) => (i + 1) % matches.len(),
            (Some(i), false) => (i + matches.len() - 1) % matches.len(),
        };
        self.current = Some(matches[next]);
        self.show(matches[next]);
    }

    /// Scrolls so that the line is on screen, in the middle of the pane where it can be.
    fn show(&mut self, seq: u64) {
        let Some(from_bottom) = self.visible().rev().position(|(s, _)| s == seq) else {
            return;
        };
        let page = self.page.max(1);
        if from_bottom >= self.scroll && from_bottom < self.scroll + page {
            return;
        }
        self.scroll = from_bottom.saturating_sub(page / 2).min(self.max_scroll());
        self.follow = self.scroll == 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(task: &str, n: usize, message: &str) -> LogEvent {
        LogEvent {
            timestamp: n as i64,
            ingested: n as i64,
            stream: format!("worker/prefect-worker/{task}"),
            task: task.into(),
            message: message.into(),
            event_id: format!("{task}-{n}"),
        }
    }

    fn view_with(messages: &[&str]) -> LogView {
        let mut view = LogView::new(100);
        view.page = 3;
        view.add(
            messages
                .iter()
                .enumerate()
                .map(|(n, m)| event("a", n, m))
                .collect(),
        );
        view
    }

    #[test]
    fn smart_case_folds_only_lower_case_needles() {
        assert_eq!(find_all("Error and error", "error"), vec![(0, 5), (10, 15)]);
        assert_eq!(find_all("Error and error", "Error"), vec![(0, 5)]);
        assert!(find_all("anything", "").is_empty());
    }

    #[test]
    fn search_counts_matches_and_steps_through_them_both_ways() {
        let mut view = view_with(&["x err", "ok", "err 2", "ok", "ok", "err 3", "ok", "ok"]);
        view.search_for("err".into());
        // The newest match at or above the bottom of the pane is the current one.
        assert_eq!(
            view.match_position(),
            Some(MatchPosition {
                current: 3,
                total: 3
            })
        );
        view.prev_match();
        assert_eq!(view.match_position().map(|p| p.current), Some(2));
        let (bottom, total) = view.position();
        assert_eq!(total, 8);
        let on_screen: Vec<u64> = view.window(3).iter().map(|(s, _)| *s).collect();
        assert!(
            on_screen.contains(&2),
            "the match is on screen: {on_screen:?} {bottom}"
        );
        view.prev_match();
        view.prev_match();
        assert_eq!(view.match_position().map(|p| p.current), Some(3), "wraps");
        view.next_match();
        assert_eq!(view.match_position().map(|p| p.current), Some(1), "wraps");
        view.clear_search();
        assert_eq!(view.match_position(), None);
    }

    #[test]
    fn the_text_filter_hides_other_lines_and_the_count_follows_it() {
        let mut view = view_with(&["alpha", "beta", "alphabet", "gamma"]);
        view.set_text_filter(Some("alpha".into()));
        let shown: Vec<&str> = view.visible().map(|(_, e)| e.message.as_str()).collect();
        assert_eq!(shown, vec!["alpha", "alphabet"]);
        assert_eq!(view.position(), (2, 2));
        view.search_for("bet".into());
        assert_eq!(view.match_position().map(|p| p.total), Some(1));
        view.set_text_filter(None);
        assert_eq!(view.visible_count(), 4);
    }

    #[test]
    fn scrolling_stops_at_both_ends_and_says_where_it_is() {
        let mut view = view_with(&["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
        assert_eq!(view.position(), (10, 10));
        view.up(100);
        assert_eq!(view.scroll, 7, "the oldest line at the top, no further");
        assert_eq!(view.position(), (3, 10));
        assert_eq!(view.window(3)[0].1.message, "1");
        view.down(100);
        assert_eq!(view.position(), (10, 10));
        assert!(view.follow);
        view.top();
        assert_eq!(view.position(), (3, 10));
        view.bottom();
        assert!(view.follow && view.scroll == 0);
    }

    #[test]
    fn lines_arriving_below_keep_the_read_line_in_place_under_a_task_filter() {
        let mut view = view_with(&["1", "2", "3", "4", "5", "6"]);
        view.set_task_filter(Some("a".into()));
        view.up(2);
        view.add(vec![event("b", 7, "other task"), event("a", 8, "mine")]);
        assert_eq!(
            view.scroll, 3,
            "only the line this filter shows moves the view"
        );
    }

    #[test]
    fn the_current_match_stays_on_its_line_while_old_lines_leave_the_buffer() {
        let mut view = LogView::new(4);
        view.page = 2;
        view.add(vec![
            event("a", 0, "err"),
            event("a", 1, "ok"),
            event("a", 2, "err"),
        ]);
        view.search_for("err".into());
        assert_eq!(
            view.match_position(),
            Some(MatchPosition {
                current: 2,
                total: 2
            })
        );
        view.add(vec![event("a", 3, "ok"), event("a", 4, "ok")]);
        assert_eq!(
            view.match_position(),
            Some(MatchPosition {
                current: 1,
                total: 1
            }),
            "the first match left the buffer; the current one is the same line"
        );
    }
}
