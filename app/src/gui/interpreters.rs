//! The real interpreters the engine picker lists: found once, on a background thread started
//! with the window, so that the UI never waits for a probe.

use crossbeam::channel::{Receiver, TryRecvError, bounded};
use gilscope_sim::cpython::{self, DiscoverOptions, Discovery, Interpreter};
use std::path::Path;

/// The name of the discovery thread.
pub const THREAD_NAME: &str = "gilscope-discover";

/// The interpreters found, or the search still going.
#[derive(Debug)]
pub enum Interpreters {
    /// The background search has not answered yet.
    Searching(Receiver<Discovery>),
    /// What the search found.
    Found(Discovery),
    /// The search could not run (its thread could not start), in words.
    Failed(String),
}

impl Interpreters {
    /// Starts the search on its own thread.
    pub fn search(options: DiscoverOptions) -> Self {
        let (tx, rx) = bounded(1);
        let started = std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                let _ = tx.send(cpython::discover(&options));
            });
        match started {
            Ok(_) => Self::Searching(rx),
            Err(e) => Self::Failed(format!("the search for interpreters could not start: {e}")),
        }
    }

    /// A list known already (tests, screenshots): no search.
    pub fn known(found: Vec<Interpreter>) -> Self {
        Self::Found(Discovery {
            found,
            ..Discovery::default()
        })
    }

    /// Takes the search's answer if it has come (called once a frame; never blocks).
    pub fn poll(&mut self) {
        if let Self::Searching(rx) = self {
            match rx.try_recv() {
                Ok(discovery) => *self = Self::Found(discovery),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    *self = Self::Failed("the search for interpreters stopped".to_owned());
                }
            }
        }
    }

    /// The interpreters found (none while searching).
    pub fn found(&self) -> &[Interpreter] {
        match self {
            Self::Found(d) => &d.found,
            Self::Searching(_) | Self::Failed(_) => &[],
        }
    }

    /// Whether the search is still going.
    pub fn searching(&self) -> bool {
        matches!(self, Self::Searching(_))
    }

    /// The interpreter at `path`, or the newest found for `None`.
    pub fn get(&self, path: Option<&Path>) -> Option<&Interpreter> {
        match path {
            Some(path) => self.found().iter().find(|i| i.path == path),
            None => cpython::discover::choose(self.found(), None)
                .ok()
                .and_then(|chosen| self.found().iter().find(|i| i.path == chosen.path)),
        }
    }

    /// Why no real interpreter can be chosen, in words (none while searching or when some
    /// were found).
    pub fn unavailable(&self) -> Option<String> {
        match self {
            Self::Failed(why) => Some(why.clone()),
            Self::Found(d) if d.found.is_empty() => {
                let searched: Vec<String> =
                    d.searched.iter().map(|p| p.display().to_string()).collect();
                Some(if searched.is_empty() {
                    "no CPython interpreter found".to_owned()
                } else {
                    format!(
                        "no CPython interpreter found (looked in {})",
                        searched.join(", ")
                    )
                })
            }
            Self::Found(_) | Self::Searching(_) => None,
        }
    }
}
