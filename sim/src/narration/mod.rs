//! The words that explain a run: a preset's narration, assembled from the sentences that are
//! true for the run shown, with the run's own numbers; and the compare headline.
//!
//! A scenario states its story as `[[narration]]` entries, each a `text` with `{fact}`
//! placeholders and an optional `when` condition on the facts of the run (its runtime, build,
//! version, thread and core counts, how far it got, and its stats: see [`facts::FACTS`]).
//! [`Narration::narrate`] keeps the entries whose condition holds and whose facts the run has,
//! fills in the numbers in the style of [`crate::format`], and says first when the run is still
//! going, was cut at its duration, or was stopped by an error. While a run is going, only the
//! sentences about its settings are shown: its results are not known yet.
//!
//! The app's narration panel, `gilscope run` (under its summary and as `"narration"` in
//! `--json`) and the tests all read the sentences through here.

mod condition;
pub mod facts;
pub mod headline;
mod names;
pub(crate) mod parse;
mod pool;
mod so_far;
mod template;

pub use condition::{Condition, ConditionError};
pub use facts::{FACTS, Fact, Kind, RunFacts, Value};
pub use headline::{Headline, Purpose, Side, headline};
pub use template::{Quote, Template, TemplateError};

use crate::format;
use crate::names::named_enum;
use crate::stats::Stats;
use crate::trace::Trace;
use so_far::so_far;

named_enum! {
    /// How far a run got, as the narration tells it.
    pub enum RunState ("run state") {
        /// Still going: only its settings are known.
        Running = "running",
        /// Ended by itself: every finite thread finished.
        Ended = "ended",
        /// Ended at its `duration` before every thread finished.
        Cut = "cut",
        /// Stopped early: an error (the span limit, a deadlock) or the user (Ctrl+C).
        Stopped = "stopped",
    }
}

impl RunState {
    /// The state of `trace`: running until it is finished; cut when it reached its `duration`
    /// with a thread unfinished; ended otherwise. A run stopped by an error or by the user is
    /// [`RunState::Stopped`], which only the caller knows.
    pub fn of(trace: &Trace) -> RunState {
        if !trace.finished {
            return RunState::Running;
        }
        let reached = trace.meta.config.duration.is_some_and(|d| trace.now >= d);
        if reached && trace.threads.iter().any(|t| t.finished.is_none()) {
            RunState::Cut
        } else {
            RunState::Ended
        }
    }
}

/// One entry of a narration: its condition and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// When it holds.
    pub when: Condition,
    /// What it says.
    pub text: Template,
}

impl Sentence {
    /// Whether it reads only settings, so that it is true before the run has ended.
    fn about_settings(&self) -> bool {
        self.when.reads_only_settings() && self.text.facts().all(|f| f.fact.setting)
    }
}

/// A scenario's narration: its sentences in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Narration {
    sentences: Vec<Sentence>,
}

/// A sentence as assembled for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Said {
    /// The words, numbers filled in (`code` between backticks).
    pub text: String,
    /// The facts it quotes, in order.
    pub quotes: Vec<Quote>,
}

/// The narration of one run: the sentences true for it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Narrated {
    /// In order; the first says whether the run is still going, cut or stopped, when it is.
    pub sentences: Vec<Said>,
}

impl Narrated {
    /// The whole text: sentences joined by spaces, paragraphs (blank lines in a text) kept.
    pub fn text(&self) -> String {
        self.sentences
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Joins a text's lines into one, keeping paragraphs (blank lines) apart.
fn reflow(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Ends `text` as a sentence: a text whose last words are a quoted fact without its own full
/// stop (an interpreter's warning ending in a parenthesis) gets one.
fn end_sentence(mut text: String) -> String {
    let last = text
        .trim_end_matches([')', '"', '\'', '`', '\u{201d}'])
        .chars()
        .next_back();
    if !matches!(last, None | Some('.' | '!' | '?' | ':')) {
        text.push('.');
    }
    text
}

impl Narration {
    /// A narration of these sentences.
    pub fn new(sentences: Vec<Sentence>) -> Self {
        Self { sentences }
    }

    /// Whether it has no sentences.
    pub fn is_empty(&self) -> bool {
        self.sentences.is_empty()
    }

    /// The sentences true for `run`, filled with its numbers; `stopped` is why the run was
    /// stopped early, when it was (its state is then [`RunState::Stopped`]).
    pub fn narrate(&self, trace: &Trace, stats: &Stats, stopped: Option<&str>) -> Narrated {
        let run = RunFacts {
            trace,
            stats,
            state: if stopped.is_some() {
                RunState::Stopped
            } else {
                RunState::of(trace)
            },
        };
        let mut sentences: Vec<Said> = self.status(&run, stopped).into_iter().collect();
        let mut chosen = Vec::new();
        let mut said = Vec::new();
        for sentence in &self.sentences {
            if run.state == RunState::Running && !sentence.about_settings() {
                continue;
            }
            if !sentence.when.holds(&run) {
                continue;
            }
            if let Some((text, quotes)) = sentence.text.fill(&run) {
                chosen.push(sentence);
                said.push(Said {
                    text: end_sentence(reflow(&text)),
                    quotes,
                });
            }
        }
        sentences.extend(pool::pool_sentence(&run, &chosen));
        sentences.extend(said);
        Narrated { sentences }
    }
}

impl Narration {
    /// What a run that has not simply ended is, in one sentence quoting how far it got; while it
    /// is still going, also what is true so far of what the narration will quote (see
    /// [`so_far`]).
    fn status(&self, run: &RunFacts<'_>, stopped: Option<&str>) -> Option<Said> {
        let wall = format::ms(run.stats.wall_ms);
        let mut quotes = vec![Quote {
            fact: "wall".to_owned(),
            value: Value::Number(run.stats.wall_ms),
            text: wall.clone(),
        }];
        let text = match run.state {
            RunState::Ended => return None,
            RunState::Running => {
                let of = run
                    .trace
                    .meta
                    .config
                    .duration
                    .map(|d| format!(" of {}", format::nanos(d)))
                    .unwrap_or_default();
                let (clauses, more) = so_far(run, self.topics());
                quotes.extend(more);
                let clauses: String = clauses.iter().flat_map(|c| ["; ", c.as_str()]).collect();
                format!(
                    "The run is still going: {wall}{of} simulated so far{clauses}. Its results come when it ends."
                )
            }
            RunState::Cut => format!(
                "The run was cut at {wall}, its duration, before every thread finished: the numbers are for the part that ran."
            ),
            RunState::Stopped => format!(
                "The run stopped at {wall}, before its end ({}): the numbers are for the part that ran.",
                stopped.unwrap_or("stopped")
            ),
        };
        Some(Said { text, quotes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Overrides;
    use crate::run::{RunOptions, run_scenario};
    use crate::scenario::Scenario;

    const SCENARIO: &str = r#"
name = "x"
purpose = "io_latency"

[[narration]]
text = "An I/O thread and {threads.busy} busy thread on {cores} cores."

[[narration]]
when = "gil and interval >= 1ms"
text = "Each request took {io_latency} ({io_ops} calls), with a {interval} interval."

[[narration]]
when = "not gil or runtime = asyncio"
text = "No convoy here."

[[narration]]
when = "lost > 0"
text = "Lost {lost}."

[[threads]]
name = "busy"
repeat = "forever"
ops = [ { compute = 100_000 } ]

[[threads]]
name = "io"
repeat = 20
ops = [ { io = "56us" }, { compute = 40 } ]
"#;

    fn run(text: &str, overrides: &Overrides) -> (Scenario, crate::run::Finished) {
        let scenario = Scenario::parse(text, "x.toml").unwrap();
        let config = scenario.config(overrides).unwrap();
        let finished = run_scenario(&scenario, &config, &RunOptions::default()).unwrap();
        (scenario, finished)
    }

    fn parse_error(narration: &str) -> String {
        let text = format!(
            "name = \"x\"\n{narration}\n[[threads]]\nname = \"a\"\nops = [ {{ compute = 3 }} ]\n"
        );
        Scenario::parse(&text, "bad.toml").unwrap_err().to_string()
    }

    #[test]
    fn only_the_sentences_true_for_the_run_are_said_with_its_numbers() {
        let (scenario, finished) = run(SCENARIO, &Overrides::default());
        assert_eq!(scenario.purpose, Purpose::IoLatency);
        let said = scenario
            .narration
            .narrate(&finished.trace, &finished.stats, None);
        let latency = crate::format::ms(finished.stats.io_latency_ms.unwrap().mean);
        assert_eq!(
            said.text(),
            format!(
                "An I/O thread and 1 busy thread on 2 cores. Each request took {latency} (20 calls), with a 5.00 ms interval."
            )
        );
        assert_eq!(said.sentences[1].quotes[0].fact, "io_latency");
        assert_eq!(said.sentences[1].quotes[0].text, latency);
        let free = Overrides {
            free_threaded: Some(true),
            cores: Some(8),
            ..Overrides::default()
        };
        let (scenario, finished) = run(SCENARIO, &free);
        let said = scenario
            .narration
            .narrate(&finished.trace, &finished.stats, None)
            .text();
        assert_eq!(
            said,
            "An I/O thread and 1 busy thread on 8 cores. No convoy here."
        );
    }

    #[test]
    fn a_run_still_going_or_stopped_says_so() {
        let (scenario, finished) = run(SCENARIO, &Overrides::default());
        let mut going = finished.trace.clone();
        going.finished = false;
        let said = scenario.narration.narrate(&going, &finished.stats, None);
        assert!(
            said.sentences[0].text.starts_with("The run is still going"),
            "{said:?}"
        );
        // Results wait for the end: only the sentence about settings is shown.
        assert_eq!(said.sentences.len(), 2);
        let stopped =
            scenario
                .narration
                .narrate(&finished.trace, &finished.stats, Some("too many spans"));
        assert!(
            stopped.text().starts_with("The run stopped at"),
            "{}",
            stopped.text()
        );
        assert!(stopped.text().contains("(too many spans)"));
        let cut = Overrides {
            duration: Some(crate::time::MS),
            ..Overrides::default()
        };
        let (scenario, finished) = run(SCENARIO, &cut);
        let said = scenario
            .narration
            .narrate(&finished.trace, &finished.stats, None);
        assert_eq!(RunState::of(&finished.trace), RunState::Cut);
        assert!(
            said.text().starts_with("The run was cut at 1.00 ms"),
            "{}",
            said.text()
        );
    }

    #[test]
    fn a_run_still_going_says_what_is_true_so_far_and_nothing_final() {
        let (scenario, finished) = run(SCENARIO, &Overrides::default());
        let mut going = finished.trace.clone();
        going.finished = false;
        let said = scenario.narration.narrate(&going, &finished.stats, None);
        let status = &said.sentences[0];
        let calls: u64 = finished.stats.threads.iter().map(|t| t.io_ops).sum();
        let latency = crate::format::ms(finished.stats.io_latency_ms.unwrap().mean);
        assert!(
            status.text.contains(&format!(
                "{calls} I/O calls have returned so far, taking {latency} on average"
            )),
            "{}",
            status.text
        );
        assert!(
            status
                .quotes
                .iter()
                .any(|q| q.fact == "io_latency" && q.text == latency)
        );
        // Before any I/O call has returned: no latency quoted, and that is said.
        let mut early = finished.stats.clone();
        early.io_latency_ms = None;
        for t in &mut early.threads {
            t.io_ops = 0;
        }
        let said = scenario.narration.narrate(&going, &early, None);
        assert!(
            said.sentences[0]
                .text
                .contains("no I/O call has returned yet"),
            "{}",
            said.sentences[0].text
        );
        assert!(
            !said.sentences[0]
                .quotes
                .iter()
                .any(|q| q.fact == "io_latency")
        );
        // A run with a duration says how far along it is.
        let timed = Overrides {
            duration: Some(200 * crate::time::MS),
            ..Overrides::default()
        };
        let (scenario, finished) = run(SCENARIO, &timed);
        let mut going = finished.trace.clone();
        going.finished = false;
        let text = scenario
            .narration
            .narrate(&going, &finished.stats, None)
            .text();
        assert!(text.contains(" of 200 ms simulated so far"), "{text}");
    }

    #[test]
    fn a_sentence_ending_in_a_quoted_warning_still_ends_with_a_full_stop() {
        assert_eq!(
            end_sentence("It complains: Executing took 0.120 s (it took 120 ms)".to_owned()),
            "It complains: Executing took 0.120 s (it took 120 ms)."
        );
        for whole in ["Done.", "(As measured.)", "Really?", "It says \"so.\""] {
            assert_eq!(end_sentence(whole.to_owned()), whole);
        }
        // The asyncio preset quotes its debug-mode warning last in a sentence.
        let scenario = crate::presets::preset("asyncio").unwrap().unwrap();
        let config = scenario.config(&Overrides::default()).unwrap();
        let finished = run_scenario(&scenario, &config, &RunOptions::default()).unwrap();
        let said = scenario
            .narration
            .narrate(&finished.trace, &finished.stats, None);
        let warned = said
            .sentences
            .iter()
            .find(|s| s.text.contains("debug mode complains"))
            .expect("the warning is quoted");
        assert!(warned.text.ends_with(")."), "{}", warned.text);
    }

    #[test]
    fn free_threaded_presets_on_one_core_claim_no_travelling_cache_line() {
        for name in ["ft-shared-object", "ft-shared-dict", "ft-own-copies"] {
            let scenario = crate::presets::preset(name).unwrap().unwrap();
            let one_core = Overrides {
                cores: Some(1),
                ..Overrides::default()
            };
            let config = scenario.config(&one_core).unwrap();
            let finished = run_scenario(&scenario, &config, &RunOptions::default()).unwrap();
            let text = finished.stats.narration;
            assert!(
                text.to_lowercase().contains("on a single core"),
                "{name}: {text}"
            );
            for false_there in [
                "so they run at once",
                "must travel",
                "queue for the same",
                "free-threading scales",
                "measured this slowdown",
            ] {
                assert!(!text.contains(false_there), "{name}: {text}");
            }
        }
    }

    #[test]
    fn the_older_single_text_still_works() {
        let text = "name = \"x\"\nnarration = \"\"\"\nTook {wall},\nspeedup {speedup}.\n\"\"\"\n[[threads]]\nname = \"a\"\nops = [ { compute = 3 } ]\n";
        let (scenario, finished) = run(text, &Overrides::default());
        let said = scenario
            .narration
            .narrate(&finished.trace, &finished.stats, None);
        assert_eq!(
            said.text(),
            format!(
                "Took {}, speedup {}.",
                crate::format::ms(finished.stats.wall_ms),
                crate::format::ratio(finished.stats.speedup.unwrap())
            )
        );
    }

    #[test]
    fn mistakes_are_placed_in_the_file_with_what_is_allowed() {
        let e = parse_error("[[narration]]\nwhen = \"gil and treads > 1\"\ntext = \"x\"");
        assert!(e.starts_with("bad.toml:3:17:"), "{e}");
        assert!(
            e.contains("`treads` is not a fact") && e.contains("threads"),
            "{e}"
        );
        let e = parse_error("[[narration]]\ntext = \"took {wal}\"");
        assert!(
            e.starts_with("bad.toml:3:14:") && e.contains("`wal`"),
            "{e}"
        );
        let e = parse_error("[[narration]]\nwhen = \"runtime = fibers\"\ntext = \"x\"");
        assert!(e.contains("asyncio"), "{e}");
        let e = parse_error("[[narration]]\nwhen = \"python >= three\"\ntext = \"x\"");
        assert!(e.contains("like \"3.13\""), "{e}");
        let e = parse_error("[[narration]]\nwhen = \"interval < 2\"\ntext = \"x\"");
        assert!(e.contains("no unit"), "{e}");
        let e = parse_error("[[narration]]\nwhen = \"cores\"\ntext = \"x\"");
        assert!(e.contains("compare it"), "{e}");
        let e = parse_error("[[narration]]\nwhen = \"threads.nobody > 1\"\ntext = \"x\"");
        assert!(
            e.contains("no thread group \"nobody\"") && e.contains("\"a\""),
            "{e}"
        );
        let e = parse_error("[[narration]]\nwhen = \"(gil\"\ntext = \"x\"");
        assert!(e.contains("`)`"), "{e}");
        let e = parse_error("[[narration]]\ntext = \"{gil}\"");
        assert!(e.contains("test it in `when`"), "{e}");
        let e = parse_error("[[narration]]\ntext = \"x\"\nwhen = \"gil\"\ncolour = 1");
        assert!(e.contains("colour"), "{e}");
        let e = parse_error("purpose = \"speed\"");
        assert!(e.contains("throughput, io_latency or lost_updates"), "{e}");
    }

    #[test]
    fn conditions_compare_by_the_facts_kind() {
        let (scenario, finished) = run(SCENARIO, &Overrides::default());
        let facts = RunFacts {
            trace: &finished.trace,
            stats: &finished.stats,
            state: RunState::Ended,
        };
        let holds = |text: &str| {
            Condition::parse(text, &["busy".into(), "io".into()], &scenario.counters)
                .unwrap_or_else(|e| panic!("{text}: {e:?}"))
                .holds(&facts)
        };
        assert!(holds("python >= 3.10 and python < 3.14"));
        assert!(!holds("python >= 3.2 and python <= 3.9"));
        assert!(holds(
            "interval = 5ms and cores = 2 and threads = 2 and threads.io = 1"
        ));
        assert!(holds(
            "runtime = threads and runtime != asyncio and state = ended"
        ));
        assert!(holds("(old_gil or gil) and not free_threaded"));
        assert!(holds("held_pct > 90% and speedup < 1.5"));
        // No counters, so no lost updates to compare: false either way.
        assert!(!holds("lost > 0") && !holds("lost = 0"));
    }
}
