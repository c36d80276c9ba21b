//! The controller's side of GTP: an engine run as a subprocess, each command answered
//! within a deadline.
//!
//! A reader thread turns the engine's stdout into lines on a channel, so waiting for a
//! response is a `recv_timeout`: an engine that hangs costs at most the timeout, and
//! one that dies is seen as the channel closing. Either is a [`Fault`], after which the
//! process is killed; the match runner starts a fresh one for the next game.

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// The longest response line read from an engine; a longer one is a protocol fault.
const MAX_LINE_BYTES: u64 = 1 << 20;

/// How long a polite `quit` may take before the process is killed.
const QUIT_GRACE: Duration = Duration::from_millis(500);

/// Why an engine could not answer at all (as opposed to answering `? message`).
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// No complete response within the deadline.
    Timeout { command: String, after: Duration },
    /// The process closed its output (exited or crashed), or a pipe broke.
    Crashed { command: String, detail: String },
    /// Output that is not a GTP response.
    Protocol { command: String, detail: String },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Timeout { command, after } => {
                write!(f, "no answer to '{command}' within {:.1} s", after.as_secs_f64())
            }
            Fault::Crashed { command, detail } => write!(f, "engine died during '{command}': {detail}"),
            Fault::Protocol { command, detail } => write!(f, "bad response to '{command}': {detail}"),
        }
    }
}

/// A command's answer: `Ok(result)` for `=`, `Err(message)` for `?`.
pub type Reply = std::result::Result<String, String>;

/// A GTP engine running as a child process.
pub struct GtpProcess {
    command: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<std::io::Result<String>>,
    timeout: Duration,
}

impl GtpProcess {
    /// Starts `command` (split into words as a shell would for quotes and
    /// backslashes, with no other shell syntax). Its stderr is discarded. Errors only
    /// when the program cannot be started at all.
    pub fn spawn(command: &str, timeout: Duration) -> Result<GtpProcess> {
        let words = split_command(command)?;
        let (program, args) = words.split_first().ok_or_else(|| Error::Setup("empty engine command".into()))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Error::Setup(format!("cannot start engine '{command}': {e}")))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or_else(|| Error::Other("engine has no stdout".into()))?;
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match (&mut reader).take(MAX_LINE_BYTES).read_until(b'\n', &mut line) {
                    Ok(0) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line).into_owned();
                        if tx.send(Ok(text)).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
        });
        Ok(GtpProcess { command: command.to_string(), child, stdin, lines, timeout })
    }

    /// The command line it was started with.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Sends one command and waits for its response (within the timeout).
    pub fn send(&mut self, command: &str) -> std::result::Result<Reply, Fault> {
        let crashed = |detail: String| Fault::Crashed { command: command.to_string(), detail };
        let stdin = self.stdin.as_mut().ok_or_else(|| crashed("its input is closed".into()))?;
        stdin.write_all(format!("{command}\n").as_bytes()).map_err(|e| crashed(e.to_string()))?;
        stdin.flush().map_err(|e| crashed(e.to_string()))?;
        let deadline = Instant::now() + self.timeout;
        let mut response: Vec<String> = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(Ok(line)) => line,
                Ok(Err(e)) => return Err(crashed(e.to_string())),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(Fault::Timeout { command: command.to_string(), after: self.timeout })
                }
                Err(RecvTimeoutError::Disconnected) => return Err(crashed(self.exit_status())),
            };
            if !line.ends_with('\n') && line.len() as u64 >= MAX_LINE_BYTES {
                return Err(Fault::Protocol { command: command.to_string(), detail: "a line over 1 MiB".into() });
            }
            let line = line.trim_end_matches(['\n', '\r']);
            if response.is_empty() {
                // Lenient before the response starts: blank lines and chatter are
                // skipped (the deadline still bounds them).
                if line.starts_with('=') || line.starts_with('?') {
                    response.push(line.to_string());
                }
                continue;
            }
            if line.trim().is_empty() {
                return Ok(parse_response(&response));
            }
            response.push(line.to_string());
        }
    }

    /// Kills the process now and reaps it.
    pub fn kill(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn exit_status(&mut self) -> String {
        // The output closes a moment before the exit is visible; wait briefly for it.
        let until = Instant::now() + Duration::from_millis(200);
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return format!("it exited ({status})");
            }
            thread::sleep(Duration::from_millis(10));
        }
        "it closed its output".into()
    }
}

impl Drop for GtpProcess {
    /// Says `quit`, gives the engine a moment to go, then kills it.
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"quit\n").and_then(|_| stdin.flush());
        }
        let until = Instant::now() + QUIT_GRACE;
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        self.kill();
    }
}

/// `=[id] result` / `?[id] message` lines (the first carrying the mark) as a reply.
fn parse_response(lines: &[String]) -> Reply {
    let first = &lines[0];
    let ok = first.starts_with('=');
    let rest = first[1..].trim_start_matches(|c: char| c.is_ascii_digit());
    let mut text = rest.trim().to_string();
    for line in &lines[1..] {
        text.push('\n');
        text.push_str(line);
    }
    let text = text.trim().to_string();
    if ok {
        Ok(text)
    } else {
        Err(text)
    }
}

/// Splits a command line into words: white space separates, single quotes keep
/// everything literally, double quotes keep white space, a backslash escapes the next
/// character (outside single quotes).
pub fn split_command(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(Error::Setup(format!("unclosed ' in command: {line}"))),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => word.push(c),
                            None => return Err(Error::Setup(format!("unclosed \" in command: {line}"))),
                        },
                        Some(c) => word.push(c),
                        None => return Err(Error::Setup(format!("unclosed \" in command: {line}"))),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_a_shell_for_quotes_and_backslashes() {
        assert_eq!(split_command("gnugo --mode gtp  --level 10").unwrap(), ["gnugo", "--mode", "gtp", "--level", "10"]);
        assert_eq!(split_command(r#"a 'b c' "d \"e\"" f\ g ''"#).unwrap(), ["a", "b c", "d \"e\"", "f g", ""]);
        assert!(split_command("a 'b").is_err());
        assert!(split_command("   ").unwrap().is_empty());
    }

    #[test]
    fn responses_lose_their_mark_and_id() {
        assert_eq!(parse_response(&["=12 D4".into()]), Ok("D4".into()));
        assert_eq!(parse_response(&["= ".into(), "a".into(), "b".into()]), Ok("a\nb".into()));
        assert_eq!(parse_response(&["? illegal move".into()]), Err("illegal move".into()));
    }

    #[test]
    fn an_engine_that_exits_is_a_crash_not_a_hang() {
        let mut p = GtpProcess::spawn("true", Duration::from_secs(5)).unwrap();
        let started = Instant::now();
        let fault = p.send("name").unwrap_err();
        assert!(matches!(fault, Fault::Crashed { .. }), "{fault}");
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    #[test]
    fn an_engine_that_says_nothing_times_out() {
        let mut p = GtpProcess::spawn("sleep 30", Duration::from_millis(300)).unwrap();
        let fault = p.send("name").unwrap_err();
        assert_eq!(fault, Fault::Timeout { command: "name".into(), after: Duration::from_millis(300) });
        p.kill();
    }

    #[test]
    fn a_missing_program_is_an_error_at_spawn() {
        let err = GtpProcess::spawn("/nonexistent/engine --gtp", Duration::from_secs(1)).err().unwrap();
        assert!(err.to_string().contains("cannot start engine '/nonexistent/engine --gtp'"), "{err}");
    }
}
