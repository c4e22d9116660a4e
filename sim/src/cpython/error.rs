//! Everything that can go wrong finding an interpreter, generating a program for it, or
//! running it, in words. Failures during a run keep the trace observed up to that point.

use crate::trace::Trace;
use std::path::PathBuf;

/// Why the `CPython` engine could not find, use or run an interpreter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CpythonError {
    /// No interpreter at all was found.
    #[error(
        "no CPython interpreter found (looked in {searched}); install one, or name one with --interpreter PATH"
    )]
    NoneFound {
        /// Where discovery looked, in words.
        searched: String,
    },
    /// None of the interpreters found matches what was asked for.
    #[error("no interpreter {spec} found; found: {found}")]
    NoMatch {
        /// What was asked for (`3.12`, `3.13t`).
        spec: String,
        /// The interpreters found, `version at path`, comma-separated.
        found: String,
    },
    /// A request that is neither a path nor a version.
    #[error(
        "\"{spec}\" is neither a path to an interpreter nor a version like 3.12, 3.12.1 or 3.13t"
    )]
    BadSpec {
        /// What was asked for.
        spec: String,
    },
    /// The file cannot be run.
    #[error("{} cannot be run: {reason}", path.display())]
    NotExecutable {
        /// The path.
        path: PathBuf,
        /// The OS error, in words.
        reason: String,
    },
    /// It ran but did not answer like a Python.
    #[error("{} is not a Python interpreter: {detail}", path.display())]
    NotPython {
        /// The path.
        path: PathBuf,
        /// What it did instead.
        detail: String,
    },
    /// A Python, but not `CPython`.
    #[error(
        "{} is {implementation}, not CPython: gilscope shows CPython's GIL only",
        path.display()
    )]
    NotCpython {
        /// The path.
        path: PathBuf,
        /// `platform.python_implementation()`.
        implementation: String,
    },
    /// A `CPython` gilscope cannot run (older than 2.7, or newer than it models).
    #[error("{} cannot be used: {reason}", path.display())]
    Unusable {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The probe did not answer in time.
    #[error("{} did not answer gilscope's probe within {seconds:.0} s", path.display())]
    ProbeTimeout {
        /// The path.
        path: PathBuf,
        /// The time allowed.
        seconds: f64,
    },
    /// The scenario's settings do not fit this interpreter.
    #[error("{0}")]
    Config(String),
    /// An operation or runtime with no honest counterpart on this interpreter.
    #[error("{0}")]
    Unsupported(String),
    /// The program could not be written or started.
    #[error("cannot start {}: {reason}", path.display())]
    Start {
        /// The interpreter.
        path: PathBuf,
        /// The OS error.
        reason: String,
    },
    /// The program raised an exception (or reported a failure).
    #[error("the Python program failed: {message}")]
    Raised {
        /// The traceback's last line, or the failure reported.
        message: String,
        /// The end of what it wrote to stderr.
        stderr: String,
        /// The trace observed until then.
        partial: Box<Trace>,
    },
    /// The interpreter ended without a report, with a status or a signal.
    #[error("the Python program {how}{}", stderr_tail(stderr))]
    Ended {
        /// "exited with status 1", "was killed by signal 9 (SIGKILL)".
        how: String,
        /// The end of what it wrote to stderr.
        stderr: String,
        /// The trace observed until then.
        partial: Box<Trace>,
    },
    /// The stamp stream was not what the program writes.
    #[error("{detail}; the program was stopped")]
    Stream {
        /// What was wrong with it.
        detail: String,
        /// The trace observed until then.
        partial: Box<Trace>,
    },
    /// The program ran past its time limit and was killed.
    #[error(
        "the Python program was still running after {seconds:.1} s (its duration plus a margin) and was killed: it hangs, or a lock is never released"
    )]
    Hung {
        /// The limit.
        seconds: f64,
        /// The trace observed until then.
        partial: Box<Trace>,
    },
}

fn stderr_tail(stderr: &str) -> String {
    match stderr.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => format!(": {}", line.trim()),
        None => String::new(),
    }
}

impl CpythonError {
    /// The trace observed before a run failed, when it failed during the run.
    pub fn partial_trace(&self) -> Option<&Trace> {
        match self {
            Self::Raised { partial, .. }
            | Self::Ended { partial, .. }
            | Self::Stream { partial, .. }
            | Self::Hung { partial, .. } => Some(partial),
            _ => None,
        }
    }
}
