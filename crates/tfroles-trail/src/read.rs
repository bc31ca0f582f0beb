//! One log file as a stream of events: gzip or plain, a delivered log
//! (`{"Records": [...]}`) or `aws cloudtrail lookup-events` output
//! (`{"Events": [{"CloudTrailEvent": "..."}]}`), parsed one record at a time
//! so memory stays at one record whatever the file's size.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::Error;
use crate::record::{Event, LookupEvent, RawRecord};

/// The bounds every read keeps. The defaults are far above what CloudTrail
/// delivers (files of a few megabytes, records of at most a few hundred
/// kilobytes) and far below what would hurt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one file as stored (compressed or not).
    pub file_bytes: u64,
    /// Bytes of one file after decompression.
    pub decompressed_bytes: u64,
    /// How many times its stored size a file may decompress to, once past
    /// [`Limits::ratio_floor`] (JSON logs compress 10 to 30 times).
    pub ratio: u64,
    /// Decompressed bytes always allowed, whatever the ratio.
    pub ratio_floor: u64,
    /// Bytes of one record.
    pub record_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: 512 << 20,
            decompressed_bytes: 8 << 30,
            ratio: 200,
            ratio_floor: 64 << 20,
            record_bytes: 4 << 20,
        }
    }
}

/// Why the counting reader stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Total,
    Ratio,
    Record,
}

/// Counts what the decoder hands out and stops at the limits. It sits
/// under the `BufReader` that serde_json reads from, so its count runs at
/// most one buffer ahead of the parser.
struct Budget {
    pulled: Cell<u64>,
    record_start: Cell<u64>,
    stopped: Cell<Option<Stop>>,
    total: u64,
    ratio_cap: u64,
    record: u64,
}

struct Counting<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let b = &self.budget;
        if let Some(stop) = b.stopped.get() {
            return Err(io::Error::other(format!("{stop:?}")));
        }
        let n = self.inner.read(buf)?;
        let pulled = b.pulled.get() + n as u64;
        b.pulled.set(pulled);
        let stop = if pulled > b.total {
            Some(Stop::Total)
        } else if pulled > b.ratio_cap {
            Some(Stop::Ratio)
        } else if pulled - b.record_start.get() > b.record + BUFFER as u64 {
            Some(Stop::Record)
        } else {
            None
        };
        if let Some(stop) = stop {
            b.stopped.set(Some(stop));
            return Err(io::Error::other(format!("{stop:?}")));
        }
        Ok(n)
    }
}

const BUFFER: usize = 64 << 10;

/// What one file held.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FileStats {
    /// Records read.
    pub records: u64,
    /// Records without an `eventSource` or `eventName` (CloudTrail writes
    /// none; counted, not fatal).
    pub malformed: u64,
}

/// Reads one log from `input` (the file's stored bytes, `stored_len` of
/// them), calling `sink` with each event in order. `name` is what errors
/// call it.
///
/// # Errors
///
/// [`Error::Parse`] for bytes that are not (gzipped) JSON of a log,
/// [`Error::NotCloudTrail`] for JSON without `Records` or `Events`,
/// [`Error::TooLarge`] and [`Error::Ratio`] past the [`Limits`],
/// [`Error::Io`] when reading fails.
pub fn read_log<R: Read>(
    input: R,
    stored_len: u64,
    name: &Path,
    limits: &Limits,
    sink: &mut dyn FnMut(Event),
) -> Result<FileStats, Error> {
    let path = name.to_path_buf();
    let (reader, budget) = decoded(input, stored_len, &path, limits)?;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = State {
        sink,
        budget: Rc::clone(&budget),
        stats: FileStats::default(),
        found: false,
        current: None,
        failure: None,
    };
    let result = FileSeed { state: &mut state }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    let record = state.current;
    if let Some(stop) = budget.stopped.get() {
        return Err(stopped(stop, path, stored_len, record, limits));
    }
    if let Some(reason) = state.failure {
        return Err(Error::Parse {
            path,
            line: 0,
            column: 0,
            record,
            reason,
        });
    }
    match result {
        Ok(()) if state.found => Ok(state.stats),
        Ok(()) => Err(Error::NotCloudTrail { path }),
        Err(e) if e.is_io() => Err(Error::Io {
            path,
            reason: e.to_string(),
        }),
        Err(e) => Err(Error::Parse {
            line: e.line(),
            column: e.column(),
            record,
            reason: strip_position(&e),
            path,
        }),
    }
}

/// The JSON text of a log, read through its budget.
type Decoded<'a> = BufReader<Counting<Box<dyn Read + 'a>>>;

/// The log's bytes as JSON text: gunzipped where they start as gzip does,
/// counted against the [`Limits`] through the returned budget.
fn decoded<'a, R: Read + 'a>(
    input: R,
    stored_len: u64,
    path: &Path,
    limits: &Limits,
) -> Result<(Decoded<'a>, Rc<Budget>), Error> {
    if stored_len > limits.file_bytes {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            what: "the file".into(),
            limit: limits.file_bytes,
        });
    }
    let mut stored = BufReader::with_capacity(BUFFER, input.take(limits.file_bytes + 1));
    let gzip = stored
        .fill_buf()
        .map_err(|e| io_error(path, &e))?
        .starts_with(&[0x1f, 0x8b]);
    let budget = Rc::new(Budget {
        pulled: Cell::new(0),
        record_start: Cell::new(0),
        stopped: Cell::new(None),
        total: limits.decompressed_bytes,
        ratio_cap: if gzip {
            limits
                .ratio_floor
                .max(stored_len.saturating_mul(limits.ratio))
        } else {
            u64::MAX
        },
        record: limits.record_bytes,
    });
    let decoded: Box<dyn Read + 'a> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(stored))
    } else {
        Box::new(stored)
    };
    let counting = Counting {
        inner: decoded,
        budget: Rc::clone(&budget),
    };
    Ok((BufReader::with_capacity(BUFFER, counting), budget))
}

/// The error for a read the budget stopped.
fn stopped(
    stop: Stop,
    path: PathBuf,
    stored_len: u64,
    record: Option<usize>,
    limits: &Limits,
) -> Error {
    match stop {
        Stop::Total => Error::TooLarge {
            path,
            what: "the decompressed file".into(),
            limit: limits.decompressed_bytes,
        },
        Stop::Ratio => Error::Ratio {
            path,
            compressed: stored_len,
            ratio: limits.ratio,
        },
        Stop::Record => Error::TooLarge {
            path,
            what: format!("record {}", record.unwrap_or(0)),
            limit: limits.record_bytes,
        },
    }
}

fn io_error(path: &Path, e: &io::Error) -> Error {
    Error::Io {
        path: PathBuf::from(path),
        reason: e.to_string(),
    }
}

/// serde_json's message without its own " at line L column C", which the
/// error shows as `file:L:C`.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

struct State<'a> {
    sink: &'a mut dyn FnMut(Event),
    budget: Rc<Budget>,
    stats: FileStats,
    /// Whether a `Records` or `Events` list was seen.
    found: bool,
    /// The record being read, for messages.
    current: Option<usize>,
    /// A record that is JSON but not a record (set, then the parse stops).
    failure: Option<String>,
}

struct FileSeed<'s, 'a> {
    state: &'s mut State<'a>,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a CloudTrail log: {"Records": [...]}"#)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<KeyName>()? {
            match key {
                KeyName::Records | KeyName::Events => {
                    self.state.found = true;
                    map.next_value_seed(ListSeed {
                        state: self.state,
                        lookup: key == KeyName::Events,
                    })?;
                }
                KeyName::Other => {
                    self.state
                        .budget
                        .record_start
                        .set(self.state.budget.pulled.get());
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

#[derive(PartialEq, Eq)]
enum KeyName {
    Records,
    Events,
    Other,
}

impl<'de> serde::Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyName, E> {
                Ok(match v {
                    "Records" => KeyName::Records,
                    "Events" => KeyName::Events,
                    _ => KeyName::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

struct ListSeed<'s, 'a> {
    state: &'s mut State<'a>,
    lookup: bool,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        use serde::de::Error as _;
        let state = self.state;
        let mut index = 0usize;
        loop {
            state.current = Some(index);
            state.budget.record_start.set(state.budget.pulled.get());
            let raw = if self.lookup {
                let Some(lookup) = seq.next_element::<LookupEvent>()? else {
                    break;
                };
                let Some(text) = lookup.cloud_trail_event else {
                    state.failure = Some("a lookup-events entry without `CloudTrailEvent`".into());
                    return Err(A::Error::custom("no CloudTrailEvent"));
                };
                match serde_json::from_str::<RawRecord>(&text) {
                    Ok(raw) => raw,
                    Err(e) => {
                        state.failure = Some(format!("`CloudTrailEvent` is not a record: {e}"));
                        return Err(A::Error::custom("bad CloudTrailEvent"));
                    }
                }
            } else {
                match seq.next_element::<RawRecord>()? {
                    Some(raw) => raw,
                    None => break,
                }
            };
            state.stats.records += 1;
            match raw.into_event() {
                Ok(event) => (state.sink)(event),
                Err(_) => state.stats.malformed += 1,
            }
            index += 1;
        }
        state.current = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn read(bytes: &[u8], limits: &Limits) -> Result<(FileStats, Vec<Event>), Error> {
        let mut events = Vec::new();
        let stats = read_log(
            bytes,
            bytes.len() as u64,
            Path::new("f.json"),
            limits,
            &mut |e| events.push(e),
        )?;
        Ok((stats, events))
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    const ONE: &str = r#"{"Records":[{"eventSource":"s3.amazonaws.com","eventName":"HeadObject","eventTime":"2026-11-01T10:00:00Z","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111111111111:assumed-role/r/tf-qa","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111111111111:role/r"}}},"recipientAccountId":"111111111111"}]}"#;

    #[test]
    fn plain_and_gzip_read_the_same() {
        let (stats, plain) = read(ONE.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(stats.records, 1);
        let (_, gz) = read(&gzip(ONE.as_bytes()), &Limits::default()).unwrap();
        assert_eq!(plain, gz);
        assert_eq!(plain[0].name, "HeadObject");
        assert_eq!(
            plain[0].principal,
            crate::Principal::Role {
                role_arn: "arn:aws:iam::111111111111:role/r".into(),
                session_name: "tf-qa".into(),
                source_identity: None
            }
        );
    }

    #[test]
    fn lookup_events_carry_the_record_as_a_string() {
        let record: serde_json::Value = serde_json::from_str(ONE).unwrap();
        let text = serde_json::to_string(&record["Records"][0]).unwrap();
        let lookup = serde_json::json!({"Events": [{"EventId": "x", "CloudTrailEvent": text}], "NextToken": "t"});
        let (_, events) = read(lookup.to_string().as_bytes(), &Limits::default()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].source, "s3.amazonaws.com");
    }

    #[test]
    fn not_a_log() {
        let e = read(br#"{"digestStartTime": "x"}"#, &Limits::default()).unwrap_err();
        assert!(matches!(e, Error::NotCloudTrail { .. }), "{e}");
        let e = read(b"[1,2]", &Limits::default()).unwrap_err();
        assert!(matches!(e, Error::Parse { .. }), "{e}");
        let e = read(br#"{"Records":[{"eventSource":1}]}"#, &Limits::default()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("`f.json`:1:29 (record 0): invalid type"),
            "{e}"
        );
        let e = read(&gzip(b"{")[..10], &Limits::default()).unwrap_err();
        assert!(matches!(e, Error::Io { .. } | Error::Parse { .. }), "{e}");
    }

    #[test]
    fn records_without_source_are_counted_not_fatal() {
        let (stats, events) =
            read(br#"{"Records":[{"eventName":"X"},{}]}"#, &Limits::default()).unwrap();
        assert_eq!((stats.records, stats.malformed, events.len()), (2, 2, 0));
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_ratio() {
        // 16 MiB of spaces inside the list compress far more than 20 times.
        let mut text = b"{\"Records\":[".to_vec();
        text.extend(std::iter::repeat_n(b' ', 16 << 20));
        text.extend(b"]}");
        let bomb = gzip(&text);
        let limits = Limits {
            ratio_floor: 1 << 20,
            ratio: 20,
            record_bytes: 64 << 20,
            ..Limits::default()
        };
        let e = read(&bomb, &limits).unwrap_err();
        assert!(matches!(e, Error::Ratio { .. }), "{e}");
    }

    #[test]
    fn a_huge_record_stops_at_the_record_limit() {
        let big = format!(
            r#"{{"Records":[{{"eventSource":"s3.amazonaws.com","eventName":"{}"}}]}}"#,
            "A".repeat(3 << 20)
        );
        let limits = Limits {
            record_bytes: 1 << 20,
            ..Limits::default()
        };
        let e = read(big.as_bytes(), &limits).unwrap_err();
        assert_eq!(
            e.to_string().lines().next().unwrap(),
            "`f.json`: record 0 is over the limit of 1048576 bytes"
        );
        // Many small records add up to more than one record's limit: fine.
        let mut many = String::from(r#"{"Records":["#);
        for i in 0..20_000 {
            if i > 0 {
                many.push(',');
            }
            many.push_str(r#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject","padding":"0123456789012345678901234567890123456789012345678901234567890123456789"}"#);
        }
        many.push_str("]}");
        assert!(many.len() > 2 << 20);
        let (stats, _) = read(many.as_bytes(), &limits).unwrap();
        assert_eq!(stats.records, 20_000);
    }

    #[test]
    fn the_stored_size_is_bounded() {
        let limits = Limits {
            file_bytes: 10,
            ..Limits::default()
        };
        let e = read(ONE.as_bytes(), &limits).unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    }
}
