//! The stamp stream a generated program writes to gilscope: batches of records, framed so that
//! many writers (threads, processes) can share one pipe.
//!
//! A batch is a 12-byte header — magic `GILS`, kind (`u16`), lane (`u16`), payload length in
//! bytes (`u32`), native byte order — and a payload of at most 4080 bytes, so that a batch is
//! one atomic `write(2)` (at most `PIPE_BUF`, 4096 bytes). Payloads of kind [`KIND_STAMPS`] are
//! native `f64`s: a positive value is a stamp inside a loop (the clock, in seconds, after one
//! chunk of iterations); a negative value `-code` starts an event of four values: `-code`, two
//! arguments and the clock. Payloads of kind [`KIND_META`] are one JSON object ([`Meta`]).
//! Producer and consumer run on one machine, so native byte order is the same on both sides.

use serde::{Deserialize, Serialize};
use std::io::{self, Read};

/// The first four bytes of every batch.
pub const MAGIC: [u8; 4] = *b"GILS";
/// Bytes of a batch header.
pub const HEADER_BYTES: usize = 12;
/// The largest payload: header plus payload stay within `PIPE_BUF`.
pub const MAX_PAYLOAD: usize = 4080;
/// Batch kind: stamps and events (`f64` records).
pub const KIND_STAMPS: u16 = 1;
/// Batch kind: one meta message (UTF-8 JSON).
pub const KIND_META: u16 = 2;
/// The lane of the program's main thread (meta messages about the whole run).
pub const MAIN_LANE: u16 = 0xFFFF;

/// What an event record says happened; the discriminant is the record code on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Code {
    /// The lane started its program.
    ThreadStart = 1,
    /// The lane ended; `a` = 0: it finished its program, 1: the run was over, 2: it raised.
    ThreadEnd = 2,
    /// A `compute` loop begins; `a` = its iterations.
    Compute = 3,
    /// An `increment` loop begins: `a` = increments, `b` = the counter's index.
    Increment = 4,
    /// An `increment` loop with a call inside (`counter += one()`) begins; as [`Self::Increment`].
    IncrementCall = 5,
    /// An `increment` loop of a shared-memory counter begins; as [`Self::Increment`].
    IncrementShared = 6,
    /// The loop begun last ended; `a` = the iterations it made.
    LoopEnd = 7,
    /// An `io` call begins; `a` = its duration in seconds.
    Io = 8,
    /// A `sleep` begins; `a` = its duration in seconds.
    Sleep = 9,
    /// A C call that releases the GIL begins; `a` = its nominal duration in seconds.
    CCallRelease = 10,
    /// A C call that keeps the GIL begins; `a` = its nominal duration in seconds.
    CCallHold = 11,
    /// An `import` (C work that keeps the GIL) begins; `a` = its duration in seconds.
    Import = 12,
    /// The operation begun last (I/O, sleep, C call, import, send, offload, collect) returned.
    OpEnd = 13,
    /// The lane found a lock taken and blocks on it; `a` = the lock's index.
    LockWait = 14,
    /// The lane holds a lock; `a` = the lock's index.
    LockTaken = 15,
    /// The lane released a lock; `a` = the lock's index.
    Unlock = 16,
    /// A `send` begins; `a` = the message's bytes.
    Send = 17,
    /// An asyncio task awaits an executor job; `a` = the job's bytecodes.
    Offload = 18,
    /// An executor thread finished a job and waits for the next one.
    Idle = 19,
    /// A `read` loop begins: `a` = reads, `b` = the object's index.
    Read = 20,
    /// A `mutate` loop begins: `a` = mutations, `b` = the object's index.
    Mutate = 21,
    /// A `collect` begins (`gc.collect()`, which keeps the GIL); `a` = its duration in seconds.
    Collect = 22,
    /// A `send` between processes has pickled its message and writes it to the pipe.
    Pickled = 23,
}

impl Code {
    /// Every code, in wire order.
    pub const ALL: [Code; 23] = [
        Self::ThreadStart,
        Self::ThreadEnd,
        Self::Compute,
        Self::Increment,
        Self::IncrementCall,
        Self::IncrementShared,
        Self::LoopEnd,
        Self::Io,
        Self::Sleep,
        Self::CCallRelease,
        Self::CCallHold,
        Self::Import,
        Self::OpEnd,
        Self::LockWait,
        Self::LockTaken,
        Self::Unlock,
        Self::Send,
        Self::Offload,
        Self::Idle,
        Self::Read,
        Self::Mutate,
        Self::Collect,
        Self::Pickled,
    ];

    /// The code with this wire value.
    pub fn from_wire(value: f64) -> Option<Code> {
        Self::ALL
            .into_iter()
            .find(|c| f64::from(*c as u8).to_bits() == value.to_bits())
    }

    /// The constant's name in the generated program.
    pub fn python_name(self) -> &'static str {
        match self {
            Self::ThreadStart => "R_THREAD_START",
            Self::ThreadEnd => "R_THREAD_END",
            Self::Compute => "R_COMPUTE",
            Self::Increment => "R_INCREMENT",
            Self::IncrementCall => "R_INCREMENT_CALL",
            Self::IncrementShared => "R_INCREMENT_SHARED",
            Self::LoopEnd => "R_LOOP_END",
            Self::Io => "R_IO",
            Self::Sleep => "R_SLEEP",
            Self::CCallRelease => "R_CCALL_RELEASE",
            Self::CCallHold => "R_CCALL_HOLD",
            Self::Import => "R_IMPORT",
            Self::OpEnd => "R_OP_END",
            Self::LockWait => "R_LOCK_WAIT",
            Self::LockTaken => "R_LOCK_TAKEN",
            Self::Unlock => "R_UNLOCK",
            Self::Send => "R_SEND",
            Self::Offload => "R_OFFLOAD",
            Self::Idle => "R_IDLE",
            Self::Read => "R_READ",
            Self::Mutate => "R_MUTATE",
            Self::Collect => "R_COLLECT",
            Self::Pickled => "R_PICKLED",
        }
    }
}

/// One record of a lane, clock in seconds as the program read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Record {
    /// A loop finished one more chunk of iterations at this time.
    Chunk(f64),
    /// An event.
    Event {
        /// What happened.
        code: Code,
        /// Its first argument (see [`Code`]).
        a: f64,
        /// Its second argument.
        b: f64,
        /// When.
        t: f64,
    },
}

impl Record {
    /// When it was stamped.
    pub fn time(&self) -> f64 {
        match *self {
            Self::Chunk(t) | Self::Event { t, .. } => t,
        }
    }
}

/// One batch as read from the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Batch {
    /// Records of one lane, in the order it stamped them.
    Records {
        /// The lane.
        lane: u16,
        /// Its records.
        records: Vec<Record>,
    },
    /// A meta message.
    Meta {
        /// The lane that sent it ([`MAIN_LANE`] for the whole run).
        lane: u16,
        /// The message.
        meta: Meta,
    },
}

/// How one loop of the program measured during calibration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LoopCalibration {
    /// Instructions one iteration executes, counted with `dis`.
    pub instructions: u32,
    /// Nanoseconds one iteration takes, alone and unobserved (best of five).
    pub ns_per_iteration: f64,
    /// Iterations between two stamps.
    pub chunk: u64,
    /// The cost of one stamp, in nanoseconds.
    #[serde(default)]
    pub stamp_ns: Option<f64>,
    /// The share of a chunk's time spent stamping.
    #[serde(default)]
    pub overhead: Option<f64>,
}

/// The GIL-releasing C call's measured speed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReleaseCalibration {
    /// The call (`zlib.compress`, `hashlib.sha256`).
    pub function: String,
    /// Bytes it processes per microsecond.
    pub bytes_per_us: f64,
}

/// The GIL-holding C call's measured speed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HoldCalibration {
    /// The call (`sum(range(n))`).
    pub function: String,
    /// Items it processes per microsecond.
    pub items_per_us: f64,
}

/// What the program measured before the run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Calibration {
    /// Target work between two stamps, in microseconds.
    pub chunk_us: f64,
    /// Per loop (`compute`, `increment_0`, …).
    pub loops: std::collections::BTreeMap<String, LoopCalibration>,
    /// The GIL-releasing C call, when the scenario has one.
    #[serde(default)]
    pub release: Option<ReleaseCalibration>,
    /// The GIL-holding C call, when the scenario has one.
    #[serde(default)]
    pub hold: Option<HoldCalibration>,
}

/// What the interpreter said about itself and how its settings were applied.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Hello {
    /// `sys.version`, first word.
    pub python: String,
    /// `sys.executable`.
    pub executable: String,
    /// The program's process id.
    pub pid: u32,
    /// The clock every stamp reads.
    pub clock: String,
    /// Its resolution in seconds.
    pub resolution: f64,
    /// `Py_GIL_DISABLED`.
    pub free_threaded: bool,
    /// Whether the GIL is on (`sys._is_gil_enabled()` where it exists).
    pub gil_enabled: bool,
    /// `sys.getswitchinterval()`, seconds (3.2+).
    #[serde(default)]
    pub switch_interval: Option<f64>,
    /// `sys.getcheckinterval()`, ticks (2.7).
    #[serde(default)]
    pub check_interval: Option<u64>,
    /// The CPUs the program was confined to, when that worked.
    #[serde(default)]
    pub cpus: Option<Vec<u32>>,
    /// The timer slack set, or why not.
    pub timer_slack: String,
    /// The runtime (`threads`, `asyncio`, `multiprocessing`, `subinterpreters`).
    pub runtime: String,
    /// Every lane: `[name, group, role]`.
    pub lanes: Vec<(String, usize, LaneRole)>,
    /// The scenario's shared counters, by name.
    #[serde(default)]
    pub counters: Vec<String>,
    /// The scenario's locks, by name.
    #[serde(default)]
    pub locks: Vec<String>,
    /// How batches are written (and whether that keeps the GIL).
    pub writer: String,
    /// Settings that could not be applied, one sentence each.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// What runs a lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneRole {
    /// A `threading.Thread` of the main interpreter.
    Thread,
    /// An asyncio task on the main thread's event loop.
    Task,
    /// A thread of the asyncio runtime's `ThreadPoolExecutor`, started at its first job.
    Executor,
    /// A `multiprocessing` process.
    Process,
    /// A subinterpreter, run by a thread of the main interpreter.
    Interpreter,
}

/// A meta message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Meta {
    /// The first message.
    Hello(Box<Hello>),
    /// The calibration, before the run starts.
    Calibration(Calibration),
    /// Time zero of the run: the main thread is about to start the lanes.
    Start {
        /// The clock.
        t: f64,
        /// The run's deadline on the clock, when it has a duration.
        #[serde(default)]
        stop_at: Option<f64>,
        /// Per lane of the runtime (executors excluded): whether it repeats forever. The run
        /// ends when the last of the others ends.
        #[serde(default)]
        forever: Vec<bool>,
    },
    /// A lane (or the main process) raised or failed.
    Error {
        /// The lane, when one failed.
        #[serde(default)]
        lane: Option<u16>,
        /// The traceback or message.
        text: String,
    },
    /// The run ended.
    End {
        /// When it ended (the clock).
        t: f64,
        /// `finished`, `duration` or `failed`.
        reason: String,
        /// Each counter's final value, in the main interpreter.
        counters: Vec<i64>,
    },
    /// A message too long for one batch.
    Truncated {
        /// Its length in bytes.
        truncated: usize,
    },
}

/// Why a stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// Bytes that are not a batch: something else wrote to the stamp channel.
    #[error(
        "the program wrote something that is not a stamp batch to its stamp channel (byte {offset}: {sample})"
    )]
    Garbage {
        /// Bytes read before it.
        offset: u64,
        /// The offending bytes, printable.
        sample: String,
    },
    /// The stream ended in the middle of a batch.
    #[error("the stamp stream stops in the middle of a batch, after {offset} bytes")]
    Truncated {
        /// Bytes read.
        offset: u64,
    },
    /// A meta message that does not parse.
    #[error("a meta message from the program does not parse ({detail}): {text}")]
    BadMeta {
        /// serde's message.
        detail: String,
        /// The message, cut short.
        text: String,
    },
    /// Reading the pipe failed.
    #[error("reading the program's stamp channel failed: {0}")]
    Read(String),
}

/// Reads batches from a byte stream (the program's stdout, or a recorded file).
#[derive(Debug)]
pub struct BatchReader<R> {
    source: R,
    offset: u64,
}

fn printable(bytes: &[u8]) -> String {
    let text: String = bytes
        .iter()
        .take(32)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        })
        .collect();
    format!("\"{text}\"")
}

/// Fills `buf` from `source`; `Ok(false)` at a clean end of stream before the first byte.
fn fill(source: &mut impl Read, buf: &mut [u8], offset: u64) -> Result<bool, StreamError> {
    let mut got = 0;
    while got < buf.len() {
        match source.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => {
                return Err(StreamError::Truncated {
                    offset: offset + got as u64,
                });
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(StreamError::Read(e.to_string())),
        }
    }
    Ok(true)
}

impl<R: Read> BatchReader<R> {
    /// A reader at the start of `source`.
    pub fn new(source: R) -> Self {
        Self { source, offset: 0 }
    }

    /// The next batch; `Ok(None)` at the end of the stream.
    pub fn next_batch(&mut self) -> Result<Option<Batch>, StreamError> {
        let mut header = [0u8; HEADER_BYTES];
        if !fill(&mut self.source, &mut header, self.offset)? {
            return Ok(None);
        }
        let kind = u16::from_ne_bytes([header[4], header[5]]);
        let lane = u16::from_ne_bytes([header[6], header[7]]);
        let length = u32::from_ne_bytes([header[8], header[9], header[10], header[11]]) as usize;
        let framed = header[..4] == MAGIC
            && (kind == KIND_STAMPS || kind == KIND_META)
            && length <= MAX_PAYLOAD
            && (kind != KIND_STAMPS || length.is_multiple_of(8));
        if !framed {
            return Err(StreamError::Garbage {
                offset: self.offset,
                sample: printable(&header),
            });
        }
        let mut payload = vec![0u8; length];
        let at = self.offset + HEADER_BYTES as u64;
        if length > 0 && !fill(&mut self.source, &mut payload, at)? {
            return Err(StreamError::Truncated { offset: at });
        }
        self.offset = at + length as u64;
        if kind == KIND_META {
            let meta = serde_json::from_slice(&payload).map_err(|e| StreamError::BadMeta {
                detail: e.to_string(),
                text: String::from_utf8_lossy(&payload)
                    .chars()
                    .take(200)
                    .collect(),
            })?;
            return Ok(Some(Batch::Meta { lane, meta }));
        }
        decode_records(&payload, at).map(|records| Some(Batch::Records { lane, records }))
    }

    /// Bytes read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

/// Decodes a stamps payload (`at`: its offset in the stream, for errors).
fn decode_records(payload: &[u8], at: u64) -> Result<Vec<Record>, StreamError> {
    let values: Vec<f64> = payload
        .chunks_exact(8)
        .map(|c| f64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect();
    let mut records = Vec::with_capacity(values.len());
    let mut i = 0;
    while i < values.len() {
        let value = values[i];
        let bad = || StreamError::Garbage {
            offset: at + 8 * i as u64,
            sample: format!("record value {value}"),
        };
        if value > 0.0 && value.is_finite() {
            records.push(Record::Chunk(value));
            i += 1;
            continue;
        }
        let code = Code::from_wire(-value).ok_or_else(bad)?;
        let (Some(&a), Some(&b), Some(&t)) =
            (values.get(i + 1), values.get(i + 2), values.get(i + 3))
        else {
            return Err(bad());
        };
        if !(t.is_finite() && a.is_finite() && b.is_finite()) {
            return Err(bad());
        }
        records.push(Record::Event { code, a, b, t });
        i += 4;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(kind: u16, lane: u16, payload: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(kind.to_ne_bytes());
        out.extend(lane.to_ne_bytes());
        out.extend((payload.len() as u32).to_ne_bytes());
        out.extend(payload);
        out
    }

    fn doubles(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_ne_bytes()).collect()
    }

    #[test]
    fn reads_stamps_events_and_meta() {
        let mut stream = batch(KIND_META, MAIN_LANE, br#"{"type": "start", "t": 5.0}"#);
        stream.extend(batch(
            KIND_STAMPS,
            1,
            &doubles(&[-f64::from(Code::Compute as u8), 100.0, 0.0, 5.5, 5.6, 5.7]),
        ));
        let mut reader = BatchReader::new(stream.as_slice());
        assert_eq!(
            reader.next_batch().unwrap(),
            Some(Batch::Meta {
                lane: MAIN_LANE,
                meta: Meta::Start {
                    t: 5.0,
                    stop_at: None,
                    forever: Vec::new()
                }
            })
        );
        assert_eq!(
            reader.next_batch().unwrap(),
            Some(Batch::Records {
                lane: 1,
                records: vec![
                    Record::Event {
                        code: Code::Compute,
                        a: 100.0,
                        b: 0.0,
                        t: 5.5
                    },
                    Record::Chunk(5.6),
                    Record::Chunk(5.7)
                ]
            })
        );
        assert_eq!(reader.next_batch().unwrap(), None);
    }

    #[test]
    fn garbage_and_truncation_are_named() {
        let text = b"Traceback (most recent call last):\n";
        let error = BatchReader::new(&text[..]).next_batch().unwrap_err();
        assert!(
            error.to_string().contains("byte 0: \"Traceback (m\""),
            "{error}"
        );
        let whole = batch(KIND_STAMPS, 0, &doubles(&[1.0, 2.0]));
        let error = BatchReader::new(&whole[..whole.len() - 3])
            .next_batch()
            .unwrap_err();
        assert_eq!(error, StreamError::Truncated { offset: 12 + 13 });
        let unknown = batch(KIND_STAMPS, 0, &doubles(&[-99.0, 0.0, 0.0, 1.0]));
        let error = BatchReader::new(unknown.as_slice())
            .next_batch()
            .unwrap_err();
        assert!(error.to_string().contains("-99"), "{error}");
    }

    #[test]
    fn every_code_round_trips() {
        for code in Code::ALL {
            assert_eq!(Code::from_wire(f64::from(code as u8)), Some(code));
            assert!(code.python_name().starts_with("R_"));
        }
        assert_eq!(Code::from_wire(0.0), None);
    }
}
