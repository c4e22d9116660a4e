//! Fact names as conditions and placeholders write them: `wall`, `threads.worker`,
//! `lost.hits`, resolved against the scenario's thread groups and counters.

use super::facts::{FACTS, FactRef, Scope, fact};
use crate::names::or_list;

/// Why a fact name does not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// No fact has this name.
    #[error("`{}` is not a fact a narration knows: use one of {list}", .0.escape_debug(), list = fact_list())]
    Unknown(String),
    /// The qualifier names no group or counter of the scenario.
    #[error("`{}`: the scenario has no {what} {qualifier:?} (it has {known})", name.escape_debug())]
    NoSuch {
        /// The name as written.
        name: String,
        /// "thread group" or "counter".
        what: &'static str,
        /// The qualifier.
        qualifier: String,
        /// What the scenario has.
        known: String,
    },
    /// The fact takes no qualifier.
    #[error("`{}` takes no `.` qualifier (only threads, expected, lost and lost_pct do)", .0.escape_debug())]
    Unqualified(String),
}

fn fact_list() -> String {
    let names: Vec<&str> = FACTS.iter().map(|f| f.name).collect();
    or_list(&names)
}

/// The fact `text` names, with its qualifier resolved against `groups` and `counters`.
pub fn resolve(text: &str, groups: &[String], counters: &[String]) -> Result<FactRef, NameError> {
    let (base, qualifier) = match text.split_once('.') {
        Some((base, qualifier)) => (base, Some(qualifier)),
        None => (text, None),
    };
    let found = fact(base).ok_or_else(|| NameError::Unknown(text.to_owned()))?;
    let Some(qualifier) = qualifier else {
        return Ok(FactRef {
            fact: found,
            index: None,
        });
    };
    let (names, what) = match found.scope {
        Scope::Run => return Err(NameError::Unqualified(text.to_owned())),
        Scope::Group => (groups, "thread group"),
        Scope::Counter => (counters, "counter"),
    };
    let index = names
        .iter()
        .position(|n| n == qualifier)
        .ok_or_else(|| NameError::NoSuch {
            name: text.to_owned(),
            what,
            qualifier: qualifier.to_owned(),
            known: if names.is_empty() {
                "none".to_owned()
            } else {
                let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
                let refs: Vec<&str> = quoted.iter().map(String::as_str).collect();
                or_list(&refs)
            },
        })?;
    Ok(FactRef {
        fact: found,
        index: Some(index),
    })
}
