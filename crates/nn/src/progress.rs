//! Keras 3's progress bar (`keras.utils.Progbar`), text for text.
//!
//! ```text
//! 12/469 ━━━━━━━━━━━━━━━━━━━━ 3s 8ms/step - accuracy: 0.9000 - loss: 0.3000
//! ```
//! While running the time column is the ETA; on the last step it is the time elapsed.
//! Metric values are averaged over steps, weighted by the steps each update covers,
//! as Keras does for "stateless" metrics; the finalizing update shows the values it is
//! given as they are (Keras's fit passes the epoch's logs there).
//!
//! On a terminal the line is rewritten in place with `\r` (and coloured as Keras
//! colours it); anywhere else only the final line of each bar is printed, so logs hold
//! one line per epoch instead of hundreds of `\r`-joined updates.

use std::collections::HashSet;
use std::io::{IsTerminal, Stdout, Write};
use std::time::Instant;

/// How much a [`Progbar`] prints (Keras's `verbose` 0, 1, 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// `verbose=0`: nothing.
    Silent,
    /// `verbose=1`: the bar, updated as steps complete.
    #[default]
    ProgressBar,
    /// `verbose=2`: one summary line when the bar completes.
    OneLine,
}

/// Keras's `Progbar` arguments.
#[derive(Clone, Debug)]
pub struct ProgbarConfig {
    /// Total number of steps; `None` when unknown (prints `   12/Unknown`).
    pub target: Option<usize>,
    /// Bar width in characters (Keras default 20).
    pub width: usize,
    /// What to print (Keras default 1, the bar).
    pub verbose: Verbosity,
    /// Minimum seconds between redraws (Keras default 0.05); the final update always
    /// draws.
    pub interval: f64,
    /// Metrics shown as given instead of averaged over steps.
    pub stateful_metrics: Vec<String>,
    /// The unit in the time-per-unit column (Keras default `step`).
    pub unit_name: String,
}

impl Default for ProgbarConfig {
    fn default() -> Self {
        ProgbarConfig {
            target: None,
            width: 20,
            verbose: Verbosity::ProgressBar,
            interval: 0.05,
            stateful_metrics: Vec::new(),
            unit_name: "step".to_string(),
        }
    }
}

/// A seconds clock; injectable so tests can control time.
pub type Clock = Box<dyn FnMut() -> f64 + Send>;

/// Keras's progress bar, writing to `W`.
pub struct Progbar<W: Write> {
    config: ProgbarConfig,
    stateful: HashSet<String>,
    out: W,
    /// Rewrite the line with `\r` (terminal) or print only final lines (pipe, file).
    dynamic: bool,
    clock: Clock,
    /// Names in first-seen order, with (weighted sum, weight).
    values: Vec<(String, f64, f64)>,
    seen_so_far: usize,
    start: f64,
    last_update: f64,
    time_after_first_step: Option<f64>,
    prev_total_width: usize,
}

impl Progbar<Stdout> {
    /// A bar of `target` steps on stdout, dynamic when stdout is a terminal.
    pub fn stdout(target: Option<usize>) -> Self {
        let out = std::io::stdout();
        let dynamic = out.is_terminal();
        Progbar::new(ProgbarConfig { target, ..Default::default() }, out, dynamic)
    }
}

impl<W: Write> Progbar<W> {
    /// A bar writing to `out`. With `dynamic` the line is redrawn in place (use
    /// `out.is_terminal()` for real streams); without it only final lines are printed.
    pub fn new(config: ProgbarConfig, out: W, dynamic: bool) -> Self {
        let origin = Instant::now();
        let clock: Clock = Box::new(move || origin.elapsed().as_secs_f64());
        let stateful = config.stateful_metrics.iter().cloned().collect();
        let mut bar = Progbar {
            config,
            stateful,
            out,
            dynamic,
            clock,
            values: Vec::new(),
            seen_so_far: 0,
            start: 0.0,
            last_update: 0.0,
            time_after_first_step: None,
            prev_total_width: 0,
        };
        bar.start = (bar.clock)();
        bar
    }

    /// Replaces the clock (seconds, monotonic) and restarts the bar's timer from it.
    pub fn with_clock(mut self, mut clock: Clock) -> Self {
        self.start = clock();
        self.last_update = 0.0;
        self.clock = clock;
        self
    }

    /// The sink, e.g. to read what a `Vec<u8>` collected.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Records that `current` steps are done, with this step's metric values; draws
    /// the bar. The update is final (time elapsed instead of ETA, trailing newline)
    /// when `current` reaches the target.
    pub fn update(&mut self, current: usize, values: &[(&str, f64)]) -> std::io::Result<()> {
        let finalize = self.config.target.is_some_and(|t| current >= t);
        self.update_with(current, values, finalize)
    }

    /// [`Progbar::update`] with an explicit `finalize` (Keras's `finalize=`), for bars
    /// whose target is unknown.
    pub fn update_with(&mut self, current: usize, values: &[(&str, f64)], finalize: bool) -> std::io::Result<()> {
        for &(name, v) in values {
            let slot = match self.values.iter().position(|(n, _, _)| n == name) {
                Some(i) => &mut self.values[i],
                None => {
                    self.values.push((name.to_string(), 0.0, 0.0));
                    let last = self.values.len() - 1;
                    &mut self.values[last]
                }
            };
            if self.stateful.contains(name) || finalize {
                (slot.1, slot.2) = (v, 1.0);
            } else if slot.2 == 0.0 {
                let base = current.saturating_sub(self.seen_so_far).max(1) as f64;
                (slot.1, slot.2) = (v * base, base);
            } else {
                let base = current.saturating_sub(self.seen_so_far).max(1) as f64;
                slot.1 += v * base;
                slot.2 += base;
            }
        }
        self.seen_so_far = current;
        let now = (self.clock)();
        let per_unit = self.estimate_step_duration(current, now);

        match self.config.verbose {
            Verbosity::Silent => {}
            Verbosity::ProgressBar => {
                if now - self.last_update < self.config.interval && !finalize {
                    return Ok(());
                }
                if self.dynamic {
                    let (line, width) = self.render_bar(current, now, per_unit, finalize, true);
                    let pad = self.prev_total_width.saturating_sub(width);
                    write!(self.out, "\r{line}{}", " ".repeat(pad))?;
                    if finalize {
                        writeln!(self.out)?;
                    }
                    self.out.flush()?;
                    self.prev_total_width = width;
                } else if finalize {
                    let (line, _) = self.render_bar(current, now, per_unit, finalize, false);
                    writeln!(self.out, "{line}")?;
                    self.out.flush()?;
                }
            }
            Verbosity::OneLine => {
                if let Some(target) = self.config.target.filter(|&t| t > 0 && finalize) {
                    let digits = target.to_string().len();
                    let mut info = format!("{current:>digits$}/{target} - {:.0}s -", now - self.start);
                    info += &format_time(per_unit, &self.config.unit_name);
                    for (name, sum, count) in &self.values {
                        let avg = sum / count.max(1.0);
                        // Keras tests `avg > 1e-3` here (not `abs`): negative values print
                        // in scientific notation in this mode.
                        let v = if avg > 1e-3 { format_fixed(avg) } else { format_sci(avg) };
                        info += &format!(" - {name}: {v}");
                    }
                    writeln!(self.out, "{info}")?;
                    self.out.flush()?;
                }
            }
        }
        self.last_update = now;
        Ok(())
    }

    /// Adds `n` steps (Keras's `add`).
    pub fn add(&mut self, n: usize, values: &[(&str, f64)]) -> std::io::Result<()> {
        self.update(self.seen_so_far + n, values)
    }

    /// The bar line and its visible width. `ansi` adds Keras's bold and colours.
    fn render_bar(&self, current: usize, now: f64, per_unit: f64, finalize: bool, ansi: bool) -> (String, usize) {
        let style = |code: &str, s: &str| if ansi { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() };
        let mut line = String::new();
        let mut width = 0;
        let mut push = |styled: String, plain_len: usize| {
            line += &styled;
            width += plain_len;
        };
        let target = self.config.target.filter(|&t| t > 0);
        match target {
            Some(target) => {
                let digits = target.to_string().len();
                let count = format!("{current:>digits$}/{target}");
                let n = count.chars().count();
                push(style("1", &count) + " ", n + 1);
                let w = self.config.width;
                let done = ((w as f64 * current as f64 / target as f64) as usize).min(w);
                if done > 0 {
                    push(style("32", &"━".repeat(done)), done);
                }
                push(style("37", &"━".repeat(w - done)), w - done);
            }
            None => {
                let s = format!("{current:>7}/Unknown");
                let n = s.len();
                push(s, n);
            }
        }
        let time = match target {
            Some(target) if !finalize => format_eta(per_unit * target.saturating_sub(current) as f64),
            _ => format!("{:.0}s", now - self.start),
        };
        push(format!(" {}", style("1", &time)), time.len() + 1);
        let mut info = format_time(per_unit, &self.config.unit_name);
        for (name, sum, count) in &self.values {
            let avg = sum / count.max(1.0);
            let v = if avg.abs() > 1e-3 { format_fixed(avg) } else { format_sci(avg) };
            info += &format!(" - {name}: {v}");
        }
        let n = info.chars().count();
        push(info, n);
        (line, width)
    }

    /// Keras's `_estimate_step_duration`: the first step (compilation, warm-up) is left
    /// out of the average once later steps exist.
    fn estimate_step_duration(&mut self, current: usize, now: f64) -> f64 {
        if current == 0 {
            return 0.0;
        }
        let per_unit = match self.time_after_first_step {
            Some(t) if current > 1 => (now - t) / (current - 1) as f64,
            _ => (now - self.start) / current as f64,
        };
        if current == 1 {
            self.time_after_first_step = Some(now);
        }
        per_unit
    }
}

/// Python's `"%d" % x` on a float: truncation toward zero.
fn trunc(x: f64) -> i64 {
    x as i64
}

/// Keras's ETA column: `1:02:03`, `2:05` or `7s`.
fn format_eta(eta: f64) -> String {
    if eta > 3600.0 {
        format!("{}:{:02}:{:02}", trunc(eta / 3600.0), trunc((eta % 3600.0) / 60.0), trunc(eta % 60.0))
    } else if eta > 60.0 {
        format!("{}:{:02}", trunc(eta / 60.0), trunc(eta % 60.0))
    } else {
        format!("{}s", trunc(eta))
    }
}

/// Keras's `_format_time`: ` 8ms/step`, ` 2s/step`, ` 950us/step` (leading space).
fn format_time(per_unit: f64, unit: &str) -> String {
    if per_unit >= 1.0 || per_unit == 0.0 {
        format!(" {per_unit:.0}s/{unit}")
    } else if per_unit >= 1e-3 {
        format!(" {:.0}ms/{unit}", per_unit * 1e3)
    } else {
        format!(" {:.0}us/{unit}", per_unit * 1e6)
    }
}

/// Python's `f"{x:.4f}"`, spelling non-finite values as Python does.
fn format_fixed(x: f64) -> String {
    match python_non_finite(x) {
        Some(s) => s,
        None => format!("{x:.4}"),
    }
}

/// Python's `f"{x:.4e}"`: `1.2340e-04` (signed exponent of at least two digits), where
/// Rust writes `1.2340e-4`.
fn format_sci(x: f64) -> String {
    if let Some(s) = python_non_finite(x) {
        return s;
    }
    let s = format!("{x:.4e}");
    let Some((mantissa, exp)) = s.split_once('e') else { return s };
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

fn python_non_finite(x: f64) -> Option<String> {
    if x.is_nan() {
        Some("nan".into())
    } else if x.is_infinite() {
        Some(if x > 0.0 { "inf" } else { "-inf" }.into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
