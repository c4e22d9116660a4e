//! The interpreters already probed, kept as JSON under `$XDG_CACHE_HOME/gilscope/` (or
//! `~/.cache/gilscope/`), keyed by the executable's path and modification time: a rebuilt or
//! upgraded interpreter is probed again. A cache that cannot be read is rebuilt, and one that
//! cannot be written is simply not kept: neither is an error.

use super::interpreter::Interpreter;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Bumped when the probe measures something new, so that old entries are ignored.
const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    path: PathBuf,
    mtime_ns: u64,
    interpreter: Interpreter,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    entries: Vec<Entry>,
}

/// Probed interpreters by path and modification time.
#[derive(Debug, Default)]
pub struct Cache {
    file: Option<PathBuf>,
    entries: Vec<Entry>,
    changed: bool,
}

/// The default cache file: `$XDG_CACHE_HOME/gilscope/interpreters.json`, else
/// `$HOME/.cache/gilscope/interpreters.json`.
pub fn default_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("gilscope").join("interpreters.json"))
}

/// The modification time of `path` in nanoseconds since the epoch.
pub fn mtime_ns(path: &Path) -> Option<u64> {
    let modified = fs::metadata(path).ok()?.modified().ok()?;
    u64::try_from(modified.duration_since(UNIX_EPOCH).ok()?.as_nanos()).ok()
}

impl Cache {
    /// Reads `file` (none: a cache that keeps nothing).
    pub fn load(file: Option<PathBuf>) -> Self {
        let entries = file
            .as_deref()
            .and_then(|f| fs::read(f).ok())
            .and_then(|bytes| serde_json::from_slice::<CacheFile>(&bytes).ok())
            .filter(|c| c.format == FORMAT)
            .map(|c| c.entries)
            .unwrap_or_default();
        Self {
            file,
            entries,
            changed: false,
        }
    }

    /// The interpreter probed at `path`, if it has not changed since.
    pub fn get(&self, path: &Path) -> Option<Interpreter> {
        let mtime = mtime_ns(path)?;
        self.entries
            .iter()
            .find(|e| e.path == path && e.mtime_ns == mtime)
            .map(|e| e.interpreter.clone())
    }

    /// Remembers `interpreter` (keyed by its path's current modification time).
    pub fn put(&mut self, interpreter: &Interpreter) {
        let Some(mtime) = mtime_ns(&interpreter.path) else {
            return;
        };
        self.entries.retain(|e| e.path != interpreter.path);
        self.entries.push(Entry {
            path: interpreter.path.clone(),
            mtime_ns: mtime,
            interpreter: interpreter.clone(),
        });
        self.changed = true;
    }

    /// Writes the cache back if it changed (best effort, through a temporary file).
    pub fn save(&self) {
        let Some(file) = self.file.as_deref().filter(|_| self.changed) else {
            return;
        };
        let contents = CacheFile {
            format: FORMAT,
            entries: self.entries.clone(),
        };
        let Ok(text) = serde_json::to_vec_pretty(&contents) else {
            return;
        };
        let temporary = file.with_extension(format!("json.{}", std::process::id()));
        let written = file
            .parent()
            .is_some_and(|dir| fs::create_dir_all(dir).is_ok())
            && fs::write(&temporary, text).is_ok()
            && fs::rename(&temporary, file).is_ok();
        if !written {
            let _ = fs::remove_file(&temporary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_cache_is_an_empty_one() {
        let dir = std::env::temp_dir().join(format!("gilscope-cache-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("interpreters.json");
        fs::write(&file, b"{ not json").unwrap();
        let cache = Cache::load(Some(file.clone()));
        assert!(cache.entries.is_empty());
        assert!(cache.get(&file).is_none());
        fs::remove_dir_all(&dir).unwrap();
    }
}
