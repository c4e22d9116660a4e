//! One operation of a thread's program, read from its `{ op = value, option = value }` table:
//! which operation it is, its options, and each value checked, with an error that names the
//! field, the value and what is allowed.

use super::read::{Names, intern};
use super::{OPERATIONS, ObjectKind, Op};
use crate::settings::kind::written;
use crate::time::{MS, Nanos, parse_duration};
use std::borrow::Cow;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The most bytecodes of one `compute` or `offload` (2^50).
pub const MAX_BYTECODES: u64 = 1 << 50;
/// The most increments of one `increment`, reads of one `read` or mutations of one `mutate`
/// (2^40).
pub const MAX_INCREMENTS: u64 = 1 << 40;
/// The largest message of one `send`, in bytes (2^40).
pub const MAX_MESSAGE_BYTES: u64 = 1 << 40;
/// The longest loop body of a `compute` (2^20 bytecodes).
pub const MAX_LOOP_BODY: u64 = 1 << 20;

/// The keys that name an operation, in the order [`OPERATIONS`] lists them.
const KINDS: [&str; 13] = [
    "compute",
    "io",
    "sleep",
    "c_call",
    "increment",
    "lock",
    "unlock",
    "send",
    "import",
    "offload",
    "read",
    "mutate",
    "collect",
];

/// An error at a place of the file: its byte span and the message.
pub(super) type Placed = (Range<usize>, String);

/// Reads one operation table. `span` is the table's place in the file, for errors about the
/// table as a whole; an error about one value points at that value.
pub(super) fn read_op(
    table: &DeTable,
    span: Range<usize>,
    names: &mut Names,
) -> Result<Op, Placed> {
    let (kind_key, kind) = kind_of(table, span)?;
    let options: &[&str] = match kind {
        "compute" => &["loop_body"],
        "io" => &["blocks"],
        "c_call" => &["releases_gil"],
        "increment" => &["times", "call_inside", "shared"],
        "import" => &["supports_free_threading", "duration"],
        "read" => &["times", "loop_body", "kind", "per_thread"],
        "mutate" => &["times", "loop_body"],
        _ => &[],
    };
    if let Some(extra) = table
        .keys()
        .find(|k| k.get_ref() != kind && !options.contains(&k.get_ref().as_ref()))
    {
        let allowed = if options.is_empty() {
            "none".to_owned()
        } else {
            options.join(", ")
        };
        return Err((
            extra.span(),
            format!(
                "`{kind}` does not take the option `{}` (options allowed: {allowed})",
                extra.get_ref()
            ),
        ));
    }
    let value = &table[kind_key];
    let opt = |key: &str| {
        table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    };
    let placed = |v: &Spanned<DeValue>| {
        let span = v.span();
        move |message: String| (span, message)
    };
    let option = |key: &str, default, read: &dyn Fn(&DeValue, &str) -> Result<u64, String>| {
        opt(key).map_or(Ok(default), |v| read(v.get_ref(), key).map_err(placed(v)))
    };
    let flag =
        |key: &str| opt(key).map_or(Ok(false), |v| bool_of(v.get_ref(), key).map_err(placed(v)));
    let v = value.get_ref();
    let here = placed(value);
    Ok(match kind {
        "compute" => Op::Compute {
            bytecodes: whole(v, "compute", MAX_BYTECODES).map_err(here)?,
            loop_body: option("loop_body", 8, &|v, k| whole(v, k, MAX_LOOP_BODY))? as u32,
        },
        "io" => Op::Io {
            duration: duration_of(v, "io").map_err(here)?,
            blocks: opt("blocks")
                .map(|b| bool_of(b.get_ref(), "blocks").map_err(placed(b)))
                .transpose()?,
        },
        "sleep" => Op::Sleep(duration_of(v, "sleep").map_err(here)?),
        "c_call" => Op::CCall {
            duration: duration_of(v, "c_call").map_err(here)?,
            releases_gil: flag("releases_gil")?,
        },
        "increment" => Op::Increment {
            counter: intern(&mut names.counters, &name_of(v, "increment").map_err(here)?),
            times: option("times", 1, &|v, k| whole(v, k, MAX_INCREMENTS))?,
            call_inside: flag("call_inside")?,
            shared: flag("shared")?,
        },
        "lock" => Op::Lock(intern(&mut names.locks, &name_of(v, "lock").map_err(here)?)),
        "unlock" => Op::Unlock(intern(
            &mut names.locks,
            &name_of(v, "unlock").map_err(here)?,
        )),
        "send" => Op::Send(whole(v, "send", MAX_MESSAGE_BYTES).map_err(here)?),
        "offload" => Op::Offload(whole(v, "offload", MAX_BYTECODES).map_err(here)?),
        "read" => Op::Read {
            object: intern(&mut names.objects, &name_of(v, "read").map_err(here)?),
            times: option("times", 1, &|v, k| whole(v, k, MAX_INCREMENTS))?,
            loop_body: loop_body(opt("loop_body"))?,
            kind: opt("kind").map_or(Ok(ObjectKind::Instance), |k| {
                object_kind(k.get_ref()).map_err(placed(k))
            })?,
            per_thread: flag("per_thread")?,
        },
        "mutate" => Op::Mutate {
            object: intern(&mut names.objects, &name_of(v, "mutate").map_err(here)?),
            times: option("times", 1, &|v, k| whole(v, k, MAX_INCREMENTS))?,
            loop_body: loop_body(opt("loop_body"))?,
        },
        "collect" => Op::Collect(duration_of(v, "collect").map_err(here)?),
        _ => Op::Import {
            module: intern(&mut names.modules, &name_of(v, "import").map_err(here)?),
            supports_free_threading: flag("supports_free_threading")?,
            duration: opt("duration").map_or(Ok(MS), |d| {
                duration_of(d.get_ref(), "duration").map_err(placed(d))
            })?,
        },
    })
}

/// The key that names the operation, and the operation.
fn kind_of<'t>(
    table: &'t DeTable,
    span: Range<usize>,
) -> Result<(&'t Spanned<Cow<'t, str>>, &'t str), Placed> {
    let found: Vec<&Spanned<Cow<str>>> = table
        .keys()
        .filter(|k| KINDS.contains(&k.get_ref().as_ref()))
        .collect();
    match found.as_slice() {
        [one] => Ok((*one, one.get_ref().as_ref())),
        [] => {
            let keys: Vec<&str> = table.keys().map(|k| k.get_ref().as_ref()).collect();
            Err((
                span,
                format!(
                    "unknown operation {{ {} }}: each operation needs exactly one of {OPERATIONS}",
                    keys.join(", ")
                ),
            ))
        }
        many => {
            let names: Vec<&str> = many.iter().map(|k| k.get_ref().as_ref()).collect();
            Err((
                span,
                format!(
                    "an operation names {} at once: write one operation per table",
                    names.join(" and ")
                ),
            ))
        }
    }
}

fn duration_of(value: &DeValue, key: &str) -> Result<Nanos, String> {
    match value {
        DeValue::String(s) => parse_duration(s).map_err(|e| format!("`{key}`: {e}")),
        other => Err(format!(
            "`{key}` = {}: write a duration string with a unit, e.g. {key} = \"5ms\"",
            written(other)
        )),
    }
}

/// A whole number from 1 to `max`.
pub(super) fn whole(value: &DeValue, key: &str, max: u64) -> Result<u64, String> {
    value
        .as_integer()
        .and_then(|i| u64::from_str_radix(i.as_str(), i.radix()).ok())
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            format!(
                "`{key}` = {}: use a whole number from 1 to {max}",
                written(value)
            )
        })
}

/// A `read`'s or `mutate`'s `loop_body`, where the scenario gives one.
fn loop_body(value: Option<&Spanned<DeValue>>) -> Result<Option<u32>, Placed> {
    value
        .map(|v| {
            whole(v.get_ref(), "loop_body", MAX_LOOP_BODY)
                .map(|n| n as u32)
                .map_err(|message| (v.span(), message))
        })
        .transpose()
}

/// The `kind` of a shared object read.
fn object_kind(value: &DeValue) -> Result<ObjectKind, String> {
    let names: Vec<&str> = ObjectKind::NAMES.iter().map(|(n, _)| *n).collect();
    value
        .as_str()
        .and_then(|s| ObjectKind::NAMES.iter().find(|(n, _)| *n == s.trim()))
        .map(|(_, kind)| *kind)
        .ok_or_else(|| {
            format!(
                "`kind` = {}: use one of {}",
                written(value),
                names.join(", ")
            )
        })
}

fn bool_of(value: &DeValue, key: &str) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("`{key}` = {}: use true or false", written(value)))
}

fn name_of(value: &DeValue, key: &str) -> Result<String, String> {
    match value {
        DeValue::String(s) => super::read::check_name(s, key),
        other => Err(format!(
            "`{key}` = {}: give a name in quotes, e.g. {key} = \"counter\"",
            written(other)
        )),
    }
}
