//! The README is tested: every `gilscope …` line of its code blocks runs against the built
//! binary and must exit as documented (0, or the status of a trailing `# exits N` comment), and
//! its "Settings" section lists every setting of the settings table with its flag and help.
//!
//! Lines that open a window (the bare `gilscope`, `gilscope screenshot …`) run only where
//! `DISPLAY` is set (`scripts/test.sh` runs the suite under `xvfb-run`); elsewhere they are
//! skipped, and the test says so.

use gilscope_sim::SETTINGS;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Generous: live runs and calibration use real threads on a machine that may be busy.
const LIMIT: Duration = Duration::from_mins(5);

/// How long the bare app gets to open its window.
const WINDOW_LIMIT: Duration = Duration::from_mins(1);

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One `gilscope …` line of a code block.
#[derive(Debug)]
struct Documented {
    /// Line number in README.md.
    line: usize,
    /// The arguments after `gilscope`.
    args: Vec<String>,
    /// The exit status the README promises.
    status: i32,
}

impl Documented {
    fn text(&self) -> String {
        format!("README.md:{}: gilscope {}", self.line, self.args.join(" "))
            .trim_end()
            .to_owned()
    }

    /// Whether it opens a window.
    fn needs_display(&self) -> bool {
        self.args.first().is_none_or(|a| a == "screenshot")
    }

    /// The files it promises to write (`--out`, `--trace`, `--plot`).
    fn outputs(&self) -> Vec<&str> {
        self.args
            .windows(2)
            .filter(|w| matches!(w[0].as_str(), "--out" | "--trace" | "--plot"))
            .map(|w| w[1].as_str())
            .collect()
    }
}

/// Every `gilscope` line inside a fenced code block, with its expected status.
fn documented_commands(text: &str) -> Vec<Documented> {
    let mut in_block = false;
    let mut found = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block || !(line == "gilscope" || line.starts_with("gilscope ")) {
            continue;
        }
        let (command, comment) = match line.find(" #") {
            Some(at) => (&line[..at], line[at + 2..].trim()),
            None => (line, ""),
        };
        assert!(
            !command.contains(['"', '\'', '$', '|', '>', '<', '&', ';', '`', '*']),
            "README.md:{}: this test runs lines without a shell; write it without quotes, \
             pipes, redirections or variables: {line}",
            index + 1
        );
        let status = comment.strip_prefix("exits ").map_or(0, |rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().unwrap_or_else(|_| {
                panic!("README.md:{}: write `# exits N` with a number", index + 1)
            })
        });
        found.push(Documented {
            line: index + 1,
            args: command
                .split_whitespace()
                .skip(1)
                .map(str::to_owned)
                .collect(),
            status,
        });
    }
    found
}

/// A folder of its own for one command, so the files it writes land there.
fn scratch(line: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gilscope-readme-{}-{line}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn start(command: &Documented, dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gilscope"))
        .args(&command.args)
        .current_dir(dir)
        // The app keeps its settings here rather than in the user's own data folder.
        .env("XDG_DATA_HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: cannot start: {e}", command.text()))
}

/// Waits for `child` up to `limit`; kills it (and says so) when it runs longer.
fn wait(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
    }
    text
}

/// Runs a headless line (or `screenshot`) to its end; the failure, if any, in words.
fn run_to_end(command: &Documented) -> Result<(), String> {
    let dir = scratch(command.line);
    let mut child = start(command, &dir);
    let status = wait(&mut child, LIMIT);
    let stderr = stderr_of(&mut child);
    let result = match status {
        None => Err(format!("still running after {LIMIT:?}; killed")),
        Some(status) if status.code() != Some(command.status) => Err(format!(
            "exited with {status}, the README says {}:\n{stderr}",
            command.status
        )),
        Some(_) if command.status == 0 => {
            let missing: Vec<&str> = command
                .outputs()
                .into_iter()
                .filter(|file| !dir.join(file).exists())
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("did not write {}", missing.join(", ")))
            }
        }
        Some(_) => Ok(()),
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Whether the X server lists a window whose name starts with "gilscope".
fn window_is_open() -> bool {
    Command::new("xwininfo")
        .args(["-root", "-tree"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("\"gilscope"))
}

/// The bare app: it must stay up and open its window; then it is closed.
fn open_the_window(command: &Documented) -> Result<(), String> {
    let dir = scratch(command.line);
    let mut child = start(command, &dir);
    let started = Instant::now();
    let result = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Err(format!(
                "exited with {status} instead of staying open:\n{}",
                stderr_of(&mut child)
            ));
        }
        if window_is_open() {
            break Ok(());
        }
        if started.elapsed() > WINDOW_LIMIT {
            break Err(format!(
                "no window named gilscope after {WINDOW_LIMIT:?} (xwininfo, from x11-utils, \
                 lists the windows)"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[test]
fn every_gilscope_line_of_the_readme_exits_as_documented() {
    let commands = documented_commands(&readme());
    assert!(
        commands.len() >= 15,
        "only {} gilscope lines found in the README's code blocks",
        commands.len()
    );
    let display = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty());
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for command in &commands {
        let outcome = match (command.needs_display(), display) {
            (true, false) => {
                skipped.push(command.text());
                continue;
            }
            (true, true) if command.args.is_empty() => open_the_window(command),
            _ => run_to_end(command),
        };
        if let Err(why) = outcome {
            failures.push(format!("{}: {why}", command.text()));
        }
    }
    if !skipped.is_empty() {
        eprintln!(
            "skipped, because DISPLAY is not set (scripts/test.sh runs the suite under \
             xvfb-run, where they run):\n  {}",
            skipped.join("\n  ")
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The rows of the README's "Settings" table, split into trimmed cells.
fn settings_rows(text: &str) -> Vec<Vec<String>> {
    let section = text
        .split("\n## Settings\n")
        .nth(1)
        .expect("README.md has a \"## Settings\" section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            // Cells split at `|` not escaped as `\|`.
            let mut cells = Vec::new();
            let mut cell = String::new();
            let mut chars = l.trim().trim_matches('|').chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' if chars.peek() == Some(&'|') => cell.push(chars.next().unwrap_or('|')),
                    '|' => cells.push(std::mem::take(&mut cell).trim().to_owned()),
                    _ => cell.push(c),
                }
            }
            cells.push(cell.trim().to_owned());
            cells
        })
        .collect()
}

#[test]
fn the_readme_lists_every_setting_with_its_flag_and_help() {
    let rows = settings_rows(&readme());
    let expected: Vec<[String; 3]> = SETTINGS
        .iter()
        .map(|s| {
            [
                format!("`{}`", s.key),
                format!("`{}`", s.usage()),
                s.help.to_owned(),
            ]
        })
        .collect();
    let mut wrong = Vec::new();
    for (index, want) in expected.iter().enumerate() {
        let row = rows.get(index);
        let matches =
            row.is_some_and(|row| row.len() == 4 && row[..3] == want[..] && !row[3].is_empty());
        if !matches {
            wrong.push(format!(
                "row {}: expected | {} | {} | {} | <in the app> |, found {row:?}",
                index + 1,
                want[0],
                want[1].replace('|', "\\|"),
                want[2]
            ));
        }
    }
    if rows.len() > expected.len() {
        wrong.push(format!(
            "rows for settings the table does not have: {:?}",
            &rows[expected.len()..]
        ));
    }
    assert!(
        wrong.is_empty(),
        "README.md's Settings table is out of date with sim/src/settings/mod.rs:\n{}",
        wrong.join("\n")
    );
}
