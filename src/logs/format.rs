//! How a log line looks. Text (the default), one per line, stderr marked `err:`:
//!
//! `2026-11-26T15:33:32.123Z name[pid] out: text`
//!
//! or JSON lines, for machines:
//!
//! `{"time":"2026-11-26T15:33:32.123Z","name":"name","pid":123,"stream":"out","line":"text"}`
//!
//! Pure.

/// Which of a service's streams a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Stream::Stdout => "out",
            Stream::Stderr => "err",
        }
    }
}

/// The `logFormat` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// Writes lines of one stream of one process in the chosen format.
#[derive(Debug, Clone)]
pub(crate) struct LineFormat {
    format: Format,
    /// Text: ` name[pid] out: `. JSON: `","name":"…","pid":…,"stream":"out","line":`.
    middle: Vec<u8>,
}

impl LineFormat {
    pub(crate) fn new(format: Format, name: &str, pid: u32, stream: Stream) -> Self {
        let middle = match format {
            Format::Text => format!(" {name}[{pid}] {}: ", stream.tag()),
            Format::Json => format!(
                "\",\"name\":{},\"pid\":{pid},\"stream\":\"{}\",\"line\":",
                serde_json::Value::from(name),
                stream.tag()
            ),
        };
        LineFormat {
            format,
            middle: middle.into_bytes(),
        }
    }

    /// Appends one whole line, newline included, to `out`.
    pub(crate) fn write(&self, out: &mut Vec<u8>, stamp: &Timestamp, line: &[u8]) {
        match self.format {
            Format::Text => {
                out.extend_from_slice(&stamp.0);
                out.extend_from_slice(&self.middle);
                out.extend_from_slice(line);
            }
            Format::Json => {
                out.extend_from_slice(b"{\"time\":\"");
                out.extend_from_slice(&stamp.0);
                out.extend_from_slice(&self.middle);
                json_string(out, line);
                out.push(b'}');
            }
        }
        out.push(b'\n');
    }

    /// Bytes one line adds besides its text (at least).
    pub(crate) fn overhead(&self) -> usize {
        TIMESTAMP_LEN + self.middle.len() + 12
    }
}

/// Appends `bytes` as a JSON string; invalid UTF-8 becomes U+FFFD.
fn json_string(out: &mut Vec<u8>, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    out.push(b'"');
    for (i, c) in text.char_indices() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c => out.extend_from_slice(&text.as_bytes()[i..i + c.len_utf8()]),
        }
    }
    out.push(b'"');
}

const TIMESTAMP_LEN: usize = 24;

/// An ISO 8601 UTC time with milliseconds: `2026-11-26T15:33:32.123Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp([u8; TIMESTAMP_LEN]);

impl Timestamp {
    pub(crate) fn now() -> Self {
        Timestamp::from_unix_millis(crate::clock::now_ms() as i64)
    }

    pub(crate) fn from_unix_millis(ms: i64) -> Self {
        let secs = ms.div_euclid(1000);
        let milli = ms.rem_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let s = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        );
        let mut out = [b'0'; TIMESTAMP_LEN];
        out.copy_from_slice(&s.as_bytes()[..TIMESTAMP_LEN]);
        Timestamp(out)
    }

    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII")
    }

    /// ms since the Unix epoch of a time written as above; `None` if it is not one.
    pub(crate) fn parse(s: &str) -> Option<f64> {
        let b = s.as_bytes();
        if b.len() != TIMESTAMP_LEN || &b[4..5] != b"-" || b[10] != b'T' || b[23] != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, min, sec, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        let days = days_from_civil(y, m as u32, d as u32);
        Some(((days * 86_400 + h * 3600 + min * 60 + sec) * 1000 + ms) as f64)
    }
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// One line read back from a log, of the service labelled as asked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub(crate) pid: u32,
    pub(crate) stream: Stream,
    pub(crate) text: String,
    /// ms since the Unix epoch.
    pub(crate) time: f64,
}

/// A line of a log as pm wrote it, if it is one of the service labelled `label` (a shared log
/// holds other services' lines too).
pub(crate) fn parse_line(format: Format, label: &str, line: &[u8]) -> Option<Parsed> {
    match format {
        Format::Text => {
            // `<time> <label>[<pid>] <out|err>: <text>`; the label is known, so a name with
            // spaces or brackets reads back too.
            // Bytes that are not UTF-8 (a Latin-1 service, a 64 KiB piece that cut a
            // character) read back as U+FFFD, as 'log' events and lastLines show them: the
            // line is not lost.
            let line = String::from_utf8_lossy(line);
            let (time, rest) = line.split_at_checked(TIMESTAMP_LEN)?;
            let rest = rest
                .strip_prefix(' ')?
                .strip_prefix(label)?
                .strip_prefix('[')?;
            let (pid, rest) = rest.split_once("] ")?;
            let (stream, text) = if let Some(t) = rest.strip_prefix("out: ") {
                (Stream::Stdout, t)
            } else {
                (Stream::Stderr, rest.strip_prefix("err: ")?)
            };
            Some(Parsed {
                pid: pid.parse().ok()?,
                stream,
                text: text.to_string(),
                time: Timestamp::parse(time)?,
            })
        }
        Format::Json => {
            let v: serde_json::Value = serde_json::from_slice(line).ok()?;
            if v.get("name")?.as_str()? != label {
                return None;
            }
            Some(Parsed {
                pid: u32::try_from(v.get("pid")?.as_u64()?).ok()?,
                stream: match v.get("stream")?.as_str()? {
                    "out" => Stream::Stdout,
                    "err" => Stream::Stderr,
                    _ => return None,
                },
                text: v.get("line")?.as_str()?.to_string(),
                time: Timestamp::parse(v.get("time")?.as_str()?)?,
            })
        }
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601_utc_with_millis() {
        assert_eq!(
            Timestamp::from_unix_millis(0).as_str(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_unix_millis(1_795_707_212_123).as_str(),
            "2026-11-26T15:33:32.123Z"
        );
        // A leap day, and the end of a century year.
        assert_eq!(
            Timestamp::from_unix_millis(951_782_400_000).as_str(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_unix_millis(4_107_542_399_999).as_str(),
            "2100-02-28T23:59:59.999Z"
        );
    }

    #[test]
    fn a_text_line_has_time_name_pid_stream_and_text() {
        let mut out = Vec::new();
        let f = LineFormat::new(Format::Text, "svc", 7, Stream::Stderr);
        f.write(&mut out, &Timestamp::from_unix_millis(0), b"boom");
        assert_eq!(out, b"1970-01-01T00:00:00.000Z svc[7] err: boom\n");
    }

    #[test]
    fn a_json_line_is_one_valid_object() {
        let mut out = Vec::new();
        let f = LineFormat::new(Format::Json, "a \"b\"", 7, Stream::Stdout);
        f.write(
            &mut out,
            &Timestamp::from_unix_millis(0),
            b"tab\there \"q\" \\ \x01 \xff \xc3\xa9",
        );
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "time": "1970-01-01T00:00:00.000Z", "name": "a \"b\"", "pid": 7,
                "stream": "out", "line": "tab\there \"q\" \\ \u{1} \u{fffd} é"
            })
        );
    }

    #[test]
    fn timestamps_read_back() {
        for ms in [0i64, 1_764_171_212_123, 951_782_400_000, 4_102_444_799_999] {
            let t = Timestamp::from_unix_millis(ms);
            assert_eq!(
                Timestamp::parse(t.as_str()),
                Some(ms as f64),
                "{}",
                t.as_str()
            );
        }
        assert_eq!(Timestamp::parse("2026-13-01T00:00:00.000Z"), None);
        assert_eq!(Timestamp::parse("nope"), None);
    }

    #[test]
    fn lines_read_back_in_both_formats_and_only_for_their_label() {
        let stamp = Timestamp::from_unix_millis(1_764_171_212_123);
        for format in [Format::Text, Format::Json] {
            let mut out = Vec::new();
            LineFormat::new(format, "my svc [2]", 42, Stream::Stderr).write(
                &mut out,
                &stamp,
                b"boom: \"x\" ] out: y",
            );
            let line = out.strip_suffix(b"\n").unwrap_or(&out);
            let got = parse_line(format, "my svc [2]", line).expect("reads back");
            assert_eq!(
                got,
                Parsed {
                    pid: 42,
                    stream: Stream::Stderr,
                    text: "boom: \"x\" ] out: y".into(),
                    time: 1_764_171_212_123.0
                }
            );
            assert_eq!(parse_line(format, "other", line), None);
        }
    }

    #[test]
    fn a_line_that_is_not_utf8_reads_back_with_replacement_characters() {
        let stamp = Timestamp::from_unix_millis(1_764_171_212_123);
        for format in [Format::Text, Format::Json] {
            let mut out = Vec::new();
            LineFormat::new(format, "svc", 7, Stream::Stdout).write(&mut out, &stamp, b"caf\xe9");
            let line = out.strip_suffix(b"\n").unwrap_or(&out);
            let got = parse_line(format, "svc", line).expect("reads back");
            assert_eq!(got.text, "caf\u{fffd}");
        }
    }
}
