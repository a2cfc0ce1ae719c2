//! pm's errors as JS sees them: every error thrown or rejected carries `err.code`
//! (`ERR_PM_OPTION`, …; `crate::error`). A synchronous call throws an `Error` with the code; an
//! asynchronous one settles its promise with `{ ok }` or `{ error: { code, message } }`, which
//! the JS layer (`lib/native-call.js`) turns into a value or a rejection with the same shape.

use napi::bindgen_prelude::*;
use serde_json::{json, Value};

use crate::error::{ErrorKind, PmError};

/// What a call returns or throws: errors carry pm's code. (The exported functions spell it
/// out as `Result<T, &'static str>`: napi-derive recognises a `Result` by its name.)
pub(crate) type JsResult<T> = std::result::Result<T, Error<&'static str>>;

pub(crate) fn thrown(e: PmError) -> Error<&'static str> {
    Error::new(e.code(), e.message)
}

/// An error of napi itself (a conversion that failed): a bug of pm's.
pub(crate) fn internal(e: Error) -> Error<&'static str> {
    Error::new(
        ErrorKind::Internal.code(),
        format!("elife/pm internal error: {}", e.reason),
    )
}

/// How a promise settles: `{ ok: value }` or `{ error: { code, message } }`.
pub(crate) fn settled(outcome: std::result::Result<Value, PmError>) -> Value {
    match outcome {
        Ok(v) => json!({ "ok": v }),
        Err(e) => json!({ "error": { "code": e.code(), "message": e.message } }),
    }
}
