//! Finding the `CPython`s installed here and choosing one.
//!
//! Candidates are the files named `python`, `python2*` or `python3*` (such as `python3.12`,
//! `python3.13t`; not `python3-config`) on the `PATH`, in `~/.pyenv/versions/*/bin`, uv's
//! `~/.local/share/uv/python/*/bin`, `/usr/bin`, `/usr/local/bin` and `/opt/*/bin`. pyenv's
//! shims are skipped: they are scripts that run one of `~/.pyenv/versions`, searched directly.
//! Each distinct file is asked who it is (a short identity probe); each distinct interpreter is
//! then probed for its facts, or taken from the [cache](super::cache).

use super::cache::{self, Cache};
use super::error::CpythonError;
use super::interpreter::{Identity, Interpreter, identify, measure};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where to look and how long to wait.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoverOptions {
    /// The `PATH` to search.
    pub path: Option<OsString>,
    /// The home directory (for pyenv and uv).
    pub home: Option<PathBuf>,
    /// Fixed directories searched besides (`/usr/bin`, `/usr/local/bin`, `/opt/*/bin`).
    pub system_dirs: Vec<PathBuf>,
    /// The cache file (`None`: no cache).
    pub cache_file: Option<PathBuf>,
    /// How long the identity probe may take.
    pub identity_timeout: Duration,
    /// How long the facts probe (which times a loop) may take.
    pub facts_timeout: Duration,
}

impl DiscoverOptions {
    /// This process's `PATH`, `HOME`, the system directories and the default cache.
    pub fn from_env() -> Self {
        let mut system_dirs = vec![PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")];
        system_dirs.extend(subdirs(Path::new("/opt")).map(|d| d.join("bin")));
        Self {
            path: std::env::var_os("PATH"),
            home: std::env::var_os("HOME").map(PathBuf::from),
            system_dirs,
            cache_file: cache::default_file(),
            identity_timeout: Duration::from_secs(10),
            facts_timeout: Duration::from_mins(1),
        }
    }
}

/// A candidate that is not a usable `CPython`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rejected {
    /// The file.
    pub path: PathBuf,
    /// Why, in words.
    pub reason: String,
}

/// What discovery found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Discovery {
    /// Usable interpreters, newest first.
    pub found: Vec<Interpreter>,
    /// Candidates that are not usable, with the reason.
    pub rejected: Vec<Rejected>,
    /// The directories searched.
    pub searched: Vec<PathBuf>,
}

fn subdirs(dir: &Path) -> impl Iterator<Item = PathBuf> + use<> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
}

/// Whether a file name is an interpreter's: `python`, `python3`, `python3.12`, `python3.13t`.
pub fn is_interpreter_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("python") else {
        return false;
    };
    let rest = rest.strip_suffix('t').unwrap_or(rest);
    if rest.is_empty() {
        return !name.ends_with('t');
    }
    let mut parts = rest.split('.');
    let major = parts.next().unwrap_or_default();
    let minor = parts.next();
    parts.next().is_none()
        && (major == "2" || major == "3")
        && minor.is_none_or(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()))
}

fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The directories searched, in order.
pub fn search_dirs(options: &DiscoverOptions) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = options
        .path
        .as_ref()
        .map(|p| std::env::split_paths(p).collect())
        .unwrap_or_default();
    if let Some(home) = &options.home {
        dirs.extend(subdirs(&home.join(".pyenv/versions")).map(|d| d.join("bin")));
        dirs.extend(subdirs(&home.join(".local/share/uv/python")).map(|d| d.join("bin")));
    }
    dirs.extend(options.system_dirs.iter().cloned());
    let mut seen = BTreeSet::new();
    dirs.retain(|d| !d.ends_with(".pyenv/shims") && seen.insert(d.clone()));
    dirs
}

/// Candidate files, each distinct file once (links resolved), in search order.
pub fn candidates(options: &DiscoverOptions) -> Vec<PathBuf> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for dir in search_dirs(options) {
        let mut names: Vec<PathBuf> = fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_str().is_some_and(is_interpreter_name))
            .map(|e| e.path())
            .filter(|p| is_executable_file(p))
            .collect();
        names.sort();
        for path in names {
            let real = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.insert(real) {
                out.push(path);
            }
        }
    }
    out
}

/// The interpreter behind `identity`, from the cache or probed (and then cached).
fn facts_of(
    identity: &Identity,
    options: &DiscoverOptions,
    cache: &mut Cache,
) -> Result<Interpreter, CpythonError> {
    if let Some(known) = cache.get(&identity.executable) {
        return Ok(known);
    }
    let interpreter = measure(identity, options.facts_timeout)?;
    cache.put(&interpreter);
    Ok(interpreter)
}

/// Finds every usable `CPython`.
pub fn discover(options: &DiscoverOptions) -> Discovery {
    let mut cache = Cache::load(options.cache_file.clone());
    let mut discovery = Discovery {
        searched: search_dirs(options),
        ..Discovery::default()
    };
    let mut executables = BTreeSet::new();
    for path in candidates(options) {
        let result = identify(&path, options.identity_timeout).and_then(|identity| {
            if executables.insert(identity.executable.clone()) {
                facts_of(&identity, options, &mut cache).map(Some)
            } else {
                Ok(None)
            }
        });
        match result {
            Ok(Some(interpreter)) => discovery.found.push(interpreter),
            Ok(None) => {}
            Err(error) => discovery.rejected.push(Rejected {
                path,
                reason: error.to_string(),
            }),
        }
    }
    cache.save();
    discovery.found.sort_by(|a, b| {
        (&b.version, !b.facts.free_threaded).cmp(&(&a.version, !a.facts.free_threaded))
    });
    discovery
}

/// Probes the interpreter at `path` (a file, or a name looked up on the `PATH`).
pub fn probe(path: &Path, options: &DiscoverOptions) -> Result<Interpreter, CpythonError> {
    let resolved = if path.components().count() == 1 && !path.exists() {
        options
            .path
            .as_ref()
            .and_then(|p| {
                std::env::split_paths(p)
                    .map(|d| d.join(path))
                    .find(|p| is_executable_file(p))
            })
            .ok_or_else(|| CpythonError::NotExecutable {
                path: path.to_owned(),
                reason: "no such file, nor a command of that name on the PATH".to_owned(),
            })?
    } else {
        path.to_owned()
    };
    if !resolved.exists() {
        return Err(CpythonError::NotExecutable {
            path: resolved,
            reason: "no such file".to_owned(),
        });
    }
    let mut cache = Cache::load(options.cache_file.clone());
    let identity = identify(&resolved, options.identity_timeout)?;
    let interpreter = facts_of(&identity, options, &mut cache)?;
    cache.save();
    Ok(interpreter)
}

/// A version request: `3.12`, `3.12.1`, `3.13t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct VersionSpec {
    major: u8,
    minor: u8,
    micro: Option<u32>,
    free_threaded: bool,
}

fn parse_version_spec(spec: &str) -> Option<VersionSpec> {
    let (numbers, free_threaded) = match spec.strip_suffix('t') {
        Some(n) => (n, true),
        None => (spec, false),
    };
    let parts: Vec<&str> = numbers.split('.').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    Some(VersionSpec {
        major: parts[0].parse().ok()?,
        minor: parts[1].parse().ok()?,
        micro: match parts.get(2) {
            Some(m) => Some(m.parse().ok()?),
            None => None,
        },
        free_threaded,
    })
}

fn list(found: &[Interpreter]) -> String {
    if found.is_empty() {
        return "none".to_owned();
    }
    found
        .iter()
        .map(Interpreter::describe)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Chooses among `found` (newest first): `None` picks the newest default (GIL) build, or the
/// newest free-threaded one when there is no other; `3.12` the newest 3.12 default build;
/// `3.13t` the newest free-threaded 3.13; `3.12.1` that exact release.
pub fn choose(found: &[Interpreter], spec: Option<&str>) -> Result<Interpreter, CpythonError> {
    let Some(spec) = spec else {
        return found
            .iter()
            .find(|i| !i.facts.free_threaded)
            .or_else(|| found.first())
            .cloned()
            .ok_or_else(|| CpythonError::NoMatch {
                spec: "of any version".to_owned(),
                found: "none".to_owned(),
            });
    };
    let wanted = parse_version_spec(spec).ok_or_else(|| CpythonError::BadSpec {
        spec: spec.to_owned(),
    })?;
    found
        .iter()
        .filter(|i| {
            let v = &i.version;
            v.python.major == wanted.major
                && v.python.minor == wanted.minor
                && wanted.micro.is_none_or(|m| m == v.micro)
                && i.facts.free_threaded == wanted.free_threaded
        })
        .max_by(|a, b| a.version.cmp(&b.version))
        .cloned()
        .ok_or_else(|| CpythonError::NoMatch {
            spec: spec.to_owned(),
            found: list(found),
        })
}

/// The interpreter for `spec`: a path (anything with a `/`), a version (see [`choose`]), or
/// the default when `None`. Discovery runs only when a version or the default is asked for.
pub fn select(spec: Option<&str>, options: &DiscoverOptions) -> Result<Interpreter, CpythonError> {
    if let Some(path) = spec.filter(|s| s.contains('/') || s.starts_with('~')) {
        let path = match (path.strip_prefix("~/"), &options.home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        };
        return probe(&path, options);
    }
    if let Some(name) = spec.filter(|s| parse_version_spec(s).is_none() && is_interpreter_name(s)) {
        return probe(Path::new(name), options);
    }
    let discovery = discover(options);
    if discovery.found.is_empty() {
        let searched: Vec<String> = discovery
            .searched
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        return Err(CpythonError::NoneFound {
            searched: searched.join(", "),
        });
    }
    choose(&discovery.found, spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpython::interpreter::{Facts, Version};

    fn interpreter(version: &str, free_threaded: bool) -> Interpreter {
        Interpreter {
            path: PathBuf::from(format!("/opt/python{version}/bin/python3")),
            version: Version::parse(version).unwrap(),
            facts: Facts {
                free_threaded,
                gil_enabled: !free_threaded,
                affinity: true,
                asyncio: true,
                subinterpreters: None,
                start_methods: vec!["fork".into()],
                release_call: Some("zlib.compress".into()),
                ctypes: true,
                loop_instructions: 8,
                bytecode_ns: 3.0,
            },
        }
    }

    #[test]
    fn interpreter_names() {
        for good in [
            "python",
            "python3",
            "python2",
            "python3.12",
            "python3.13t",
            "python2.7",
        ] {
            assert!(is_interpreter_name(good), "{good}");
        }
        for bad in [
            "python3-config",
            "python3.11-config",
            "pythont",
            "python-argcomplete-check-easy-install-script",
            "python3.",
            "python4",
            "ipython",
        ] {
            assert!(!is_interpreter_name(bad), "{bad}");
        }
    }

    #[test]
    fn choosing_by_version_and_build() {
        let found = [
            interpreter("3.13.1", true),
            interpreter("3.13.0", false),
            interpreter("3.12.1", false),
            interpreter("3.9.18", false),
        ];
        assert_eq!(choose(&found, None).unwrap().label(), "3.13.0");
        assert_eq!(choose(&found, Some("3.13t")).unwrap().label(), "3.13.1t");
        assert_eq!(choose(&found, Some("3.12")).unwrap().label(), "3.12.1");
        assert_eq!(choose(&found, Some("3.9.18")).unwrap().label(), "3.9.18");
        let missing = choose(&found, Some("3.11")).unwrap_err().to_string();
        assert!(
            missing.starts_with("no interpreter 3.11 found; found: 3.13.1t at /opt/python3.13.1/bin/python3, 3.13.0 at"),
            "{missing}"
        );
        let bad = choose(&found, Some("latest")).unwrap_err().to_string();
        assert!(bad.contains("neither a path"), "{bad}");
        let only_ft = [interpreter("3.14.0", true)];
        assert_eq!(choose(&only_ft, None).unwrap().label(), "3.14.0t");
    }
}
