//! Reading one options object (`start()`'s, or one nested in it such as `readyWhen`): each
//! getter treats an absent key and `null` alike, checks the kind of value, and says what it
//! expected in an error that names the option by its whole path (`readyWhen.every`). Pure.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::PmError;

/// The longest `stopTimeout`, `restartAt` delay and `restartOk`: a day. Longer is a mistake
/// (seconds taken for ms, or a number that means "never"), and would overflow timers.
pub(crate) const MAX_MILLIS: f64 = 24.0 * 60.0 * 60.0 * 1000.0;
/// A bad option, named in a message for the app (`pm.start: …`).
pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, PmError> {
    Err(PmError::option(format!("pm.start: {}", msg.into())))
}

pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    /// The path of this object's options (`""` at the top, `"readyWhen."` inside it).
    at: String,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(map: &'a Map<String, Value>) -> Self {
        Fields {
            map,
            at: String::new(),
        }
    }

    /// The options of a nested object, named `<key>.<option>` in errors.
    pub(crate) fn nested(&self, key: &str, map: &'a Map<String, Value>) -> Self {
        Fields {
            map,
            at: format!("{}{key}.", self.at),
        }
    }

    /// The whole name of `key`, as errors say it.
    pub(crate) fn name(&self, key: &str) -> String {
        format!("{}{key}", self.at)
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &'a String> {
        self.map.keys()
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn wrong<T>(&self, key: &str, expected: &str, got: &Value) -> Result<T, PmError> {
        err(format!(
            "option \"{}\" must be {expected}, got {}",
            self.name(key),
            describe(got)
        ))
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<&'a str>, PmError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => no_nul(s, &self.name(key)).map(Some),
            Some(v) => self.wrong(key, "a non-empty string", v),
        }
    }

    pub(crate) fn boolean(&self, key: &str) -> Result<Option<bool>, PmError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => self.wrong(key, "a boolean", v),
        }
    }

    pub(crate) fn millis(&self, key: &str) -> Result<Option<Duration>, PmError> {
        self.get(key)
            .map(|v| millis(v, &self.name(key)))
            .transpose()
    }

    /// A whole number >= 0.
    pub(crate) fn whole(&self, key: &str) -> Result<Option<u64>, PmError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.as_f64() {
            Some(f) if f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64 => Ok(Some(f as u64)),
            _ => self.wrong(key, "a whole number >= 0", v),
        }
    }

    /// An array whose items `item` converts; its errors name the index.
    pub(crate) fn array<T>(
        &self,
        key: &str,
        expected: &str,
        item: impl Fn(&Value, &str) -> Result<T, PmError>,
    ) -> Result<Option<Vec<T>>, PmError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| item(v, &format!("{}[{i}]", self.name(key))))
                .collect::<Result<_, _>>()
                .map(Some),
            Some(v) => self.wrong(key, expected, v),
        }
    }
}

/// No path, argument or environment variable can hold a NUL character.
pub(crate) fn no_nul<'s>(s: &'s str, key: &str) -> Result<&'s str, PmError> {
    if s.contains('\0') {
        return err(format!(
            "option \"{key}\" contains a NUL character, which no path, argument or \
             variable can hold: {s:?}"
        ));
    }
    Ok(s)
}

/// A finite number of milliseconds, from 0 to [`MAX_MILLIS`].
pub(crate) fn millis(v: &Value, key: &str) -> Result<Duration, PmError> {
    match v.as_f64() {
        Some(ms) if ms.is_finite() && ms > MAX_MILLIS => err(format!(
            "option \"{key}\" must be at most {MAX_MILLIS} ms (24 hours), got {}",
            describe(v)
        )),
        Some(ms) if ms.is_finite() && ms >= 0.0 => Ok(Duration::from_micros((ms * 1000.0) as u64)),
        _ => err(format!(
            "option \"{key}\" must be a number of milliseconds >= 0, got {}",
            describe(v)
        )),
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() => "an empty string".into(),
        other => type_name(other).into(),
    }
}
