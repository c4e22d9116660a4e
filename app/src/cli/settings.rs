//! The settings flags shared by `run`, `sweep`, `export` and `screenshot`.

use clap::Args;
use gilscope_sim::time::parse_duration;
use gilscope_sim::{Nanos, Overrides, PythonVersion, Scenario, SuccessorPolicy};

/// Flags that override a scenario's `[settings]`.
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// Python version to model: 3.2–3.9 (check point before every bytecode) or 3.10+.
    #[arg(long, value_name = "V", value_parser = parse_python)]
    pub python: Option<PythonVersion>,
    /// Model a free-threaded (--disable-gil) build; Python 3.13 or later.
    #[arg(long)]
    pub free_threaded: bool,
    /// `PYTHON_GIL`: 1 forces the GIL on in a free-threaded build, 0 keeps it off.
    #[arg(long, value_name = "0|1", value_parser = parse_gil)]
    pub gil: Option<bool>,
    /// sys.setswitchinterval, e.g. 5ms or 500us (must be > 0); `sweep` takes a list: 1ms,5ms,20ms.
    #[arg(long, value_name = "D", value_delimiter = ',', value_parser = parse_duration_arg)]
    pub switch_interval: Vec<Nanos>,
    /// Cores the simulated OS may use (1–256).
    #[arg(long, value_name = "N")]
    pub cores: Option<u32>,
    /// Stop after this much time, e.g. 2s.
    #[arg(long, value_name = "D", value_parser = parse_duration_arg)]
    pub duration: Option<Nanos>,
    /// Seed of every random choice.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// OS wake-up latency of a blocked thread, e.g. 5us.
    #[arg(long, value_name = "D", value_parser = parse_duration_arg)]
    pub wake_latency: Option<Nanos>,
    /// OS time slice when threads outnumber cores, e.g. 3ms.
    #[arg(long, value_name = "D", value_parser = parse_duration_arg)]
    pub time_slice: Option<Nanos>,
    /// Who wins the GIL when it is released: random, fifo or affinity.
    #[arg(long, value_name = "P", value_parser = parse_successor)]
    pub successor: Option<SuccessorPolicy>,
    /// Cost of one bytecode in nanoseconds (default 5).
    #[arg(long, value_name = "NS")]
    pub bytecode_ns: Option<f64>,
    /// Thread count of a group, e.g. --threads worker=8 (repeatable).
    #[arg(long = "threads", value_name = "GROUP=N", value_parser = parse_group_count)]
    pub group_counts: Vec<(String, u32)>,
}

impl SettingsArgs {
    /// The overrides these flags name.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            python: self.python,
            free_threaded: self.free_threaded.then_some(true),
            gil: self.gil,
            switch_interval: self.switch_interval.first().copied(),
            cores: self.cores,
            duration: self.duration,
            seed: self.seed,
            wake_latency: self.wake_latency,
            time_slice: self.time_slice,
            successor: self.successor,
            bytecode_ns: self.bytecode_ns,
            ..Overrides::default()
        }
    }

    /// Applies `--threads GROUP=N` to a scenario.
    pub fn apply_counts(&self, scenario: &Scenario) -> Result<Scenario, String> {
        let mut out = scenario.clone();
        for (group, count) in &self.group_counts {
            let Some(index) = out.groups.iter().position(|g| &g.name == group) else {
                let names: Vec<&str> = out.groups.iter().map(|g| g.name.as_str()).collect();
                return Err(format!(
                    "--threads {group}={count}: no thread group named \"{group}\" (groups: {})",
                    names.join(", ")
                ));
            };
            if *count == 0 || *count > gilscope_sim::scenario::MAX_THREADS {
                return Err(format!(
                    "--threads {group}={count}: a group needs between 1 and {} threads",
                    gilscope_sim::scenario::MAX_THREADS
                ));
            }
            out = out.with_group_count(index, *count);
        }
        Ok(out)
    }
}

/// Parses a duration flag (`5ms`), with the same rules as scenario files.
pub fn parse_duration_arg(text: &str) -> Result<Nanos, String> {
    parse_duration(text)
}

fn parse_python(text: &str) -> Result<PythonVersion, String> {
    text.parse()
}

fn parse_gil(text: &str) -> Result<bool, String> {
    match text {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!(
            "\"{text}\": use 0 (PYTHON_GIL=0) or 1 (PYTHON_GIL=1)"
        )),
    }
}

fn parse_successor(text: &str) -> Result<SuccessorPolicy, String> {
    text.parse()
}

fn parse_group_count(text: &str) -> Result<(String, u32), String> {
    let (name, count) = text
        .split_once('=')
        .ok_or_else(|| format!("\"{text}\": write GROUP=N, e.g. worker=4"))?;
    let count = count
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\": the count after = must be a whole number"))?;
    Ok((name.trim().to_owned(), count))
}
