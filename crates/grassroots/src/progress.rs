//! Progress bars for long CLI work (hidden when stderr is not a terminal).

use indicatif::{ProgressBar, ProgressStyle};

pub fn bar(message: &str) -> ProgressBar {
    let bar = ProgressBar::new(0).with_message(message.to_owned());
    if let Ok(style) = ProgressStyle::with_template("{msg:20} [{bar:40}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

pub fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
