//! The `when` of a narration sentence: a condition on the facts of the run, such as
//! `gil and threads > 1 and python >= 3.10` or `runtime = asyncio or cores = 1`.
//!
//! Grammar: `or` of `and` of `not` of atoms; an atom is `( … )`, a true-or-false fact (`gil`),
//! or a comparison `FACT OP VALUE` with `OP` one of `=`, `!=`, `<`, `<=`, `>`, `>=`. A value is
//! read by the fact's kind: a version (`3.10`), a duration with its unit (`2ms`), a percentage
//! (`10%`), a number, or one of the fact's names (`asyncio`). A fact the run does not have (no
//! I/O latency without I/O) makes its comparison false.

use super::facts::{FactRef, Kind, RunFacts, Value, fact};
use super::names::resolve;
use crate::model::PythonVersion;
use crate::time::parse_duration;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Always true (a sentence without `when`).
    Always,
    /// A true-or-false fact.
    Is(Name),
    /// A fact compared with a value.
    Compare(Name, Op, Literal),
    /// Both.
    And(Box<Condition>, Box<Condition>),
    /// Either.
    Or(Box<Condition>, Box<Condition>),
    /// Not.
    Not(Box<Condition>),
}

/// A fact as a condition names it, resolved against the scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Name(pub FactRef);

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=` or `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// The value a fact is compared with, read by the fact's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A number (durations in milliseconds, percentages as fractions).
    Number(f64),
    /// A version.
    Version(PythonVersion),
    /// A name.
    Word(String),
    /// Another fact of the same kind, times a factor: `interval`, `0.5 * interval`.
    Fact(f64, Name),
}

/// Why a condition does not parse: what is wrong, and where in the condition's text (a byte
/// offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    /// Byte offset in the condition.
    pub at: usize,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl Condition {
    /// Parses `text`; fact qualifiers are resolved against the scenario's `groups` and
    /// `counters`.
    pub fn parse(
        text: &str,
        groups: &[String],
        counters: &[String],
    ) -> Result<Condition, ConditionError> {
        let tokens = tokenize(text)?;
        if tokens.is_empty() {
            return Err(ConditionError {
                at: 0,
                message: "`when` is empty: write a condition such as `gil and threads > 1`, or leave `when` out".into(),
            });
        }
        let mut parser = Parser {
            tokens,
            next: 0,
            end: text.len(),
            groups,
            counters,
        };
        let condition = parser.or()?;
        if let Some(token) = parser.tokens.get(parser.next) {
            return Err(ConditionError {
                at: token.at,
                message: format!(
                    "unexpected `{}`: join conditions with `and` or `or`",
                    token.text
                ),
            });
        }
        Ok(condition)
    }

    /// Whether the condition holds for `run`.
    pub fn holds(&self, run: &RunFacts<'_>) -> bool {
        match self {
            Self::Always => true,
            Self::Is(name) => name.0.value(run) == Some(Value::Bool(true)),
            Self::Compare(name, op, Literal::Fact(factor, other)) => {
                match (name.0.value(run), other.0.value(run)) {
                    (Some(value), Some(Value::Number(n))) => {
                        compare(&value, *op, &Literal::Number(factor * n))
                    }
                    _ => false,
                }
            }
            Self::Compare(name, op, literal) => name
                .0
                .value(run)
                .is_some_and(|value| compare(&value, *op, literal)),
            Self::And(a, b) => a.holds(run) && b.holds(run),
            Self::Or(a, b) => a.holds(run) || b.holds(run),
            Self::Not(a) => !a.holds(run),
        }
    }

    /// Whether it reads only settings (facts known before the run ends).
    pub fn reads_only_settings(&self) -> bool {
        match self {
            Self::Always => true,
            Self::Compare(name, _, Literal::Fact(_, other)) => {
                name.0.fact.setting && other.0.fact.setting
            }
            Self::Is(name) | Self::Compare(name, ..) => name.0.fact.setting,
            Self::And(a, b) | Self::Or(a, b) => a.reads_only_settings() && b.reads_only_settings(),
            Self::Not(a) => a.reads_only_settings(),
        }
    }
}

fn compare(value: &Value, op: Op, literal: &Literal) -> bool {
    use std::cmp::Ordering;
    let ordering = match (value, literal) {
        (Value::Number(a), Literal::Number(b)) => a.partial_cmp(b),
        (Value::Version(a), Literal::Version(b)) => Some(a.cmp(b)),
        (Value::Word(a), Literal::Word(b)) => {
            return match op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                _ => false,
            };
        }
        _ => None,
    };
    ordering.is_some_and(|o| match op {
        Op::Eq => o == Ordering::Equal,
        Op::Ne => o != Ordering::Equal,
        Op::Lt => o == Ordering::Less,
        Op::Le => o != Ordering::Greater,
        Op::Gt => o == Ordering::Greater,
        Op::Ge => o != Ordering::Less,
    })
}

#[derive(Debug, Clone)]
struct Token {
    text: String,
    at: usize,
}

/// Words, operators and parentheses, with their offsets.
fn tokenize(text: &str) -> Result<Vec<Token>, ConditionError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' || c == ')' {
            chars.next();
            tokens.push(Token {
                text: c.to_string(),
                at,
            });
        } else if c == '*' {
            chars.next();
            tokens.push(Token {
                text: "*".into(),
                at,
            });
        } else if "=!<>".contains(c) {
            chars.next();
            let mut op = c.to_string();
            if let Some(&(_, '=')) = chars.peek() {
                chars.next();
                op.push('=');
            }
            if op == "!" {
                return Err(ConditionError {
                    at,
                    message: "`!` alone is not an operator: write `not` or `!=`".into(),
                });
            }
            tokens.push(Token { text: op, at });
        } else if c.is_alphanumeric() || "._-%µ".contains(c) {
            let mut word = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_alphanumeric() || "._-%µ".contains(c) {
                    word.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(Token { text: word, at });
        } else {
            return Err(ConditionError {
                at,
                message: format!(
                    "`{c}` cannot appear in a condition: use fact names, values, `and`, `or`, `not`, parentheses and = != < <= > >="
                ),
            });
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    next: usize,
    end: usize,
    groups: &'a [String],
    counters: &'a [String],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.next).map(|t| t.text.as_str())
    }

    fn take(&mut self, what: &str) -> Result<Token, ConditionError> {
        let token = self
            .tokens
            .get(self.next)
            .cloned()
            .ok_or_else(|| ConditionError {
                at: self.end,
                message: format!("the condition ends where {what} should follow"),
            })?;
        self.next += 1;
        Ok(token)
    }

    fn or(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.and()?;
        while self.peek() == Some("or") {
            self.next += 1;
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.not()?;
        while self.peek() == Some("and") {
            self.next += 1;
            left = Condition::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Condition, ConditionError> {
        if self.peek() == Some("not") {
            self.next += 1;
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Condition, ConditionError> {
        let token = self.take("a fact")?;
        if token.text == "(" {
            let inner = self.or()?;
            let close = self.take("`)`")?;
            if close.text != ")" {
                return Err(ConditionError {
                    at: close.at,
                    message: format!("expected `)` but found `{}`", close.text),
                });
            }
            return Ok(inner);
        }
        let name =
            resolve(&token.text, self.groups, self.counters).map_err(|e| ConditionError {
                at: token.at,
                message: e.to_string(),
            })?;
        let op = match self.peek() {
            Some("=" | "==") => Op::Eq,
            Some("!=") => Op::Ne,
            Some("<") => Op::Lt,
            Some("<=") => Op::Le,
            Some(">") => Op::Gt,
            Some(">=") => Op::Ge,
            _ => {
                if name.fact.kind != Kind::Bool {
                    return Err(ConditionError {
                        at: token.at,
                        message: format!(
                            "`{}` is not true or false: compare it, e.g. `{} {}`",
                            token.text,
                            token.text,
                            example(name.fact.kind)
                        ),
                    });
                }
                return Ok(Condition::Is(Name(name)));
            }
        };
        self.next += 1;
        let value = self.take("a value")?;
        let literal = match self.other_fact(&value, name)? {
            Some(literal) => literal,
            None => {
                read_literal(&value.text, name.fact.kind).map_err(|message| ConditionError {
                    at: value.at,
                    message: format!("`{} … {}`: {message}", token.text, value.text),
                })?
            }
        };
        if matches!(name.fact.kind, Kind::Word(_) | Kind::Bool | Kind::Text)
            && !matches!(op, Op::Eq | Op::Ne)
        {
            return Err(ConditionError {
                at: token.at,
                message: format!("`{}` is a name: compare it with = or !=", token.text),
            });
        }
        Ok(Condition::Compare(Name(name), op, literal))
    }
}

impl Parser<'_> {
    /// A comparison's right side when it is another fact, `FACT` or `NUMBER * FACT`; `None`
    /// when `value` is a plain value.
    fn other_fact(
        &mut self,
        value: &Token,
        left: FactRef,
    ) -> Result<Option<Literal>, ConditionError> {
        let numeric = !matches!(
            left.fact.kind,
            Kind::Word(_) | Kind::Bool | Kind::Text | Kind::Version
        );
        if !numeric {
            // `runtime = threads` names a value, not the fact `threads`.
            return Ok(None);
        }
        let (factor, fact_token) = if self.peek() == Some("*") {
            let factor = value.text.parse::<f64>().map_err(|_| ConditionError {
                at: value.at,
                message: format!(
                    "`{} *`: a factor is a number, as in `0.5 * interval`",
                    value.text
                ),
            })?;
            self.next += 1;
            (factor, self.take("a fact after `*`")?)
        } else if fact(value.text.split('.').next().unwrap_or("")).is_some() {
            (1.0, value.clone())
        } else {
            return Ok(None);
        };
        let other =
            resolve(&fact_token.text, self.groups, self.counters).map_err(|e| ConditionError {
                at: fact_token.at,
                message: e.to_string(),
            })?;

        if other.fact.kind != left.fact.kind {
            return Err(ConditionError {
                at: fact_token.at,
                message: format!(
                    "`{}` and `{}` are not numbers of the same kind, so they cannot be compared",
                    left.fact.name, other.fact.name
                ),
            });
        }
        Ok(Some(Literal::Fact(factor, Name(other))))
    }
}

/// A sample comparison for a fact of this kind, for messages.
fn example(kind: Kind) -> String {
    match kind {
        Kind::Count | Kind::Rate => "> 1".into(),
        Kind::Duration => ">= 2ms".into(),
        Kind::Ratio | Kind::Decimal => ">= 1.5".into(),
        Kind::Percent => "> 10%".into(),
        Kind::Version => ">= 3.10".into(),
        Kind::Word(names) => format!("= {}", names.first().copied().unwrap_or("name")),
        Kind::Bool | Kind::Text => "= value".into(),
    }
}

/// Reads the value a fact of `kind` is compared with.
fn read_literal(text: &str, kind: Kind) -> Result<Literal, String> {
    match kind {
        Kind::Version => text
            .parse::<PythonVersion>()
            .map(Literal::Version),
        Kind::Duration => parse_duration(text)
            .map(|ns| Literal::Number(ns as f64 / 1e6))
            .map_err(|e| format!("{e} (a duration fact is compared with a duration)")),
        Kind::Percent => text
            .strip_suffix('%')
            .and_then(|n| n.parse::<f64>().ok())
            .map(|p| Literal::Number(p / 100.0))
            .ok_or_else(|| format!("\"{text}\" is not a percentage: write one like 10%")),
        Kind::Count | Kind::Rate | Kind::Ratio | Kind::Decimal => text
            .parse::<f64>()
            .map(Literal::Number)
            .map_err(|_| format!("\"{text}\" is not a number")),
        Kind::Word(names) => {
            if names.contains(&text) {
                Ok(Literal::Word(text.to_owned()))
            } else {
                Err(format!("\"{text}\" is not one of {}", crate::names::or_list(names)))
            }
        }
        Kind::Bool => Err("a true-or-false fact is not compared: write it alone (`gil`) or with `not` (`not gil`)".into()),
        Kind::Text => Err("free text cannot be compared; test `warnings > 0` instead".into()),
    }
}
