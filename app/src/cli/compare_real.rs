//! `gilscope compare --engine cpython`: the runtimes `compare` weighs, each run for real, one
//! after another: threads, asyncio and processes on the chosen interpreter; free-threaded
//! threads on a free-threaded build and subinterpreters on a build that has them, where one
//! is found here (the row says so where none is).

use gilscope_sim::compare::{runtime_name, runtime_variants};
use gilscope_sim::cpython::{self, Interpreter};
use gilscope_sim::{
    EngineKind, Overrides, RunOptions, Runtime, Scenario, Stats, StopSignal, run_scenario,
};

/// The interpreter a row runs on: `chosen` when it can run it, else the newest of `found`
/// that can; in words when none can.
fn interpreter_for<'a>(
    o: &Overrides,
    chosen: &'a Interpreter,
    found: &'a [Interpreter],
) -> Result<&'a Interpreter, String> {
    let free = o.free_threaded == Some(true);
    let subinterpreters = o.runtime == Some(Runtime::Subinterpreters);
    let fits = |i: &Interpreter| {
        i.facts.free_threaded == free && (!subinterpreters || i.facts.subinterpreters.is_some())
    };
    if fits(chosen) {
        return Ok(chosen);
    }
    found.iter().find(|i| fits(i)).ok_or_else(|| {
        if subinterpreters {
            "no interpreter with subinterpreters (3.12 or later) found here".to_owned()
        } else if free {
            "no free-threaded interpreter (3.13t, 3.14t) found here".to_owned()
        } else {
            "no interpreter with a GIL found here".to_owned()
        }
    })
}

/// Every runtime of `compare`, run on real interpreters one after another; a row that cannot
/// run says why. Ctrl+C (`stop`) ends the row in progress and the rest are not run.
pub fn rows(
    scenario: &Scenario,
    base: &Overrides,
    chosen: &Interpreter,
    found: &[Interpreter],
    stop: &StopSignal,
) -> Vec<(String, Result<Stats, String>)> {
    let mut out = Vec::new();
    for (_, variant) in runtime_variants(base) {
        if stop.is_raised() {
            break;
        }
        let name = runtime_name(&variant);
        let outcome = interpreter_for(&variant, chosen, found).and_then(|interpreter| {
            // The interpreter decides the version and build.
            let overrides = Overrides {
                python: base.python,
                free_threaded: None,
                ..variant
            };
            let configured =
                cpython::configure(scenario, &overrides, interpreter).map_err(|e| e.to_string())?;
            let options = RunOptions {
                engine: EngineKind::Cpython,
                interpreter: Some(interpreter.clone()),
                stop: stop.clone(),
                ..RunOptions::default()
            };
            let finished =
                run_scenario(scenario, &configured.config, &options).map_err(|e| e.to_string())?;
            Ok((interpreter.label(), finished.stats))
        });
        out.push(match outcome {
            Ok((on, stats)) => (format!("{name} on {on}"), Ok(stats)),
            Err(why) => (name, Err(why)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use gilscope_sim::cpython::interpreter::{Facts, Version};

    fn interpreter(version: &str, free_threaded: bool, sub: bool) -> Interpreter {
        Interpreter {
            path: format!("/opt/python{version}/bin/python3").into(),
            version: Version::parse(version).unwrap(),
            facts: Facts {
                free_threaded,
                gil_enabled: !free_threaded,
                affinity: true,
                asyncio: true,
                subinterpreters: sub.then(|| "_interpreters".to_owned()),
                start_methods: vec!["fork".into(), "spawn".into()],
                release_call: Some("zlib.compress".into()),
                ctypes: true,
                loop_instructions: 8,
                bytecode_ns: 3.0,
            },
        }
    }

    #[test]
    fn each_runtime_finds_an_interpreter_that_can_run_it_or_says_none_can() {
        let chosen = interpreter("3.11.7", false, false);
        let found = [interpreter("3.13.0", false, true), chosen.clone()];
        let variants = runtime_variants(&Overrides::default());
        let names: Vec<String> = variants.iter().map(|(_, o)| runtime_name(o)).collect();
        assert_eq!(
            names,
            [
                "threads (GIL)",
                "threads, free-threaded",
                "asyncio",
                "multiprocessing (fork)",
                "multiprocessing (spawn)",
                "multiprocessing (forkserver)",
                "subinterpreters",
                "multiprocessing.Pool (fork)",
                "ProcessPoolExecutor (fork)",
                "ThreadPoolExecutor"
            ]
        );
        let on =
            |i: usize| interpreter_for(&variants[i].1, &chosen, &found).map(Interpreter::label);
        assert_eq!(on(0).unwrap(), "3.11.7");
        assert_eq!(
            on(1).unwrap_err(),
            "no free-threaded interpreter (3.13t, 3.14t) found here"
        );
        assert_eq!(on(3).unwrap(), "3.11.7");
        assert_eq!(on(6).unwrap(), "3.13.0");
    }
}
