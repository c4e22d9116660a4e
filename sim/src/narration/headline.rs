//! The sentence that compares two runs of one scenario (the app's compare view, `gilscope
//! compare`), by what the scenario is about: the time to do the same work, the latency of its
//! I/O, or the updates its counters lost. "N× faster" is said only of runs that did the same
//! work; a run whose CPU-bound thread simply ran less is compared on what it is for.

use super::facts::Value;
use super::template::Quote;
use crate::format;
use crate::names::named_enum;
use crate::stats::Stats;
use std::fmt::Write as _;

named_enum! {
    /// What a scenario's runs are compared on (its `purpose`).
    #[derive(Default)]
    pub enum Purpose ("purpose") {
        /// The wall time of the same work (or, when the work differs, its throughput).
        #[default]
        Throughput = "throughput",
        /// The latency of the I/O calls, and how much work the CPU-bound threads did meanwhile.
        IoLatency = "io_latency",
        /// The updates lost by the shared counters.
        LostUpdates = "lost_updates",
    }
}

/// One of the two runs compared: how the sentence names it ("with the GIL", "on 8 cores") and
/// its stats.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// Its name in the sentence.
    pub label: &'a str,
    /// Its stats.
    pub stats: &'a Stats,
}

/// The comparing sentence, with the numbers it quotes (`a.wall`, `b.io_latency`…).
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// The sentence.
    pub text: String,
    /// What it quotes, each named `a.FACT` or `b.FACT` after the narration's facts.
    pub quotes: Vec<Quote>,
}

/// Quotes numbers into a sentence, remembering what each one is.
#[derive(Default)]
struct Writer {
    quotes: Vec<Quote>,
}

impl Writer {
    fn quote(&mut self, fact: String, value: f64, text: String) -> String {
        self.quotes.push(Quote {
            fact,
            value: Value::Number(value),
            text: text.clone(),
        });
        text
    }

    fn ms(&mut self, fact: String, ms: f64) -> String {
        self.quote(fact, ms, format::ms(ms))
    }
}

/// Whether two runs did the same work: the same bytecodes (to 0.1%), I/O calls and counter
/// increments.
pub fn same_work(a: &Stats, b: &Stats) -> bool {
    let io = |s: &Stats| s.threads.iter().map(|t| t.io_ops).sum::<u64>();
    let increments = |s: &Stats| s.counters.iter().map(|c| c.expected).sum::<u64>();
    let (x, y) = (a.bytecodes as f64, b.bytecodes as f64);
    (x - y).abs() <= 0.001 * x.max(y) && io(a) == io(b) && increments(a) == increments(b)
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The sentence comparing run `a` with run `b` for a scenario of `purpose`.
pub fn headline(purpose: Purpose, a: Side<'_>, b: Side<'_>) -> Headline {
    let mut w = Writer::default();
    let text = match purpose {
        Purpose::IoLatency => io_latency(&mut w, a, b),
        Purpose::LostUpdates => lost_updates(&mut w, a, b),
        Purpose::Throughput => None,
    }
    .unwrap_or_else(|| {
        w.quotes.clear();
        throughput(&mut w, a, b)
    });
    let text = text + &contention(&mut w, a, b);
    Headline {
        text,
        quotes: w.quotes,
    }
}

/// Wall times of the same work, or throughputs of different work.
fn throughput(w: &mut Writer, a: Side<'_>, b: Side<'_>) -> String {
    if !same_work(a.stats, b.stats) {
        let rate_a = w.quote(
            "a.bytecodes_per_s".into(),
            a.stats.bytecodes_per_s,
            format::si(a.stats.bytecodes_per_s),
        );
        let rate_b = w.quote(
            "b.bytecodes_per_s".into(),
            b.stats.bytecodes_per_s,
            format::si(b.stats.bytecodes_per_s),
        );
        return format!(
            "Throughput went from {rate_a} bytecodes/s {} to {rate_b} bytecodes/s {}; the runs did different amounts of work, so their wall times do not compare.",
            a.label, b.label
        );
    }
    let (fast, slow, fast_tag, slow_tag) = if b.stats.wall_ms <= a.stats.wall_ms {
        (b, a, "b", "a")
    } else {
        (a, b, "a", "b")
    };
    let ratio = if fast.stats.wall_ms > 0.0 {
        slow.stats.wall_ms / fast.stats.wall_ms
    } else {
        1.0
    };
    if ratio < 1.005 {
        let both = w.ms(format!("{fast_tag}.wall"), fast.stats.wall_ms);
        return format!("Both finished in {both}: A {}, B {}.", a.label, b.label);
    }
    let fast_ms = w.ms(format!("{fast_tag}.wall"), fast.stats.wall_ms);
    // "1.0× faster" says nothing: a small gain reads as a percentage.
    let faster = if ratio < 1.1 {
        format!("{} faster", format::percent(ratio - 1.0))
    } else {
        format!("{} faster", format::factor(ratio))
    };
    let slow_ms = w.ms(format!("{slow_tag}.wall"), slow.stats.wall_ms);
    format!(
        "{}: the same work in {fast_ms}, {faster} than {} ({slow_ms}).",
        capitalized(fast.label),
        slow.label
    )
}

/// " Contention for shared objects cost A 650 ms, B 0 ns of thread time." where either run
/// lost time to it (free-threaded runs sharing objects); empty otherwise.
fn contention(w: &mut Writer, a: Side<'_>, b: Side<'_>) -> String {
    let (lost_a, lost_b) = (a.stats.contention_ms, b.stats.contention_ms);
    if lost_a <= 0.0 && lost_b <= 0.0 {
        return String::new();
    }
    let lost_a = w.ms("a.contention".into(), lost_a);
    let lost_b = w.ms("b.contention".into(), lost_b);
    format!(" Contention for shared objects cost A {lost_a}, B {lost_b} of thread time.")
}

/// The CPU-bound threads' bytecodes: those of the threads that made no I/O call.
fn cpu_work(s: &Stats) -> (u64, usize) {
    let cpu = s
        .threads
        .iter()
        .filter(|t| t.io_ops == 0 && t.bytecodes > 0);
    cpu.fold((0, 0), |(sum, n), t| (sum + t.bytecodes, n + 1))
}

/// Mean I/O latency from A to B, and what the CPU-bound threads did meanwhile.
fn io_latency(w: &mut Writer, a: Side<'_>, b: Side<'_>) -> Option<String> {
    let (la, lb) = (a.stats.io_latency_ms?, b.stats.io_latency_ms?);
    let from = w.ms("a.io_latency".into(), la.mean);
    let to = w.ms("b.io_latency".into(), lb.mean);
    let mut text = format!(
        "Mean I/O latency went from {from} {} to {to} {}",
        a.label, b.label
    );
    let ((work_a, threads), (work_b, _)) = (cpu_work(a.stats), cpu_work(b.stats));
    if work_a > 0 && work_b > 0 {
        let who = if threads == 1 {
            "the CPU-bound thread"
        } else {
            "the CPU-bound threads"
        };
        let (before, after) = (work_a as f64, work_b as f64);
        if (before - after).abs() <= 0.01 * before.max(after) {
            let _ = write!(text, "; {who} did the same work");
        } else {
            let (factor, less) = if after < before {
                (before / after, "less")
            } else {
                (after / before, "more")
            };
            let _ = write!(text, "; {who} did {} {less} work", format::factor(factor));
        }
    }
    text.push('.');
    Some(text)
}

/// Lost updates from A to B.
fn lost_updates(w: &mut Writer, a: Side<'_>, b: Side<'_>) -> Option<String> {
    let mut side = |tag: &str, s: Side<'_>| -> Option<String> {
        let expected: u64 = s.stats.counters.iter().map(|c| c.expected).sum();
        if expected == 0 {
            return None;
        }
        let lost: u64 = s.stats.counters.iter().map(|c| c.lost).sum();
        let fraction = lost as f64 / expected as f64;
        let lost_text = w.quote(format!("{tag}.lost"), lost as f64, format::count(lost));
        let expected_text = w.quote(
            format!("{tag}.expected"),
            expected as f64,
            format::count(expected),
        );
        let pct = w.quote(
            format!("{tag}.lost_pct"),
            fraction,
            format::percent(fraction),
        );
        if s.stats.counters.iter().any(|c| s.stats.in_own_copies(c)) {
            // Not lost to a race: counted where the parent never looks.
            return Some(format!(
                "none {}, where every increment went to {}: {lost_text} of {expected_text} ({pct}) never reached the parent's counter",
                s.label,
                s.stats.own_copies()
            ));
        }
        Some(format!(
            "{lost_text} of {expected_text} ({pct}) {}",
            s.label
        ))
    };
    let from = side("a", a)?;
    let to = side("b", b)?;
    Some(format!("Lost updates went from {from} to {to}."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Overrides;
    use crate::presets::preset;
    use crate::run::{RunOptions, run_scenario};

    fn stats(stem: &str, overrides: &Overrides) -> Stats {
        let scenario = preset(stem).unwrap().unwrap();
        let config = scenario.config(overrides).unwrap();
        run_scenario(&scenario, &config, &RunOptions::default())
            .unwrap()
            .stats
    }

    #[test]
    fn the_same_work_is_compared_on_wall_time() {
        let gil = stats("cpu-bound", &Overrides::default());
        let free = stats(
            "cpu-bound",
            &Overrides {
                free_threaded: Some(true),
                ..Overrides::default()
            },
        );
        assert!(same_work(&gil, &free));
        let h = headline(
            Purpose::Throughput,
            Side {
                label: "with the GIL",
                stats: &gil,
            },
            Side {
                label: "free-threaded",
                stats: &free,
            },
        );
        let ratio = format::factor(gil.wall_ms / free.wall_ms);
        assert!(
            h.text.starts_with("Free-threaded: the same work in ")
                && h.text
                    .contains(&format!("{ratio} faster than with the GIL")),
            "{}",
            h.text
        );
        assert_eq!(
            h.quotes.iter().map(|q| q.fact.as_str()).collect::<Vec<_>>(),
            ["b.wall", "a.wall"]
        );
    }

    #[test]
    fn a_convoy_is_compared_on_latency_and_the_work_done_meanwhile() {
        let slow = stats("convoy", &Overrides::default());
        let fast = stats(
            "convoy",
            &Overrides {
                switch_interval: Some(crate::time::MS),
                ..Overrides::default()
            },
        );
        assert!(!same_work(&slow, &fast));
        let a = Side {
            label: "with a 5.00 ms switch interval",
            stats: &slow,
        };
        let b = Side {
            label: "with a 1.00 ms switch interval",
            stats: &fast,
        };
        let h = headline(Purpose::IoLatency, a, b);
        assert!(!h.text.contains("faster"), "{}", h.text);
        assert!(
            h.text.starts_with(&format!(
                "Mean I/O latency went from {} with a 5.00 ms switch interval to {} with a 1.00 ms",
                format::ms(slow.io_latency_ms.unwrap().mean),
                format::ms(fast.io_latency_ms.unwrap().mean)
            )),
            "{}",
            h.text
        );
        assert!(
            h.text.contains("the CPU-bound thread did ") && h.text.ends_with("× less work."),
            "{}",
            h.text
        );
        // Without a purpose, different work is compared on throughput, never "faster".
        let t = headline(Purpose::Throughput, a, b);
        assert!(
            t.text.starts_with("Throughput went from ") && t.text.contains("do not compare"),
            "{}",
            t.text
        );
    }

    #[test]
    fn lost_updates_are_compared_as_counts() {
        let safe = stats("counter-race", &Overrides::default());
        let racy = stats(
            "counter-race",
            &Overrides {
                python: Some(crate::model::PythonVersion::new(3, 9)),
                ..Overrides::default()
            },
        );
        let h = headline(
            Purpose::LostUpdates,
            Side {
                label: "on Python 3.13",
                stats: &safe,
            },
            Side {
                label: "on Python 3.9",
                stats: &racy,
            },
        );
        let lost = racy.counters[0].lost;
        assert!(
            h.text
                .starts_with("Lost updates went from 0 of 800,000 (0.0%) on Python 3.13 to "),
            "{}",
            h.text
        );
        assert!(
            h.text
                .contains(&format!("{} of 800,000", format::count(lost))),
            "{}",
            h.text
        );
    }
}
