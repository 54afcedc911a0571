//! Where long work stands, on the terminal: a bar that follows an import row by row, a spinner
//! with the time so far for a step whose size is not known. Drawn on stderr and only when it is
//! a terminal: a script's log keeps its plain lines.

use crate::store::import::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A bar that follows an import's [`Progress`] until [`ImportBar::finish`].
pub(super) struct ImportBar {
    bar: ProgressBar,
    task: tokio::task::JoinHandle<()>,
}

impl ImportBar {
    pub(super) fn follow(progress: Arc<Progress>) -> ImportBar {
        let bar = ProgressBar::new(0);
        let style = ProgressStyle::with_template(
            "{msg:40} [{bar:30}] {pos:>9}/{len:9} 行  {elapsed_precise}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        let shown = bar.clone();
        let task = tokio::spawn(async move {
            loop {
                let r = progress.read();
                let (what, done) = if r.rows == 0 {
                    ("读取", 0)
                } else if r.checked < r.rows {
                    ("检查", r.checked)
                } else {
                    ("写入", r.written)
                };
                shown.set_message(format!("{} {what}", r.file));
                shown.set_length(r.rows as u64);
                shown.set_position(done as u64);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        ImportBar { bar, task }
    }

    pub(super) fn finish(self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}

/// One step of a longer job: a spinner with the time so far while it runs, then a plain line
/// with the time it took.
pub(super) struct Step {
    what: String,
    started: Instant,
    spinner: ProgressBar,
    /// Says what it did on stdout when done (the demo's steps); a quiet step only spins on a
    /// terminal's stderr, leaving stdout to the command's own output (a report's JSON).
    speaks: bool,
}

impl Step {
    pub(super) fn start(what: &str) -> Step {
        Step::begin(what, true)
    }

    /// A spinner with the time so far on a terminal; nothing at all otherwise.
    pub(super) fn quiet(what: &str) -> Step {
        Step::begin(what, false)
    }

    fn begin(what: &str, speaks: bool) -> Step {
        let spinner = ProgressBar::new_spinner();
        if spinner.is_hidden() {
            if speaks {
                use std::io::Write;
                print!("{what}……");
                let _ = std::io::stdout().flush();
            }
        } else {
            spinner.set_style(
                ProgressStyle::with_template("{spinner} {msg}……{elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            spinner.set_message(what.to_string());
            spinner.enable_steady_tick(Duration::from_millis(200));
        }
        Step {
            what: what.to_string(),
            started: Instant::now(),
            spinner,
            speaks,
        }
    }

    pub(super) fn done(self) {
        let secs = self.started.elapsed().as_secs_f64();
        if !self.speaks {
            self.spinner.finish_and_clear();
        } else if self.spinner.is_hidden() {
            println!("用时 {secs:.1} 秒");
        } else {
            self.spinner.finish_and_clear();
            println!("{}……用时 {secs:.1} 秒", self.what);
        }
    }
}
