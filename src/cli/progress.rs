//! The progress bar of long commands (`run`, `sweep`): drawn on stderr, and hidden when
//! stderr is not a terminal or with `--quiet`, so that logs and pipes get no control codes.

use std::io::{self, IsTerminal};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over `len` steps; every method is a no-op when it is hidden.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `len` steps drawn with `template` (indicatif's syntax), or a hidden one when
    /// `quiet` or when stderr is not a terminal.
    pub fn new(quiet: bool, len: u64, template: &str) -> Progress {
        if quiet || !io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        Progress { bar }
    }

    /// Moves the bar to step `done`.
    pub fn set(&self, done: u64) {
        self.bar.set_position(done);
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
