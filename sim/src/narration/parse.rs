//! Reading a scenario's narration: `[[narration]]` entries, each a `text` with an optional
//! `when`, or the older single `narration = """…"""` string (one unconditional sentence per
//! paragraph), walked from the TOML document like the rest of the file. Errors carry the byte
//! offset in the file where they are, so the scenario's reader can name the line and column.

use super::condition::Condition;
use super::template::Template;
use super::{Narration, Sentence};
use crate::settings::kind::written;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// An error: the byte offset in the file where it is, and the message.
type Located = (usize, String);

/// The string `value` of `key`, with where it starts.
fn string_of<'v>(value: &'v Spanned<DeValue>, key: &str) -> Result<&'v str, Located> {
    match value.get_ref() {
        DeValue::String(text) => Ok(text),
        other => Err((
            value.span().start,
            format!(
                "`{key}` = {}: write text in quotes, e.g. {key} = \"…\"",
                written(other)
            ),
        )),
    }
}

/// Where a string value's characters start in `file`, after its opening quotes (and the newline
/// a multi-line string drops).
fn content_start(file: &str, value_start: usize) -> usize {
    let rest = file.get(value_start..).unwrap_or("");
    let quotes = if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
        3
    } else {
        1
    };
    let after = &rest[quotes.min(rest.len())..];
    let newline = if quotes == 3 {
        if after.starts_with("\r\n") {
            2
        } else {
            usize::from(after.starts_with('\n'))
        }
    } else {
        0
    };
    value_start + quotes + newline
}

/// The narration written as `value` in `file`, with facts resolved against `groups` and
/// `counters`: `[[narration]]` entries, or the older single text.
pub fn narration(
    value: &Spanned<DeValue>,
    file: &str,
    groups: &[String],
    counters: &[String],
) -> Result<Narration, Located> {
    let entries = match value.get_ref() {
        DeValue::String(text) => {
            let start = content_start(file, value.span().start);
            let text =
                Template::parse(text, groups, counters).map_err(|e| (start + e.at, e.message))?;
            return Ok(Narration {
                sentences: vec![Sentence {
                    when: Condition::Always,
                    text,
                }],
            });
        }
        DeValue::Array(entries) => entries,
        other => {
            return Err((
                value.span().start,
                format!(
                    "`narration` = {}: write each sentence as a [[narration]] table with `text` and an optional `when`",
                    written(other)
                ),
            ));
        }
    };
    let mut sentences = Vec::new();
    for entry in entries {
        let DeValue::Table(table) = entry.get_ref() else {
            return Err((
                entry.span().start,
                format!(
                    "a narration entry is a table with `text` and an optional `when`, not {}",
                    written(entry.get_ref())
                ),
            ));
        };
        sentences.push(sentence(table, &entry.span(), file, groups, counters)?);
    }
    Ok(Narration { sentences })
}

/// One `[[narration]]` table.
fn sentence(
    table: &DeTable,
    span: &std::ops::Range<usize>,
    file: &str,
    groups: &[String],
    counters: &[String],
) -> Result<Sentence, Located> {
    if let Some((key, _)) = table
        .iter()
        .find(|(k, _)| !["text", "when"].contains(&k.get_ref().as_ref()))
    {
        return Err((
            key.span().start,
            format!(
                "unknown key `{}` in a [[narration]] entry: it has `text` and an optional `when`",
                key.get_ref()
            ),
        ));
    }
    let get = |key: &str| {
        table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    };
    let when = match get("when") {
        None => Condition::Always,
        Some(value) => {
            let text = string_of(value, "when")?;
            Condition::parse(text, groups, counters).map_err(|e| {
                (
                    content_start(file, value.span().start) + e.at,
                    format!("`when`: {}", e.message),
                )
            })?
        }
    };
    let Some(value) = get("text") else {
        return Err((
            span.start,
            "a [[narration]] entry has no `text`: add text = \"…\", the sentence".into(),
        ));
    };
    let text = string_of(value, "text")?;
    if text.trim().is_empty() {
        return Err((
            value.span().start,
            "`text` is empty: write the sentence".into(),
        ));
    }
    let text = Template::parse(text, groups, counters).map_err(|e| {
        (
            content_start(file, value.span().start) + e.at,
            format!("`text`: {}", e.message),
        )
    })?;
    Ok(Sentence { when, text })
}
