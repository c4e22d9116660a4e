//! The `text` of a narration sentence: words with `{fact}` placeholders (`{wall}`,
//! `{threads.worker}`) that the run's values fill, each written in its kind's style. A count
//! may carry its noun, which then agrees with it: `{cores:core}` reads "1 core" or "8 cores",
//! `{interpreters:process|processes}` names the plural too. `{{` and `}}` stand for braces.

use super::facts::{FactRef, Kind, RunFacts, Value};
use super::names::resolve;

/// A parsed sentence text.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Words(String),
    Fact {
        name: String,
        fact: FactRef,
        /// The noun a count carries: singular and plural.
        noun: Option<(String, String)>,
    },
}

/// A fact quoted in an assembled sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// The fact's name as the scenario wrote it (`threads.worker`, current names for renamed
    /// ones).
    pub fact: String,
    /// Its value in the run.
    pub value: Value,
    /// The value as the sentence writes it (`5.07 ms`).
    pub text: String,
}

/// Why a text does not parse: what is wrong and where (a byte offset into the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset in the text.
    pub at: usize,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl Template {
    /// Parses `text`, resolving fact qualifiers against `groups` and `counters`.
    pub fn parse(
        text: &str,
        groups: &[String],
        counters: &[String],
    ) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut words = String::new();
        let mut rest = text.char_indices().peekable();
        while let Some((at, c)) = rest.next() {
            match c {
                '{' if rest.peek().map(|&(_, c)| c) == Some('{') => {
                    rest.next();
                    words.push('{');
                }
                '}' if rest.peek().map(|&(_, c)| c) == Some('}') => {
                    rest.next();
                    words.push('}');
                }
                '{' => {
                    let close = text[at..].find('}').ok_or_else(|| TemplateError {
                        at,
                        message: "`{` opens a placeholder that is never closed: write `{wall}`, or `{{` for a brace".into(),
                    })?;
                    let inside = text[at + 1..at + close].trim();
                    let (name, noun) = match inside.split_once(':') {
                        Some((name, noun)) => (name.trim(), Some(noun_forms(noun.trim()))),
                        None => (inside, None),
                    };
                    let fact = resolve(name, groups, counters).map_err(|e| TemplateError {
                        at,
                        message: e.to_string(),
                    })?;
                    if noun.is_some() && fact.fact.kind != Kind::Count {
                        return Err(TemplateError {
                            at,
                            message: format!(
                                "`{{{inside}}}`: only a count carries a noun (`{{cores:core}}`); `{name}` is not one"
                            ),
                        });
                    }
                    if fact.fact.kind == Kind::Bool {
                        return Err(TemplateError {
                            at,
                            message: format!(
                                "`{{{name}}}` is true or false: test it in `when` instead of quoting it"
                            ),
                        });
                    }
                    if !words.is_empty() {
                        parts.push(Part::Words(std::mem::take(&mut words)));
                    }
                    let current = renamed(name, fact);
                    parts.push(Part::Fact {
                        name: current,
                        fact,
                        noun,
                    });
                    while rest.peek().is_some_and(|&(i, _)| i <= at + close) {
                        rest.next();
                    }
                }
                '}' => {
                    return Err(TemplateError {
                        at,
                        message: "`}` closes no placeholder: write `}}` for a brace".into(),
                    });
                }
                c => words.push(c),
            }
        }
        if !words.is_empty() {
            parts.push(Part::Words(words));
        }
        Ok(Template { parts })
    }

    /// The facts the text quotes.
    pub fn facts(&self) -> impl Iterator<Item = &FactRef> {
        self.parts.iter().filter_map(|p| match p {
            Part::Fact { fact, .. } => Some(fact),
            Part::Words(_) => None,
        })
    }

    /// The text filled with `run`'s values, and what it quotes; `None` when the run lacks one
    /// of them (a sentence about I/O latency in a run without I/O is left out).
    pub fn fill(&self, run: &RunFacts<'_>) -> Option<(String, Vec<Quote>)> {
        let mut text = String::new();
        let mut quotes = Vec::new();
        for part in &self.parts {
            match part {
                Part::Words(words) => text.push_str(words),
                Part::Fact { name, fact, noun } => {
                    let value = fact.value(run)?;
                    let written = value.write(fact.fact.kind);
                    text.push_str(&written);
                    if let Some((one, many)) = noun {
                        let word = if value == Value::Number(1.0) {
                            one
                        } else {
                            many
                        };
                        text.push(' ');
                        // Under a pool the scenario's threads are its tasks, and "worker" is
                        // the pool's: "4 workers each run…" would count the tasks as workers.
                        if fact.fact.name == "threads" && run.stats.runtime.is_pool() {
                            text.push_str(&as_task(word));
                        } else {
                            text.push_str(word);
                        }
                    }
                    quotes.push(Quote {
                        fact: name.clone(),
                        value,
                        text: written,
                    });
                }
            }
        }
        Some((text, quotes))
    }
}

/// A noun for threads as the noun for a pool's tasks: its last word "worker" or "workers"
/// becomes "task" or "tasks" ("I/O worker" → "I/O task"); any other noun is kept.
fn as_task(noun: &str) -> String {
    let (head, last) = noun.rsplit_once(' ').unwrap_or(("", noun));
    let task = match last {
        "worker" => "task",
        "workers" => "tasks",
        _ => return noun.to_owned(),
    };
    if head.is_empty() {
        task.to_owned()
    } else {
        format!("{head} {task}")
    }
}

/// `"core"` as ("core", "cores"); `"process|processes"` as written.
fn noun_forms(noun: &str) -> (String, String) {
    match noun.split_once('|') {
        Some((one, many)) => (one.trim().to_owned(), many.trim().to_owned()),
        None => (noun.to_owned(), format!("{noun}s")),
    }
}

/// The name as written, with a renamed fact's base replaced by its current name.
fn renamed(name: &str, fact: FactRef) -> String {
    match name.split_once('.') {
        Some((_, qualifier)) => format!("{}.{qualifier}", fact.fact.name),
        None => fact.fact.name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::as_task;

    #[test]
    fn a_pools_threads_are_tasks_not_workers() {
        assert_eq!(as_task("worker"), "task");
        assert_eq!(as_task("workers"), "tasks");
        assert_eq!(as_task("I/O worker"), "I/O task");
        assert_eq!(as_task("CPU-bound workers"), "CPU-bound tasks");
        assert_eq!(as_task("thread"), "thread");
        assert_eq!(as_task("worker processes"), "worker processes");
    }
}
