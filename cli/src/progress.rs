//! Progress on stderr for long steps.

use std::time::Instant;

/// Numbered steps with timings, printed to stderr.
#[derive(Debug)]
pub struct Progress {
    total: usize,
    step: usize,
    quiet: bool,
    started: Instant,
}

impl Progress {
    /// `total` steps; `quiet` prints nothing.
    pub fn new(total: usize, quiet: bool) -> Self {
        Self { total, step: 0, quiet, started: Instant::now() }
    }

    /// Runs one step, printing its name before and its duration after. Returns the value and seconds.
    pub fn step<T, E>(&mut self, what: &str, f: impl FnOnce() -> Result<T, E>) -> Result<(T, f64), E> {
        let t = self.begin(what);
        let out = f()?;
        Ok((out, self.end(t)))
    }

    /// Async variant of [`Progress::step`].
    pub async fn step_async<T, E, F: std::future::Future<Output = Result<T, E>>>(&mut self, what: &str, f: F) -> Result<(T, f64), E> {
        let t = self.begin(what);
        let out = f.await?;
        Ok((out, self.end(t)))
    }

    fn begin(&mut self, what: &str) -> Instant {
        self.step += 1;
        if !self.quiet {
            eprintln!("[{}/{}] {what} ...", self.step, self.total);
        }
        Instant::now()
    }

    fn end(&self, started: Instant) -> f64 {
        let secs = started.elapsed().as_secs_f64();
        if !self.quiet {
            eprintln!("      done in {secs:.2} s ({:.1} s elapsed)", self.started.elapsed().as_secs_f64());
        }
        secs
    }

    /// A note under the current step.
    pub fn note(&self, msg: &str) {
        if !self.quiet {
            eprintln!("      {msg}");
        }
    }
}

/// Peak resident set size of this process in MiB (Linux `VmHWM`), if known.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
