//! A seeded generator of scenario files and command-line flags for gilscope's fuzz suite: the
//! presets mutated field by field, scenarios written from scratch with every operation, runtime
//! and setting, extreme numbers, odd durations and units, unicode and huge names, clashing
//! names and lock cycles. Dependency-free, and deterministic for a seed: the same seed gives
//! the same case on every machine.
//!
//! Included by path (`#[path]`) by `sim/tests/fuzz.rs` (the library), `app/tests/fuzz_cli.rs`
//! (the binary) and the `cargo fuzz` targets in `fuzz/fuzz_targets/`.

use std::fmt::Write as _;

/// A splitmix64 generator: tiny, fast, and the same everywhere; with how often a case's values
/// are odd (out of range, of the wrong kind), in percent.
pub struct Rng {
    state: u64,
    odd: u64,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
            odd: 10,
        }
    }

    /// Whether the next value should be odd.
    pub fn odd(&mut self) -> bool {
        let odd = self.odd;
        self.chance(odd)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// One generated case: a scenario file's text and the flags to run it with.
#[derive(Debug, Clone)]
pub struct Case {
    /// The seed that generated it.
    pub seed: u64,
    /// How it was made, for the failure message.
    pub kind: &'static str,
    /// The scenario file.
    pub text: String,
    /// Flags of `gilscope run`, as separate arguments.
    pub flags: Vec<String>,
}

impl Case {
    /// The case as a regression file: the flags on a first comment line, then the scenario.
    pub fn to_regression(&self) -> String {
        format!(
            "# fuzz case {} ({}); flags: {}\n{}",
            self.seed,
            self.kind,
            self.flags.join(" "),
            self.text
        )
    }
}

/// Integers at the edges: of TOML, of the types behind them, of every limit.
const INTEGERS: [&str; 22] = [
    "0",
    "1",
    "-1",
    "2",
    "7",
    "255",
    "256",
    "257",
    "1000",
    "65536",
    "1000000",
    "4294967295",
    "4294967296",
    "1125899906842624",
    "1125899906842625",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "0x7fffffff",
    "1_000_000",
    "99999999999999999999999",
];

/// Numbers that are not whole, or not numbers at all.
const FLOATS: [&str; 10] = [
    "0.0", "0.05", "0.049", "1.5", "-0.5", "1e308", "-1e308", "inf", "nan", "5e-324",
];

/// Durations: every unit, odd spellings, the edges of what is allowed.
const DURATIONS: [&str; 30] = [
    "\"0\"",
    "\"0ns\"",
    "\"1ns\"",
    "\"0.4ns\"",
    "\"0.5ns\"",
    "\"1us\"",
    "\"1µs\"",
    "\"1μs\"",
    "\"5ms\"",
    "\"0.5ms\"",
    "\"2s\"",
    "\"1.5 s\"",
    "\" 5ms \"",
    "\"5\"",
    "\"-1ms\"",
    "\"5min\"",
    "\"1h\"",
    "\"ms\"",
    "\"1e3ms\"",
    "\"1e400s\"",
    "\"nan s\"",
    "\"3600s\"",
    "\"86400s\"",
    "\"86400.000000001s\"",
    "\"86401s\"",
    "\"10s\"",
    "\"10.001s\"",
    "\"5 ms ms\"",
    "\"\"",
    "\"1_000ms\"",
];

/// Strings: names, choices, unicode, control characters, quotes.
const STRINGS: [&str; 20] = [
    "\"\"",
    "\" \"",
    "\"forever\"",
    "\"Forever\"",
    "\"threads\"",
    "\"asyncio\"",
    "\"multiprocessing\"",
    "\"subinterpreters\"",
    "\"fibers\"",
    "\"fork\"",
    "\"spawn\"",
    "\"3.13\"",
    "\"2.7\"",
    "\"3.99\"",
    "\"true\"",
    "\"线程\"",
    "\"ünïcødé ✓\"",
    "\"a\\nb\"",
    "\"tab\\there\"",
    "\"quote\\\"inside\"",
];

/// Values of other TOML types.
const OTHERS: [&str; 8] = [
    "true",
    "false",
    "[]",
    "[1, 2]",
    "{}",
    "{ a = 1 }",
    "1979-05-27T07:32:00Z",
    "\"512MB\"",
];

/// Any value, of any kind.
fn any_value(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 | 1 => (*rng.pick(&INTEGERS)).to_owned(),
        2 => (*rng.pick(&FLOATS)).to_owned(),
        3 => (*rng.pick(&DURATIONS)).to_owned(),
        4 => (*rng.pick(&STRINGS)).to_owned(),
        _ => (*rng.pick(&OTHERS)).to_owned(),
    }
}

/// A name: usually plain, sometimes unicode, huge, empty, or one that clashes with another.
fn name(rng: &mut Rng, index: usize) -> String {
    if !rng.odd() {
        return if rng.chance(10) {
            format!("线程 {index} ✓")
        } else {
            format!("g{index}")
        };
    }
    match rng.below(12) {
        0 => "线程".repeat(1 + rng.below(80) as usize),
        1 => "n".repeat([100, 101, 65_536][rng.below(3) as usize]),
        2 => String::new(),
        3 => "w".to_owned(),
        4 => "w-1".to_owned(),
        5 => "a\\nb".to_owned(),
        6 => "é✓ \\\" x".to_owned(),
        _ => format!("g{index}"),
    }
}

/// A whole number, usually small, sometimes extreme.
fn count(rng: &mut Rng, small: u64) -> String {
    if rng.odd() {
        (*rng.pick(&INTEGERS)).to_owned()
    } else {
        (1 + rng.below(small)).to_string()
    }
}

/// A duration, usually valid and short, sometimes odd.
fn duration(rng: &mut Rng) -> String {
    if rng.odd() {
        (*rng.pick(&DURATIONS)).to_owned()
    } else {
        let unit = *rng.pick(&["ns", "us", "µs", "ms"]);
        format!(
            "\"{}{unit}\"",
            rng.below(if unit == "ms" { 20 } else { 5_000 })
        )
    }
}

/// One operation table.
fn op(rng: &mut Rng, lock: &str) -> String {
    let bool_ = |rng: &mut Rng| {
        if rng.odd() {
            any_value(rng)
        } else {
            (*rng.pick(&["true", "false"])).to_owned()
        }
    };
    let kind = if rng.odd() { 13 } else { rng.below(13) };
    match kind {
        0 | 1 => {
            let body = if rng.chance(30) {
                format!(", loop_body = {}", count(rng, 40))
            } else {
                String::new()
            };
            format!("{{ compute = {}{body} }}", count(rng, 200_000))
        }
        2 => format!("{{ io = {} }}", duration(rng)),
        3 => format!("{{ sleep = {} }}", duration(rng)),
        4 => format!(
            "{{ c_call = {}, releases_gil = {} }}",
            duration(rng),
            bool_(rng)
        ),
        5 => format!(
            "{{ increment = \"c{}\", times = {}, call_inside = {}, shared = {} }}",
            rng.below(2),
            count(rng, 3_000),
            bool_(rng),
            bool_(rng)
        ),
        6 => format!(
            "{{ lock = \"{lock}\" }}, {{ compute = {} }}, {{ unlock = \"{lock}\" }}",
            count(rng, 2_000)
        ),
        7 => format!("{{ send = {} }}", count(rng, 100_000)),
        8 => format!("{{ offload = {} }}", count(rng, 50_000)),
        9 => format!(
            "{{ import = \"m{}\", supports_free_threading = {}, duration = {} }}",
            rng.below(2),
            bool_(rng),
            duration(rng)
        ),
        10 => format!(
            "{{ read = \"o{}\", times = {}, loop_body = {}, kind = \"{}\", per_thread = {} }}",
            rng.below(2),
            count(rng, 20_000),
            count(rng, 12),
            rng.pick(&["instance", "function", "module", "type"]),
            bool_(rng)
        ),
        11 => format!(
            "{{ mutate = \"o{}\", times = {} }}",
            rng.below(2),
            count(rng, 20_000)
        ),
        12 => format!("{{ collect = {} }}", duration(rng)),
        _ => match rng.below(6) {
            0 => "{ spin = 3 }".to_owned(),
            1 => "{ compute = 1, io = \"1ms\" }".to_owned(),
            2 => format!("{{ io = \"1ms\", times = {} }}", count(rng, 3)),
            3 => format!("{{ unlock = \"{lock}\" }}"),
            4 => format!("{{ lock = \"{lock}\" }}, {{ lock = \"{lock}\" }}"),
            _ => any_value(rng),
        },
    }
}

/// A setting line of `[settings]`: a real key with a valid or an odd value, or an unknown key.
fn setting_line(rng: &mut Rng) -> String {
    let valid = !rng.odd();
    let row = if rng.odd() { 21 } else { rng.below(21) };
    let (key, value) = match row {
        0 => (
            "python",
            (*rng.pick(&[
                "\"2.7\"", "\"3.1\"", "\"3.9\"", "\"3.12\"", "\"3.13\"", "\"3.14\"", "\"3.15\"",
            ]))
            .to_owned(),
        ),
        1 => ("free_threaded", (*rng.pick(&["true", "false"])).to_owned()),
        2 => ("gil", (*rng.pick(&["0", "1"])).to_owned()),
        3 => ("switch_interval", duration(rng)),
        4 => ("cores", count(rng, 8)),
        5 => ("duration", format!("\"{}ms\"", 1 + rng.below(100))),
        6 => (
            "seed",
            rng.next_u64().to_string().chars().take(18).collect(),
        ),
        7 => ("wake_latency", duration(rng)),
        8 => ("time_slice", duration(rng)),
        9 => ("thread_start", duration(rng)),
        10 => (
            "successor",
            (*rng.pick(&["\"random\"", "\"fifo\"", "\"affinity\""])).to_owned(),
        ),
        11 => (
            "bytecode_ns",
            (*rng.pick(&["0.05", "1", "5", "17", "10000"])).to_owned(),
        ),
        12 => (
            "free_threaded_overhead",
            (*rng.pick(&["0", "0.4", "10"])).to_owned(),
        ),
        13 => (
            "runtime",
            (*rng.pick(&[
                "\"threads\"",
                "\"asyncio\"",
                "\"multiprocessing\"",
                "\"subinterpreters\"",
            ]))
            .to_owned(),
        ),
        14 => ("check_interval", count(rng, 1_000)),
        15 => ("old_gil_signal", duration(rng)),
        16 => ("old_gil_contention", duration(rng)),
        17 => (
            "start_method",
            (*rng.pick(&["\"fork\"", "\"spawn\"", "\"forkserver\""])).to_owned(),
        ),
        18 => ("interpreter_start", duration(rng)),
        19 => (
            "max_events",
            (*rng.pick(&["1000", "100000", "10000000"])).to_owned(),
        ),
        20 => (
            "memory_budget",
            (*rng.pick(&["\"1MB\"", "\"64MB\"", "\"1GiB\""])).to_owned(),
        ),
        _ => (
            *rng.pick(&["colour", "duration ", "max_virtual_time"]),
            duration(rng),
        ),
    };
    let value = if valid { value } else { any_value(rng) };
    format!("{key} = {value}")
}

/// A scenario written from scratch: settings, then one to five thread groups.
fn scratch(rng: &mut Rng) -> String {
    let mut text = String::from("name = \"fuzz\"\nsummary = \"generated\"\n");
    if rng.chance(80) {
        text.push_str("[settings]\n");
        let mut keys = Vec::new();
        if rng.chance(60) {
            let _ = writeln!(text, "duration = \"{}ms\"", 1 + rng.below(200));
            keys.push("duration".to_owned());
        }
        for _ in 0..rng.below(6) {
            let line = setting_line(rng);
            let key = line.split(" = ").next().unwrap_or_default().to_owned();
            // A key given twice is a TOML error: only now and then.
            if !keys.contains(&key) || rng.odd() {
                text.push_str(&line);
                text.push('\n');
                keys.push(key);
            }
        }
    }
    let groups = 1 + rng.below(5) as usize;
    for g in 0..groups {
        let count_line = if rng.chance(50) {
            format!("count = {}\n", count(rng, 4))
        } else {
            String::new()
        };
        let repeat = match rng.below(10) {
            _ if rng.odd() => (*rng.pick(&INTEGERS)).to_owned(),
            _ if rng.odd() => any_value(rng),
            0..=2 => "\"forever\"".to_owned(),
            _ => (1 + rng.below(20)).to_string(),
        };
        // Lock names alternate between groups: a lock-order cycle is likely.
        let locks = ["a", "b"];
        let ops: Vec<String> = (0..=rng.below(5) as usize)
            .map(|k| op(rng, locks[(g + k) % 2]))
            .collect();
        let _ = write!(
            text,
            "[[threads]]\nname = \"{}\"\n{count_line}repeat = {repeat}\nops = [ {} ]\n",
            name(rng, g),
            ops.join(", ")
        );
    }
    text
}

/// A preset with one to three of its lines changed, removed or repeated.
fn mutated(rng: &mut Rng, preset: &str) -> String {
    let mut lines: Vec<String> = preset.lines().map(str::to_owned).collect();
    // The lines of the tables, not those of the narration (text, whatever it says).
    let first = lines.iter().position(|l| l.starts_with('[')).unwrap_or(0);
    for _ in 0..=rng.below(3) {
        let at = first + rng.below((lines.len() - first) as u64) as usize;
        match rng.below(8) {
            0 => {
                lines.remove(at);
            }
            1 => {
                let copy = lines[at].clone();
                lines.insert(at, copy);
            }
            2 => lines.insert(at, setting_line(rng)),
            _ => {
                // Replace one value: after `=`, or a number inside an ops list.
                let line = &lines[at];
                if let Some(eq) = line.find(" = ").filter(|_| !line.starts_with("ops")) {
                    let value = if rng.chance(50) {
                        any_value(rng)
                    } else {
                        duration(rng)
                    };
                    lines[at] = format!("{}{value}", &line[..eq + 3]);
                } else if let Some(digit) = line.find(|c: char| c.is_ascii_digit()) {
                    let end = line[digit..]
                        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
                        .map_or(line.len(), |e| digit + e);
                    lines[at] = format!("{}{}{}", &line[..digit], any_value(rng), &line[end..]);
                } else {
                    let value = any_value(rng);
                    let _ = write!(lines[at], " {value}");
                }
            }
        }
    }
    lines.join("\n") + "\n"
}

/// A text broken at the byte level: cut short, a character inserted, a byte of UTF-8 split.
fn broken(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let at = rng.below(bytes.len() as u64 + 1) as usize;
    match rng.below(4) {
        0 => bytes.truncate(at),
        1 => bytes.insert(at, *rng.pick(b"[]{}=\"'#,\n\\.")),
        2 => {
            let copy = bytes[at..].to_vec();
            bytes.extend_from_slice(&copy);
        }
        _ => bytes.insert(at, 0xE7),
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Flags for `gilscope run`: a few settings with valid or odd values, sometimes `--threads`.
fn flags(rng: &mut Rng, keys: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..rng.below(4) {
        let line = setting_line(rng);
        let Some((key, value)) = line.split_once(" = ") else {
            continue;
        };
        if !keys.contains(&key.trim()) {
            continue;
        }
        let flag = format!("--{}", key.trim().replace('_', "-"));
        let value = value.trim().trim_matches('"').to_owned();
        if key == "free_threaded" {
            out.push(format!("{flag}={value}"));
        } else {
            out.push(flag);
            out.push(value);
        }
    }
    if rng.chance(20) {
        out.push("--threads".to_owned());
        out.push(format!(
            "{}={}",
            rng.pick(&["g0", "g1", "w", "client", "busy", "nope"]),
            count(rng, 8)
        ));
    }
    out
}

/// The case of `seed`: a mutated preset (of `presets`), a scenario from scratch, or either
/// broken at the byte level; with flags from the settings `keys`.
pub fn case(seed: u64, presets: &[(&str, &str)], keys: &[&str]) -> Case {
    let mut rng = Rng::new(seed);
    // A third of the cases are all valid, a third have an odd value now and then, a third many.
    rng.odd = *rng.pick(&[0, 3, 20]);
    let preset = rng.pick(presets).1;
    let (kind, mut text) = match rng.below(10) {
        0..=3 => ("mutated preset", mutated(&mut rng, preset)),
        4 => ("preset as is", preset.to_owned()),
        _ => ("from scratch", scratch(&mut rng)),
    };
    let kind = if rng.chance(8) {
        text = broken(&mut rng, &text);
        "broken bytes"
    } else {
        kind
    };
    let flags = flags(&mut rng, keys);
    Case {
        seed,
        kind,
        text,
        flags,
    }
}
