//! A scenario's question for a class, asked before the run is shown: "Two threads share the
//! work. Faster, the same, or slower than one?" The answer is never written in the file: the
//! file names a [`Measure`] of the run and the choices' thresholds, and the answer is the
//! choice the run's own stats fall into, for whatever settings it ran with.
//!
//! ```toml
//! [predict]
//! question = "Two threads share the work. Faster, the same, or slower than one?"
//! measure = "speedup"
//! choices = [
//!   { answer = "Faster", at_least = 1.15 },
//!   { answer = "About the same", at_least = 0.87 },
//!   { answer = "Slower" },
//! ]
//! ```
//!
//! The choices are read in order and the first whose `at_least` the measure reaches is the
//! answer; the last has no `at_least` and takes the rest.

use crate::names::named_enum;
use crate::stats::Stats;
use std::ops::Range;
use toml::Spanned;

named_enum! {
    /// A number of a run that a question is about.
    pub enum Measure ("measure") {
        /// The same work done by one thread one thing after another, divided by the run's
        /// wall time (`Stats::speedup`).
        Speedup = "speedup",
        /// Cores busy on average (`Stats::parallelism`).
        Parallelism = "parallelism",
        /// Mean latency of the blocking calls, in switch intervals.
        IoLatencyIntervals = "io-latency-intervals",
        /// 99th percentile of the blocking calls' latency, in switch intervals.
        IoLatencyP99Intervals = "io-latency-p99-intervals",
        /// Mean time from a blocking call completing to its thread or task running again, ms.
        ResumeLagMs = "resume-lag-ms",
        /// Updates of the shared counters lost to races.
        LostUpdates = "lost-updates",
    }
}

impl Measure {
    /// The measure's value for a run; `None` when the run has nothing to measure (no I/O, or
    /// a run too short for a speedup).
    pub fn of(self, stats: &Stats) -> Option<f64> {
        let interval_ms = stats.switch_interval_us as f64 / 1000.0;
        match self {
            Self::Speedup => stats.speedup,
            Self::Parallelism => stats.parallelism,
            Self::IoLatencyIntervals => stats.io_latency_ms.map(|s| s.mean / interval_ms),
            Self::IoLatencyP99Intervals => stats.io_latency_ms.map(|s| s.p99 / interval_ms),
            Self::ResumeLagMs => stats.resume_lag_ms.map(|s| s.mean),
            Self::LostUpdates => Some(stats.counters.iter().map(|c| c.lost).sum::<u64>() as f64),
        }
    }

    /// What it is, in words, for the answer: "speedup over one thread".
    pub fn label(self) -> &'static str {
        match self {
            Self::Speedup => "speedup over one thread doing all the work",
            Self::Parallelism => "cores busy on average",
            Self::IoLatencyIntervals => "mean I/O latency, in switch intervals",
            Self::IoLatencyP99Intervals => "99th-percentile I/O latency, in switch intervals",
            Self::ResumeLagMs => "mean delay before a task resumes after its I/O, ms",
            Self::LostUpdates => "updates lost",
        }
    }
}

/// One answer a class may give.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The answer as the class reads it.
    pub answer: String,
    /// The least value of the measure for which this is the answer; none on the last choice.
    pub at_least: Option<f64>,
}

/// A question asked before the run is shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Predict {
    /// The question.
    pub question: String,
    /// The number that decides the answer.
    pub measure: Measure,
    /// The answers offered, in order; the first reached is right.
    pub choices: Vec<Choice>,
}

/// The `[predict]` table as written, each value with its place in the file.
#[derive(Debug)]
pub(crate) struct RawPredict {
    question: Spanned<String>,
    measure: Spanned<String>,
    choices: Spanned<Vec<Choice>>,
}

impl RawPredict {
    /// The table's three values, read.
    pub(crate) fn new(
        question: Spanned<String>,
        measure: Spanned<String>,
        choices: Spanned<Vec<Choice>>,
    ) -> Self {
        Self {
            question,
            measure,
            choices,
        }
    }

    /// Checks the table; an error comes with the place in the file it is about.
    pub(crate) fn validate(self) -> Result<Predict, (Range<usize>, String)> {
        let question = self.question.get_ref().trim().to_owned();
        if question.is_empty() {
            return Err((
                self.question.span(),
                "[predict] `question` is empty".to_owned(),
            ));
        }
        let measure = self
            .measure
            .get_ref()
            .parse::<Measure>()
            .map_err(|e| (self.measure.span(), format!("[predict] `measure`: {e}")))?;
        let span = self.choices.span();
        let choices = self.choices.into_inner();
        let at = |message: String| Err((span.clone(), format!("[predict] `choices`: {message}")));
        if choices.len() < 2 {
            return at("offer at least two answers".to_owned());
        }
        let (last, bounded) = choices.split_last().unwrap_or((&choices[0], &[]));
        if last.at_least.is_some() {
            return at(format!(
                "the last answer (\"{}\") takes every value below the others, so it has no `at_least`",
                last.answer
            ));
        }
        let mut above = f64::INFINITY;
        for choice in bounded {
            if choice.answer.trim().is_empty() {
                return at("an answer is empty".to_owned());
            }
            let Some(bound) = choice.at_least.filter(|b| b.is_finite()) else {
                return at(format!(
                    "answer \"{}\" needs `at_least` (a number): every answer but the last has one",
                    choice.answer
                ));
            };
            if bound >= above {
                return at(format!(
                    "answer \"{}\": `at_least` = {bound} must be below the answer before it ({above}), so that the first one reached is the answer",
                    choice.answer
                ));
            }
            above = bound;
        }
        Ok(Predict {
            question,
            measure,
            choices,
        })
    }
}

impl Predict {
    /// The right answer for a run whose measure is `value`: the first choice reached.
    pub fn answer_for(&self, value: f64) -> usize {
        self.choices
            .iter()
            .position(|c| c.at_least.is_none_or(|b| value >= b))
            .unwrap_or(self.choices.len() - 1)
    }

    /// The right answer for a run and the measured value, or `None` when the run does not
    /// measure it (no I/O to time).
    pub fn answer(&self, stats: &Stats) -> Option<(usize, f64)> {
        let value = self.measure.of(stats)?;
        Some((self.answer_for(value), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Overrides, PythonVersion};
    use crate::presets::{PRESETS, preset};

    fn stats(stem: &str, overrides: &Overrides) -> Stats {
        let scenario = preset(stem).unwrap().unwrap();
        let config = scenario.config(overrides).unwrap();
        Stats::compute(&crate::simulate(&scenario, &config).unwrap())
    }

    fn answer(stem: &str, overrides: &Overrides) -> String {
        let predict = preset(stem).unwrap().unwrap().predict.unwrap();
        let (i, _) = predict.answer(&stats(stem, overrides)).unwrap();
        predict.choices[i].answer.clone()
    }

    #[test]
    fn every_preset_asks_a_question_its_run_answers() {
        for (stem, _) in PRESETS {
            let scenario = preset(stem).unwrap().unwrap();
            let predict = scenario
                .predict
                .unwrap_or_else(|| panic!("{stem} has no [predict]"));
            let (i, value) = predict
                .answer(&stats(stem, &Overrides::default()))
                .unwrap_or_else(|| panic!("{stem}: the run does not measure {}", predict.measure));
            assert!(value.is_finite() && i < predict.choices.len(), "{stem}");
        }
    }

    #[test]
    fn the_answer_follows_the_run_not_the_file() {
        assert_eq!(answer("cpu-bound", &Overrides::default()), "About the same");
        let free = Overrides {
            python: Some(PythonVersion::new(3, 14)),
            free_threaded: Some(true),
            ..Overrides::default()
        };
        assert_eq!(answer("cpu-bound", &free), "Faster");
        assert_eq!(
            answer("counter-race", &Overrides::default()),
            "Yes, exactly 800,000"
        );
        let old = Overrides {
            python: Some(PythonVersion::new(3, 9)),
            ..Overrides::default()
        };
        assert_eq!(answer("counter-race", &old), "No: updates are lost");
        assert_eq!(answer("old-gil", &Overrides::default()), "Slower");
    }

    #[test]
    fn bad_tables_say_what_is_wrong_and_where() {
        let text = |predict: &str| {
            format!(
                "name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ {{ compute = 3 }} ]\n[predict]\n{predict}\n"
            )
        };
        let err = |predict: &str| {
            crate::Scenario::parse(&text(predict), "bad.toml")
                .unwrap_err()
                .to_string()
        };
        let ok = "question = \"q?\"\nmeasure = \"speedup\"\nchoices = [ { answer = \"yes\", at_least = 1.5 }, { answer = \"no\" } ]";
        let parsed = crate::Scenario::parse(&text(ok), "ok.toml").unwrap();
        assert_eq!(parsed.predict.unwrap().answer_for(1.2), 1);
        let measure = err(&ok.replace("speedup", "speed"));
        assert!(
            measure.starts_with("bad.toml:7:") && measure.contains("use speedup, parallelism"),
            "{measure}"
        );
        let unbounded = err(&ok.replace(", at_least = 1.5", ""));
        assert!(unbounded.contains("needs `at_least`"), "{unbounded}");
        let last = err(&ok.replace("{ answer = \"no\" }", "{ answer = \"no\", at_least = 0.5 }"));
        assert!(last.contains("has no `at_least`"), "{last}");
        let order = err(
            "question = \"q\"\nmeasure = \"speedup\"\nchoices = [ { answer = \"a\", at_least = 1 }, { answer = \"b\", at_least = 2 }, { answer = \"c\" } ]",
        );
        assert!(order.contains("must be below"), "{order}");
        let extra = err(&format!("{ok}\nanswer = \"yes\""));
        assert!(
            extra.contains("unknown key `answer` in [predict]"),
            "{extra}"
        );
        let typed = err(&ok.replace("\"q?\"", "true"));
        assert!(
            typed.starts_with("bad.toml:6:")
                && typed.contains("`question` = true: write text in quotes"),
            "{typed}"
        );
        let bound = err(&ok.replace("1.5", "\"high\""));
        assert!(
            bound.contains("`at_least` = \"high\": write a number"),
            "{bound}"
        );
    }
}
