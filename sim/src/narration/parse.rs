//! Reading a scenario's narration: `[[narration]]` entries, each a `text` with an optional
//! `when`, or the older single `narration = """…"""` string (one unconditional sentence per
//! paragraph). Errors carry the byte offset in the file where they are, so the scenario's
//! locator can name the line and column.

use super::condition::Condition;
use super::template::Template;
use super::{Narration, Sentence};
use serde::Deserialize;
use std::fmt;
use toml::Spanned;

/// The `narration` of a scenario file as written.
#[derive(Debug)]
pub enum RawNarration {
    /// The older form: one text.
    Text(String),
    /// `[[narration]]` entries.
    Sentences(Vec<RawSentence>),
}

/// One `[[narration]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSentence {
    /// The words, with `{fact}` placeholders.
    text: Spanned<String>,
    /// When it is true; always when left out.
    when: Option<Spanned<String>>,
}

impl<'de> Deserialize<'de> for RawNarration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawNarration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("[[narration]] entries, each with `text` and an optional `when`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawNarration, E> {
                Ok(RawNarration::Text(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawNarration, A::Error> {
                let mut sentences = Vec::new();
                while let Some(sentence) = seq.next_element::<RawSentence>()? {
                    sentences.push(sentence);
                }
                Ok(RawNarration::Sentences(sentences))
            }
        }
        deserializer.deserialize_any(Visitor)
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

/// The narration of `raw`, with facts resolved against `groups` and `counters`. An error is
/// `(byte offset in file, message)`.
pub fn narration(
    raw: &Spanned<RawNarration>,
    file: &str,
    groups: &[String],
    counters: &[String],
) -> Result<Narration, (usize, String)> {
    let mut sentences = Vec::new();
    match raw.get_ref() {
        RawNarration::Text(text) => {
            let start = content_start(file, raw.span().start);
            let template =
                Template::parse(text, groups, counters).map_err(|e| (start + e.at, e.message))?;
            sentences.push(Sentence {
                when: Condition::Always,
                text: template,
            });
        }
        RawNarration::Sentences(entries) => {
            for entry in entries {
                let when = match &entry.when {
                    None => Condition::Always,
                    Some(when) => {
                        Condition::parse(when.get_ref(), groups, counters).map_err(|e| {
                            (
                                content_start(file, when.span().start) + e.at,
                                format!("`when`: {}", e.message),
                            )
                        })?
                    }
                };
                let text = entry.text.get_ref();
                if text.trim().is_empty() {
                    return Err((
                        entry.text.span().start,
                        "`text` is empty: write the sentence".into(),
                    ));
                }
                let template = Template::parse(text, groups, counters).map_err(|e| {
                    (
                        content_start(file, entry.text.span().start) + e.at,
                        format!("`text`: {}", e.message),
                    )
                })?;
                sentences.push(Sentence {
                    when,
                    text: template,
                });
            }
        }
    }
    Ok(Narration { sentences })
}
