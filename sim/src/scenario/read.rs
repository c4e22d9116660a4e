//! Reading a scenario file: the TOML document walked key by key, every value checked where it
//! stands, so that each error names the file, line, column, the field, the value and what is
//! allowed, in words.

use super::ops::{Placed, read_op, whole};
use super::{MAX_THREADS, OPERATIONS, Op, Place, Repeat, ScenarioError, ThreadGroup};
use crate::model::Overrides;
use crate::names::Named;
use crate::narration::parse::narration as read_narration;
use crate::narration::{Narration, Purpose};
use crate::predict::{Choice, Predict, RawPredict};
use crate::settings::kind::{Number, SettingKind, written};
use crate::settings::{SETTINGS, setting};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The longest name (of the scenario, a thread group, a counter, a lock, a module), in
/// characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Counter, lock, module and shared object names met so far, in order of first use.
#[derive(Default)]
pub(super) struct Names {
    pub(super) counters: Vec<String>,
    pub(super) locks: Vec<String>,
    pub(super) modules: Vec<String>,
    pub(super) objects: Vec<String>,
}

/// A named thing (counter, lock) collected in order of first use.
pub(super) fn intern(names: &mut Vec<String>, name: &str) -> usize {
    names.iter().position(|n| n == name).unwrap_or_else(|| {
        names.push(name.to_owned());
        names.len() - 1
    })
}

/// A name as written, trimmed: not empty, not too long, no control characters.
pub(super) fn check_name(name: &str, key: &str) -> Result<String, String> {
    let name = name.trim();
    // The start of the name, with control characters escaped (`\n`), so a message stays short
    // and on one line.
    let shown = || {
        let start: String = name.chars().take(20).collect();
        let more = if start.len() < name.len() { "…" } else { "" };
        format!("\"{}{more}\"", start.escape_debug())
    };
    if name.is_empty() {
        return Err(format!("`{key}` is empty: give it a name in quotes"));
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(format!(
            "`{key}` = {} is {chars} characters long: a name has at most {MAX_NAME_CHARS}",
            shown()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!(
            "`{key}` = {} contains a control character (a newline, a tab): write the name on one line",
            shown()
        ));
    }
    Ok(name.to_owned())
}

/// Everything read from a file, for [`super::Scenario`] to put together.
pub(super) struct Parts {
    pub(super) name: String,
    pub(super) summary: String,
    pub(super) narration: Narration,
    pub(super) purpose: Purpose,
    pub(super) settings: Overrides,
    pub(super) setting_places: BTreeMap<&'static str, Place>,
    pub(super) groups: Vec<ThreadGroup>,
    pub(super) op_places: Vec<Vec<Place>>,
    pub(super) names: Names,
    pub(super) predict: Option<Predict>,
}

/// Turns byte spans of the file into located errors.
pub(super) struct Reader<'a> {
    pub(super) text: &'a str,
    pub(super) file: &'a str,
}

impl Reader<'_> {
    /// The place of a byte offset.
    pub(super) fn place(&self, offset: usize) -> Place {
        let offset = offset.min(self.text.len());
        let before = &self.text[..self.text.floor_char_boundary(offset)];
        Place {
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
        }
    }

    /// An error at `span`.
    pub(super) fn error(&self, span: &Range<usize>, message: impl Into<String>) -> ScenarioError {
        let place = self.place(span.start);
        ScenarioError::Located {
            file: self.file.to_owned(),
            line: place.line,
            column: place.column,
            message: message.into(),
        }
    }

    fn placed(&self, (span, message): Placed) -> ScenarioError {
        self.error(&span, message)
    }

    /// Reads the whole document.
    pub(super) fn read(&self) -> Result<Parts, ScenarioError> {
        let document = DeTable::parse(self.text).map_err(|e| {
            let message = e.message().trim().replace('\n', "; ");
            self.error(
                &e.span().unwrap_or(0..0),
                format!("not valid TOML: {message}"),
            )
        })?;
        let mut parts = Parts {
            name: String::new(),
            summary: String::new(),
            narration: Narration::default(),
            purpose: Purpose::default(),
            settings: Overrides::default(),
            setting_places: BTreeMap::new(),
            groups: Vec::new(),
            op_places: Vec::new(),
            names: Names::default(),
            predict: None,
        };
        let mut threads = None;
        let mut narration = None;
        for (key, value) in document.get_ref() {
            match key.get_ref().as_ref() {
                "name" => parts.name = self.text_of(value, "name", true)?,
                "summary" => parts.summary = self.text_of(value, "summary", false)?,
                "narration" => narration = Some(value),
                "purpose" => {
                    let text = self.text_of(value, "purpose", false)?;
                    parts.purpose = Purpose::from_name(&text)
                        .map_err(|m| self.error(&value.span(), format!("`purpose`: {m}")))?;
                }
                "settings" => self.read_settings(value, &mut parts)?,
                "threads" => threads = Some(value),
                "predict" => parts.predict = Some(self.read_predict(value)?),
                other => {
                    return Err(self.error(
                        &key.span(),
                        format!(
                            "unknown key `{other}`: a scenario has name, summary, narration ([[narration]] entries), purpose, [settings], [[threads]] and [predict]"
                        ),
                    ));
                }
            }
        }
        if parts.name.is_empty() {
            return Err(self.error(
                &(0..0),
                "the scenario has no `name`: add name = \"…\" at the top, a title for pickers",
            ));
        }
        let Some(threads) = threads else {
            return Err(ScenarioError::Invalid {
                file: self.file.to_owned(),
                message: "the scenario has no [[threads]]: add at least one thread group".into(),
            });
        };
        self.read_groups(threads, &mut parts)?;
        if let Some(value) = narration {
            // Read after the groups and counters: its facts name them.
            let groups: Vec<String> = parts.groups.iter().map(|g| g.name.clone()).collect();
            parts.narration = read_narration(value, self.text, &groups, &parts.names.counters)
                .map_err(|(offset, message)| self.error(&(offset..offset), message))?;
        }
        Ok(parts)
    }

    /// `[predict]`: the question for a class, its measure and its choices (see
    /// [`crate::predict`]), each key checked where it stands.
    fn read_predict(&self, value: &Spanned<DeValue>) -> Result<Predict, ScenarioError> {
        let DeValue::Table(table) = value.get_ref() else {
            return Err(self.error(
                &value.span(),
                format!(
                    "`predict` = {}: write a [predict] table with question, measure and choices",
                    written(value.get_ref())
                ),
            ));
        };
        let (mut question, mut measure, mut choices) = (None, None, None);
        for (key, v) in table {
            match key.get_ref().as_ref() {
                "question" => {
                    question = Some(Spanned::new(v.span(), self.predict_text(v, "question")?));
                }
                "measure" => {
                    measure = Some(Spanned::new(v.span(), self.predict_text(v, "measure")?));
                }
                "choices" => choices = Some(Spanned::new(v.span(), self.read_choices(v)?)),
                other => {
                    return Err(self.error(
                        &key.span(),
                        format!("unknown key `{other}` in [predict]: it has question, measure and choices"),
                    ));
                }
            }
        }
        let missing = |key: &str| {
            self.error(
                &value.span(),
                format!("[predict] has no `{key}`: it needs question, measure and choices"),
            )
        };
        let question = question.ok_or_else(|| missing("question"))?;
        let measure = measure.ok_or_else(|| missing("measure"))?;
        let choices = choices.ok_or_else(|| missing("choices"))?;
        RawPredict::new(question, measure, choices)
            .validate()
            .map_err(|(span, message)| self.error(&span, message))
    }

    /// A `[predict]` text: `question`, `measure`, a choice's `answer`.
    fn predict_text(&self, value: &Spanned<DeValue>, key: &str) -> Result<String, ScenarioError> {
        match value.get_ref() {
            DeValue::String(text) => Ok(text.to_string()),
            other => Err(self.error(
                &value.span(),
                format!(
                    "[predict] `{key}` = {}: write text in quotes, e.g. {key} = \"…\"",
                    written(other)
                ),
            )),
        }
    }

    /// `choices = [ { answer = "…", at_least = N }, …, { answer = "…" } ]`.
    fn read_choices(&self, value: &Spanned<DeValue>) -> Result<Vec<Choice>, ScenarioError> {
        let DeValue::Array(list) = value.get_ref() else {
            return Err(self.error(
                &value.span(),
                format!(
                    "[predict] `choices` = {}: write a list like [ {{ answer = \"Faster\", at_least = 1.15 }}, {{ answer = \"Slower\" }} ]",
                    written(value.get_ref())
                ),
            ));
        };
        let mut choices = Vec::with_capacity(list.len());
        for item in list {
            let DeValue::Table(table) = item.get_ref() else {
                return Err(self.error(
                    &item.span(),
                    format!(
                        "each of [predict]'s choices is a table like {{ answer = \"Faster\", at_least = 1.15 }}, not {}",
                        written(item.get_ref())
                    ),
                ));
            };
            let (mut answer, mut at_least) = (None, None);
            for (key, v) in table {
                match key.get_ref().as_ref() {
                    "answer" => answer = Some(self.predict_text(v, "answer")?),
                    "at_least" => {
                        at_least = Some(Number::from_toml(v.get_ref()).map_err(|m| {
                            self.error(
                                &v.span(),
                                format!("[predict] `at_least` = {}: {m}", written(v.get_ref())),
                            )
                        })?);
                    }
                    other => {
                        return Err(self.error(
                            &key.span(),
                            format!("unknown key `{other}` in a [predict] choice: it has answer and at_least"),
                        ));
                    }
                }
            }
            let Some(answer) = answer else {
                return Err(self.error(
                    &item.span(),
                    "a [predict] choice has no `answer`: add answer = \"…\"",
                ));
            };
            choices.push(Choice { answer, at_least });
        }
        Ok(choices)
    }

    /// `name`, `summary`, `purpose`: strings (a name checked as one).
    fn text_of(
        &self,
        value: &Spanned<DeValue>,
        key: &str,
        is_name: bool,
    ) -> Result<String, ScenarioError> {
        let DeValue::String(text) = value.get_ref() else {
            return Err(self.error(
                &value.span(),
                format!(
                    "`{key}` = {}: write text in quotes, e.g. {key} = \"…\"",
                    written(value.get_ref())
                ),
            ));
        };
        if is_name {
            check_name(text, key).map_err(|m| self.error(&value.span(), m))
        } else {
            Ok(text.trim().to_owned())
        }
    }

    /// `[settings]`: each key a row of the settings table, read by its kind.
    fn read_settings(
        &self,
        value: &Spanned<DeValue>,
        parts: &mut Parts,
    ) -> Result<(), ScenarioError> {
        let DeValue::Table(table) = value.get_ref() else {
            return Err(self.error(
                &value.span(),
                format!(
                    "`settings` = {}: write a [settings] table, e.g. [settings] then cores = 4 on the next line",
                    written(value.get_ref())
                ),
            ));
        };
        for (key, value) in table {
            let Some(row) = setting(key.get_ref()) else {
                let keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
                return Err(self.error(
                    &key.span(),
                    format!(
                        "unknown setting `{}`: the settings are {}",
                        key.get_ref(),
                        keys.join(", ")
                    ),
                ));
            };
            let given = row
                .read_toml(value.get_ref())
                .map_err(|m| self.error(&value.span(), m))?;
            parts.settings = given.or(&parts.settings);
            parts
                .setting_places
                .insert(row.key, self.place(value.span().start));
        }
        Ok(())
    }

    /// `[[threads]]`: a list of thread groups, their names unique, their threads' names too.
    fn read_groups(
        &self,
        value: &Spanned<DeValue>,
        parts: &mut Parts,
    ) -> Result<(), ScenarioError> {
        let groups = match value.get_ref() {
            DeValue::Array(groups) => groups,
            other => {
                return Err(self.error(
                    &value.span(),
                    format!(
                        "`threads` = {}: write each thread group as a [[threads]] table",
                        written(other)
                    ),
                ));
            }
        };
        if groups.is_empty() {
            return Err(ScenarioError::Invalid {
                file: self.file.to_owned(),
                message: "the scenario has no [[threads]]: add at least one thread group".into(),
            });
        }
        let mut total = 0u32;
        for raw in groups {
            let DeValue::Table(table) = raw.get_ref() else {
                return Err(self.error(
                    &raw.span(),
                    format!(
                        "a thread group is a table with name and ops, not {}",
                        written(raw.get_ref())
                    ),
                ));
            };
            let (group, places) = self.read_group(table, &raw.span(), &mut parts.names)?;
            total += group.count;
            if total > MAX_THREADS {
                return Err(ScenarioError::Invalid {
                    file: self.file.to_owned(),
                    message: format!(
                        "the scenario has more than {MAX_THREADS} threads in all (at group \"{}\"): lower the counts",
                        group.name
                    ),
                });
            }
            if let Some(clash) = super::name_clash(&parts.groups, &group) {
                return Err(ScenarioError::Invalid {
                    file: self.file.to_owned(),
                    message: clash,
                });
            }
            parts.groups.push(group);
            parts.op_places.push(places);
        }
        Ok(())
    }

    /// One `[[threads]]` table.
    fn read_group(
        &self,
        table: &DeTable,
        span: &Range<usize>,
        names: &mut Names,
    ) -> Result<(ThreadGroup, Vec<Place>), ScenarioError> {
        let get = |key: &str| {
            table
                .iter()
                .find(|(k, _)| k.get_ref() == key)
                .map(|(_, v)| v)
        };
        if let Some((key, _)) = table
            .iter()
            .find(|(k, _)| !["name", "count", "repeat", "ops"].contains(&k.get_ref().as_ref()))
        {
            return Err(self.error(
                &key.span(),
                format!(
                    "unknown key `{}` in a thread group: it has name, count, repeat and ops",
                    key.get_ref()
                ),
            ));
        }
        let name = match get("name") {
            Some(value) => self.text_of(value, "name", true)?,
            None => {
                return Err(self.error(span, "a thread group has no `name`: add name = \"worker\""));
            }
        };
        let count = match get("count") {
            None => 1,
            Some(c) => whole(c.get_ref(), "count", u64::from(MAX_THREADS)).map_err(|_| {
                self.error(
                    &c.span(),
                    format!(
                        "count = {}: a thread group needs between 1 and {MAX_THREADS} threads",
                        written(c.get_ref())
                    ),
                )
            })? as u32,
        };
        let repeat = match get("repeat") {
            None => Repeat::Times(1),
            Some(r) => read_repeat(r.get_ref()).map_err(|m| self.error(&r.span(), m))?,
        };
        let Some(raw_ops) = get("ops") else {
            return Err(self.error(
                span,
                format!("thread \"{name}\" has no `ops`: add ops = [ {{ compute = 1000 }} ]"),
            ));
        };
        let DeValue::Array(list) = raw_ops.get_ref() else {
            return Err(self.error(
                &raw_ops.span(),
                format!(
                    "`ops` = {}: write a list of operations, e.g. ops = [ {{ compute = 1000 }} ]",
                    written(raw_ops.get_ref())
                ),
            ));
        };
        if list.is_empty() {
            return Err(self.error(
                &raw_ops.span(),
                format!("thread \"{name}\" has no ops: add at least one of {OPERATIONS}"),
            ));
        }
        let mut ops = Vec::with_capacity(list.len());
        let mut places = Vec::with_capacity(list.len());
        let mut held: Vec<usize> = Vec::new();
        for raw_op in list {
            let span = raw_op.span();
            let DeValue::Table(op_table) = raw_op.get_ref() else {
                return Err(self.error(
                    &span,
                    format!(
                        "each operation is a table like {{ compute = 1000 }}, not {}",
                        written(raw_op.get_ref())
                    ),
                ));
            };
            let op = read_op(op_table, span.clone(), names).map_err(|e| self.placed(e))?;
            check_lock_use(&op, &mut held, &name, &names.locks)
                .map_err(|m| self.error(&span, m))?;
            ops.push(op);
            places.push(self.place(span.start));
        }
        if let Some(&l) = held.first() {
            let lock = &names.locks[l];
            return Err(self.error(
                &raw_ops.span(),
                format!(
                    "thread \"{name}\" ends its ops still holding lock \"{lock}\": add {{ unlock = \"{lock}\" }}"
                ),
            ));
        }
        Ok((
            ThreadGroup {
                name,
                count,
                repeat,
                ops,
            },
            places,
        ))
    }
}

/// `repeat`: a whole number of at least 1, or `"forever"`.
fn read_repeat(value: &DeValue) -> Result<Repeat, String> {
    match value {
        DeValue::String(s) if s.trim() == "forever" => Ok(Repeat::Forever),
        DeValue::Integer(_) => whole(value, "repeat", i64::MAX as u64)
            .map(Repeat::Times)
            .map_err(|_| {
                format!(
                    "repeat = {}: use a whole number of at least 1, or \"forever\"",
                    written(value)
                )
            }),
        other => Err(format!(
            "repeat = {}: use a whole number of at least 1, or \"forever\"",
            written(other)
        )),
    }
}

/// Locks must be taken once and released by their holder (checked in program order).
fn check_lock_use(
    op: &Op,
    held: &mut Vec<usize>,
    thread: &str,
    locks: &[String],
) -> Result<(), String> {
    match *op {
        Op::Lock(l) if held.contains(&l) => Err(format!(
            "thread \"{thread}\" locks \"{}\" twice without unlocking: a threading.Lock is not reentrant, so this deadlocks",
            locks[l]
        )),
        Op::Lock(l) => {
            held.push(l);
            Ok(())
        }
        Op::Unlock(l) => {
            let at = held.iter().position(|&h| h == l).ok_or_else(|| {
                format!(
                    "thread \"{thread}\" unlocks \"{}\", which it does not hold at that point (Python raises RuntimeError: release unlocked lock)",
                    locks[l]
                )
            })?;
            held.remove(at);
            Ok(())
        }
        _ => Ok(()),
    }
}
