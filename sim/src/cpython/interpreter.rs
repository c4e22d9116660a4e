//! What gilscope knows about one installed `CPython`: its identity and the facts a short probe
//! measured (its build, the modules the runtimes need, its speed on a countdown loop).

use super::error::CpythonError;
use super::process::{Output, describe_status, run_with_timeout};
use crate::model::PythonVersion;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The identity probe: runs on any Python that has `platform.python_implementation` (2.6+).
const IDENTITY: &str = include_str!("program/identity.py");

/// The facts probe: the program's imports, its instruction counter, and the measurements.
fn facts_script() -> String {
    [
        include_str!("program/imports.py"),
        include_str!("program/dis_count.py"),
        include_str!("program/probe.py"),
    ]
    .join("\n\n")
}

/// Flags for every interpreter run: ignore `PYTHON*` environment variables (`-E`) and the user
/// site directory (`-s`), write no `.pyc` files (`-B`): the same behaviour everywhere.
pub const FLAGS: [&str; 3] = ["-E", "-s", "-B"];

/// A version as `CPython` reports it: `3.13.0`, `3.14.0-alpha1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Version {
    /// `major.minor`.
    pub python: PythonVersion,
    /// The micro version.
    pub micro: u32,
    /// The release level and serial when not a final release (`alpha1`, `rc2`).
    pub pre: Option<String>,
}

impl Version {
    /// Parses `3.13.0` or `3.14.0-rc1`; the second value is the version in words for errors.
    pub fn parse(text: &str) -> Result<Version, String> {
        let (numbers, pre) = match text.split_once('-') {
            Some((n, p)) => (n, Some(p.to_owned())),
            None => (text, None),
        };
        let parts: Vec<&str> = numbers.split('.').collect();
        let number = |i: usize| parts.get(i).and_then(|p| p.parse::<u32>().ok());
        let (Some(major), Some(minor), Some(micro)) = (number(0), number(1), number(2)) else {
            return Err(format!("\"{text}\" is not a Python version"));
        };
        if (major, minor) < (2, 7) {
            return Err(format!(
                "Python {text} is older than 2.7, the oldest gilscope runs"
            ));
        }
        let python = format!("{major}.{minor}")
            .parse::<PythonVersion>()
            .map_err(|_| {
                format!(
                    "Python {text} is newer than any version gilscope models (2.7 and 3.0 to 3.15)"
                )
            })?;
        Ok(Version { python, micro, pre })
    }

    fn pre_rank(&self) -> (u8, u32) {
        let Some(pre) = &self.pre else {
            return (4, 0);
        };
        let level = pre.trim_end_matches(|c: char| c.is_ascii_digit());
        let serial = pre[level.len()..].parse().unwrap_or(0);
        let rank = match level {
            "alpha" => 1,
            "beta" => 2,
            _ => 3,
        };
        (rank, serial)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.python, self.micro, self.pre_rank()).cmp(&(
            other.python,
            other.micro,
            other.pre_rank(),
        ))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.python, self.micro)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

/// What the facts probe measured.
// Independent yes/no facts of a build, each read by a different part of the engine.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// A free-threaded build (`sysconfig.get_config_var("Py_GIL_DISABLED")`).
    pub free_threaded: bool,
    /// Whether the GIL is on at start-up with default settings (`sys._is_gil_enabled()`).
    pub gil_enabled: bool,
    /// `os.sched_setaffinity` exists (the program uses ctypes where it does not).
    pub affinity: bool,
    /// asyncio with `async def` can run (3.6+).
    pub asyncio: bool,
    /// The module that creates interpreters with their own GIL (`_interpreters` from 3.13,
    /// `_xxsubinterpreters` in 3.12), if any.
    pub subinterpreters: Option<String>,
    /// `multiprocessing` start methods.
    pub start_methods: Vec<String>,
    /// The C call that really releases the GIL (`zlib.compress`; `hashlib.sha256` only when
    /// OpenSSL backs it), if any.
    pub release_call: Option<String>,
    /// ctypes can be loaded (flushes that keep the GIL, `prctl`).
    pub ctypes: bool,
    /// Instructions per iteration of `while n > 0: n -= 1`, counted with `dis`.
    pub loop_instructions: u32,
    /// Nanoseconds per instruction on that loop (best of five).
    pub bytecode_ns: f64,
}

/// An installed `CPython`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interpreter {
    /// The executable (`sys.executable`, all links resolved).
    pub path: PathBuf,
    /// Its exact version.
    pub version: Version,
    /// What the probe found.
    pub facts: Facts,
}

impl Interpreter {
    /// `3.13.0`, or `3.13.0t` for a free-threaded build.
    pub fn label(&self) -> String {
        format!(
            "{}{}",
            self.version,
            if self.facts.free_threaded { "t" } else { "" }
        )
    }

    /// `3.13.0t at /usr/bin/python3.13t`.
    pub fn describe(&self) -> String {
        format!("{} at {}", self.label(), self.path.display())
    }
}

/// The first probe's answer: who this executable really is.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// `sys.executable`, resolved.
    pub executable: PathBuf,
    /// The version.
    pub version: Version,
}

/// Asks `path` who it is: it must be `CPython` 2.7 or later.
pub fn identify(path: &Path, timeout: Duration) -> Result<Identity, CpythonError> {
    let output = run_probe(path, IDENTITY, timeout)?;
    let line = output.lines().next().unwrap_or_default();
    let mut parts = line.splitn(3, '|');
    let (Some(implementation), Some(version), Some(executable)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(not_python(path, &format!("it answered \"{line}\"")));
    };
    if implementation != "CPython" {
        return Err(CpythonError::NotCpython {
            path: path.to_owned(),
            implementation: implementation.to_owned(),
        });
    }
    let version = Version::parse(version).map_err(|reason| CpythonError::Unusable {
        path: path.to_owned(),
        reason,
    })?;
    Ok(Identity {
        executable: PathBuf::from(executable),
        version,
    })
}

/// Measures the facts of the interpreter at `identity`.
pub fn measure(identity: &Identity, timeout: Duration) -> Result<Interpreter, CpythonError> {
    let path = &identity.executable;
    let output = run_probe(path, &facts_script(), timeout)?;
    let line = output.lines().last().unwrap_or_default();
    let facts: Facts = serde_json::from_str(line)
        .map_err(|e| not_python(path, &format!("its probe answered \"{line}\" ({e})")))?;
    Ok(Interpreter {
        path: path.clone(),
        version: identity.version.clone(),
        facts,
    })
}

fn not_python(path: &Path, detail: &str) -> CpythonError {
    CpythonError::NotPython {
        path: path.to_owned(),
        detail: detail.to_owned(),
    }
}

/// Runs `script` with `path` and returns its stdout.
fn run_probe(path: &Path, script: &str, timeout: Duration) -> Result<String, CpythonError> {
    let mut command = Command::new(path);
    command.args(FLAGS).arg("-c").arg(script);
    let result = run_with_timeout(&mut command, timeout).map_err(|e| {
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            CpythonError::NotExecutable {
                path: path.to_owned(),
                reason: "permission denied".to_owned(),
            }
        } else {
            CpythonError::NotExecutable {
                path: path.to_owned(),
                reason: e.to_string(),
            }
        }
    })?;
    let Some(Output {
        status,
        stdout,
        stderr,
    }) = result
    else {
        return Err(CpythonError::ProbeTimeout {
            path: path.to_owned(),
            seconds: timeout.as_secs_f64(),
        });
    };
    if !status.success() {
        let said = String::from_utf8_lossy(&stderr);
        let last = said
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(not_python(
            path,
            &format!("the probe {}: {last}", describe_status(status)),
        ));
    }
    Ok(String::from_utf8_lossy(&stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        let v = |s: &str| Version::parse(s).unwrap();
        assert!(v("3.13.0") > v("3.13.0-rc1"));
        assert!(v("3.13.0-rc1") > v("3.13.0-beta2"));
        assert!(v("3.12.7") > v("3.9.18"));
        assert_eq!(v("3.14.0-alpha1").to_string(), "3.14.0-alpha1");
        assert!(
            Version::parse("2.6.9")
                .unwrap_err()
                .contains("older than 2.7")
        );
        assert!(Version::parse("3.99.0").unwrap_err().contains("newer"));
        assert!(Version::parse("three").is_err());
    }
}
