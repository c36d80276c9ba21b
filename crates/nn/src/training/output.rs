//! Where `fit` prints: stdout by default, or any writer (a log file, a test buffer).

use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// The sink for `fit`'s epoch headers and progress bars (Keras's `ProgbarLogger`
/// output).
///
/// `dynamic` sinks get the bar redrawn in place with `\r` after every batch, as on a
/// terminal; other sinks get only the final line of each epoch's bar (see
/// [`crate::progress::Progbar`]). Clones share the same writer.
#[derive(Clone)]
pub struct FitOutput {
    sink: Arc<Mutex<dyn Write + Send>>,
    dynamic: bool,
}

impl FitOutput {
    /// Stdout, dynamic when stdout is a terminal.
    pub fn stdout() -> Self {
        let out = std::io::stdout();
        let dynamic = out.is_terminal();
        FitOutput { sink: Arc::new(Mutex::new(out)), dynamic }
    }

    /// Any writer; `dynamic` says whether it behaves like a terminal.
    pub fn writer(out: impl Write + Send + 'static, dynamic: bool) -> Self {
        FitOutput { sink: Arc::new(Mutex::new(out)), dynamic }
    }

    /// Whether bars are redrawn in place.
    pub fn is_dynamic(&self) -> bool {
        self.dynamic
    }

    /// A writer handle for one progress bar.
    pub(crate) fn handle(&self) -> SinkWriter {
        SinkWriter(Arc::clone(&self.sink))
    }
}

impl Default for FitOutput {
    /// [`FitOutput::stdout`], where Keras prints.
    fn default() -> Self {
        FitOutput::stdout()
    }
}

impl fmt::Debug for FitOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FitOutput").field("dynamic", &self.dynamic).finish_non_exhaustive()
    }
}

/// A shared handle on a [`FitOutput`]'s writer.
pub(crate) struct SinkWriter(Arc<Mutex<dyn Write + Send>>);

impl Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // A panic elsewhere while printing leaves the writer usable: bytes, not invariants.
        self.0.lock().unwrap_or_else(PoisonError::into_inner).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).flush()
    }
}
