//! A child process in a process group of its own, so that it and everything it starts
//! (multiprocessing workers, a forkserver, a resource tracker) end together: the group is
//! killed when the [`ChildGroup`] is dropped, whatever happened before.

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

/// How often a wait with a deadline looks at the child.
const POLL: Duration = Duration::from_millis(2);

/// A running child, leader of its own process group.
#[derive(Debug)]
pub struct ChildGroup {
    child: Child,
    status: Option<ExitStatus>,
}

impl ChildGroup {
    /// Starts `command` as the leader of a new process group.
    pub fn spawn(command: &mut Command) -> io::Result<Self> {
        let child = command.process_group(0).spawn()?;
        Ok(Self {
            child,
            status: None,
        })
    }

    /// The child's process id (and its group's id).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The child's stdout, once.
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    /// The child's stderr, once.
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.child.stderr.take()
    }

    /// Its exit status, if it has exited (without waiting). When it has, what is left of its
    /// group (a worker that outlived it) is killed at once.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.status.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.status = Some(status);
            // The group outlives its leader while a member lives; its id cannot be reused
            // until then, and a moment after the leader's exit nobody else can have taken it.
            self.kill_group();
        }
        self.status
    }

    /// Waits until it exits or `deadline` passes.
    pub fn wait_until(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(POLL);
        }
    }

    /// Kills the whole group with SIGKILL and reaps the child; returns its exit status.
    pub fn kill(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.kill_group();
            // Reaping cannot block long: SIGKILL cannot be caught.
            self.status = self.child.wait().ok();
        }
        self.status
    }

    fn kill_group(&self) {
        kill_group(self.child.id());
    }
}

/// Kills process group `pgid` with SIGKILL. ESRCH (nobody left in the group) is the usual,
/// harmless answer after the group's processes have exited.
pub fn kill_group(pgid: u32) {
    if let Ok(pid) = i32::try_from(pgid) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

impl Drop for ChildGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An exit status in words: "exited with status 1", "was killed by signal 9 (SIGKILL)".
pub fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    match status.signal() {
        Some(signal) => {
            let name = Signal::try_from(signal).map_or("an unknown signal", Signal::as_str);
            format!("was killed by signal {signal} ({name})")
        }
        None => "ended in an unknown way".to_owned(),
    }
}

/// How a short command ended, and what it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its stdout (at most 1 MiB).
    pub stdout: Vec<u8>,
    /// Its stderr (at most 1 MiB).
    pub stderr: Vec<u8>,
}

/// Runs `command` to its end, or kills it (and its group) after `timeout`. Returns how it
/// ended, or `None` when it timed out: for probes.
pub fn run_with_timeout(command: &mut Command, timeout: Duration) -> io::Result<Option<Output>> {
    use std::io::Read;
    use std::process::Stdio;
    let mut group = ChildGroup::spawn(
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )?;
    let mut stdout = group.take_stdout();
    let mut stderr = group.take_stderr();
    // Read on a thread so that a chatty child cannot block on a full pipe.
    let reader = thread::Builder::new()
        .name("gilscope-probe-reader".to_owned())
        .spawn(move || {
            let mut out = Vec::new();
            let mut err = Vec::new();
            if let Some(s) = stdout.as_mut() {
                let _ = s.take(1 << 20).read_to_end(&mut out);
            }
            if let Some(s) = stderr.as_mut() {
                let _ = s.take(1 << 20).read_to_end(&mut err);
            }
            (out, err)
        })?;
    let status = group.wait_until(Instant::now() + timeout);
    if status.is_none() {
        group.kill();
    }
    let (stdout, stderr) = reader.join().unwrap_or_default();
    Ok(status.map(|status| Output {
        status,
        stdout,
        stderr,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_out_child_is_killed_with_its_group() {
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 30 & sleep 30"]);
        let started = Instant::now();
        let result = run_with_timeout(&mut command, Duration::from_millis(200)).unwrap();
        assert!(result.is_none());
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn statuses_read_as_words() {
        let status = Command::new("sh").args(["-c", "exit 3"]).status().unwrap();
        assert_eq!(describe_status(status), "exited with status 3");
        let killed = Command::new("sh")
            .args(["-c", "kill -9 $$"])
            .status()
            .unwrap();
        assert_eq!(describe_status(killed), "was killed by signal 9 (SIGKILL)");
    }
}
