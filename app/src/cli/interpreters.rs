//! `gilscope interpreters`: every `CPython` discovery finds here, with its exact version, its
//! build, its speed and its path; the candidates it rejected and why; where it looked.

use gilscope_sim::cpython::discover::Rejected;
use gilscope_sim::cpython::{Discovery, Interpreter};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// One interpreter as `--json` writes it.
#[derive(Debug, Serialize)]
pub struct Found<'a> {
    /// `3.13.0`, or `3.13.0t` for a free-threaded build: what `--interpreter` accepts.
    pub label: String,
    /// The exact version.
    pub version: String,
    /// A free-threaded build.
    pub free_threaded: bool,
    /// Whether its GIL is on at start-up.
    pub gil_enabled: bool,
    /// Nanoseconds per bytecode of the countdown loop (best of five, when probed).
    pub bytecode_ns: f64,
    /// The runtimes gilscope can run on it.
    pub runtimes: Vec<String>,
    /// The executable.
    pub path: &'a std::path::Path,
    /// Everything the probe found.
    pub facts: &'a gilscope_sim::cpython::interpreter::Facts,
}

/// The whole answer as `--json` writes it.
#[derive(Debug, Serialize)]
pub struct Listing<'a> {
    /// Usable interpreters, newest first; the first default build is the default one.
    pub found: Vec<Found<'a>>,
    /// Candidates that are not usable, with the reason.
    pub rejected: &'a [Rejected],
    /// The directories searched, in order.
    pub searched: &'a [PathBuf],
    /// Where the probes' results are kept (per path and modification time).
    pub cache: Option<PathBuf>,
}

/// The runtimes gilscope can run on `interpreter`, as `--runtime` names them.
pub fn runtimes(interpreter: &Interpreter) -> Vec<String> {
    let facts = &interpreter.facts;
    let mut out = vec!["threads".to_owned()];
    if facts.asyncio {
        out.push("asyncio".to_owned());
    }
    if !facts.start_methods.is_empty() {
        out.push(format!(
            "multiprocessing ({})",
            facts.start_methods.join(", ")
        ));
    }
    if facts.subinterpreters.is_some() {
        out.push("subinterpreters".to_owned());
    }
    out
}

/// The `--json` document.
pub fn listing(discovery: &Discovery) -> Listing<'_> {
    Listing {
        found: discovery
            .found
            .iter()
            .map(|i| Found {
                label: i.label(),
                version: i.version.to_string(),
                free_threaded: i.facts.free_threaded,
                gil_enabled: i.facts.gil_enabled,
                bytecode_ns: i.facts.bytecode_ns,
                runtimes: runtimes(i),
                path: &i.path,
                facts: &i.facts,
            })
            .collect(),
        rejected: &discovery.rejected,
        searched: &discovery.searched,
        cache: gilscope_sim::cpython::cache::default_file(),
    }
}

fn build(interpreter: &Interpreter) -> &'static str {
    match (
        interpreter.facts.free_threaded,
        interpreter.facts.gil_enabled,
    ) {
        (false, _) => "GIL",
        (true, false) => "free-threaded",
        (true, true) => "free-threaded, GIL on",
    }
}

/// What `gilscope interpreters` prints: the JSON document, or the readable answer.
pub fn text(discovery: &Discovery, json: bool) -> Result<String, super::CliError> {
    if json {
        super::commands::to_json(&listing(discovery))
    } else {
        Ok(render(discovery))
    }
}

/// The readable answer: a table of the interpreters found, the rejected candidates, and the
/// directories searched (which is all it says when none was found).
pub fn render(discovery: &Discovery) -> String {
    let searched: Vec<String> = discovery
        .searched
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    let mut text = String::new();
    if discovery.found.is_empty() {
        let _ = writeln!(
            text,
            "no interpreter found: no CPython 2.7 or later in {}",
            searched.join(", ")
        );
    } else {
        let default = gilscope_sim::cpython::discover::choose(&discovery.found, None)
            .ok()
            .map(|i| i.path);
        let _ = writeln!(
            text,
            "{} interpreter{} found (newest first; * is the default of --engine cpython):",
            discovery.found.len(),
            if discovery.found.len() == 1 { "" } else { "s" }
        );
        let width = discovery
            .found
            .iter()
            .map(|i| i.label().len())
            .max()
            .unwrap_or(0)
            .max("version".len());
        let wide = discovery
            .found
            .iter()
            .map(|i| runtimes(i).join(", ").len())
            .max()
            .unwrap_or(0);
        let _ = writeln!(
            text,
            "  {:width$}  {:<21}  {:>11}  {:<wide$}  path",
            "version", "build", "ns/bytecode", "runtimes"
        );
        for i in &discovery.found {
            let mark = if default.as_ref() == Some(&i.path) {
                '*'
            } else {
                ' '
            };
            let _ = writeln!(
                text,
                "{mark} {:width$}  {:<21}  {:>11.1}  {:<wide$}  {}",
                i.label(),
                build(i),
                i.facts.bytecode_ns,
                runtimes(i).join(", "),
                i.path.display()
            );
        }
    }
    if !discovery.rejected.is_empty() {
        text.push_str("not usable:\n");
        for r in &discovery.rejected {
            let _ = writeln!(text, "  {}: {}", r.path.display(), r.reason);
        }
    }
    if !discovery.found.is_empty() {
        let _ = writeln!(text, "searched: {}", searched.join(", "));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use gilscope_sim::cpython::interpreter::{Facts, Version};

    fn interpreter(version: &str, free_threaded: bool) -> Interpreter {
        Interpreter {
            path: PathBuf::from(format!("/opt/python{version}/bin/python3")),
            version: Version::parse(version).unwrap(),
            facts: Facts {
                free_threaded,
                gil_enabled: !free_threaded,
                affinity: true,
                asyncio: true,
                subinterpreters: free_threaded.then(|| "_interpreters".to_owned()),
                start_methods: vec!["fork".into(), "spawn".into()],
                release_call: Some("zlib.compress".into()),
                ctypes: true,
                loop_instructions: 8,
                bytecode_ns: 3.25,
            },
        }
    }

    #[test]
    fn none_found_says_where_it_looked() {
        let discovery = Discovery {
            searched: vec!["/usr/bin".into(), "/home/u/.pyenv/versions/3.9/bin".into()],
            rejected: vec![Rejected {
                path: "/usr/bin/python2".into(),
                reason: "Python 2.6.9 is older than 2.7, the oldest gilscope runs".into(),
            }],
            ..Discovery::default()
        };
        assert_eq!(
            render(&discovery),
            "no interpreter found: no CPython 2.7 or later in /usr/bin, /home/u/.pyenv/versions/3.9/bin\n\
             not usable:\n  /usr/bin/python2: Python 2.6.9 is older than 2.7, the oldest gilscope runs\n"
        );
    }

    #[test]
    fn the_table_marks_the_default_and_lists_the_runtimes() {
        let discovery = Discovery {
            found: vec![interpreter("3.14.0", true), interpreter("3.12.1", false)],
            searched: vec!["/usr/bin".into()],
            ..Discovery::default()
        };
        let text = render(&discovery);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("2 interpreters found"), "{text}");
        assert!(lines[2].starts_with("  3.14.0t  free-threaded "), "{text}");
        assert!(lines[3].starts_with("* 3.12.1 "), "{text}");
        assert!(lines[3].contains("threads, asyncio, multiprocessing (fork, spawn)"));
        assert!(lines[3].ends_with("/opt/python3.12.1/bin/python3"));
        assert!(lines[2].contains("subinterpreters") && lines[2].contains("3.2"));
        assert_eq!(lines[4], "searched: /usr/bin");
        let json = serde_json::to_value(listing(&discovery)).unwrap();
        assert_eq!(json["found"][0]["label"], "3.14.0t");
        assert_eq!(json["found"][1]["facts"]["loop_instructions"], 8);
    }
}
