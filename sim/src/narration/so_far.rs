//! What a run still going can truthfully say of the results its narration will quote: the
//! numbers so far, marked as such ("2 GIL switches so far", "no I/O call has returned yet"),
//! or that they come at the end (lost updates are replayed when the run ends).

use super::facts::{RunFacts, Value};
use super::template::Quote;
use super::{Narration, Sentence};
use crate::format;

/// The kinds of results a narration quotes, which a running run reports so far.
#[allow(clippy::struct_excessive_bools, reason = "independent topics")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Topics {
    /// GIL switches, drop requests, the GIL's share of the time.
    pub switches: bool,
    /// Blocking calls and their latency.
    pub io: bool,
    /// A shared counter's lost updates.
    pub lost: bool,
}

impl Topics {
    /// The topic a fact named `name` belongs to, added.
    fn add(&mut self, name: &str) {
        match name {
            "switches" | "switches_per_s" | "forced_switches" | "drop_requests" | "held_pct" => {
                self.switches = true;
            }
            "lost" | "lost_pct" | "expected" => self.lost = true,
            _ if name.starts_with("io_") || name.starts_with("resume_lag") => self.io = true,
            _ => {}
        }
    }
}

impl Narration {
    /// The results its sentences quote, by topic.
    pub fn topics(&self) -> Topics {
        let mut topics = Topics::default();
        for name in self
            .sentences
            .iter()
            .flat_map(|s: &Sentence| s.text.facts())
            .map(|f| f.fact.name)
        {
            topics.add(name);
        }
        topics
    }
}

/// A quote of a count.
fn quote_count(fact: &str, n: u64) -> Quote {
    Quote {
        fact: fact.to_owned(),
        value: Value::Number(n as f64),
        text: format::count(n),
    }
}

/// The clauses true so far of a running `run` on `topics`, with what they quote.
pub fn so_far(run: &RunFacts<'_>, topics: Topics) -> (Vec<String>, Vec<Quote>) {
    let (mut clauses, mut quotes) = (Vec::new(), Vec::new());
    let stats = run.stats;
    if topics.switches && run.trace.meta.config.gil_enabled() {
        let n = stats.gil.switches;
        clauses.push(match n {
            0 => "no GIL switch yet".to_owned(),
            _ => format!(
                "{} so far",
                format::counted(n, "GIL switch", "GIL switches")
            ),
        });
        quotes.push(quote_count("switches", n));
    }
    if topics.io {
        let calls: u64 = stats.threads.iter().map(|t| t.io_ops).sum();
        match &stats.io_latency_ms {
            Some(latency) if calls > 0 => {
                let mean = format::ms(latency.mean);
                clauses.push(format!(
                    "{} returned so far, taking {mean} on average",
                    format::counted(calls, "I/O call has", "I/O calls have")
                ));
                quotes.push(quote_count("io_ops", calls));
                quotes.push(Quote {
                    fact: "io_latency".to_owned(),
                    value: Value::Number(latency.mean),
                    text: mean,
                });
            }
            _ => clauses.push("no I/O call has returned yet".to_owned()),
        }
    }
    if topics.lost {
        clauses.push("the lost updates are counted when it ends".to_owned());
    }
    (clauses, quotes)
}
