//! A piped service's stdin and stdout as JS sees them (`pm.stdio()`; the streams are
//! lib/stdio.js's): the pair is an external value that JS holds as long as its streams live
//! (garbage collection closes what an app dropped), and the calls on it read one chunk, write
//! one chunk (each first tried without waiting), end stdin, or close both.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::{Env, JsDeferred};
use serde_json::Value;

use crate::runtime;
use crate::service::stdio::{ReadNow, Stdio};

pub(crate) type Pair = External<Arc<Stdio>>;

type ReadResolver = Box<dyn FnOnce(Env) -> Result<Option<Buffer>> + Send>;

/// The next chunk of stdout (a Buffer), or null at its end.
pub(crate) fn read<'env>(env: &'env Env, pair: &Pair) -> Result<Object<'env>> {
    let (deferred, promise): (JsDeferred<Option<Buffer>, ReadResolver>, _) =
        env.create_deferred()?;
    let stdio = Arc::clone(pair);
    runtime::get().spawn(async move {
        match stdio.read().await {
            Ok(chunk) => deferred.resolve(Box::new(move |_| Ok(chunk.map(Buffer::from)))),
            Err(e) => deferred.reject(Error::from_reason(e.to_string())),
        }
    });
    Ok(promise)
}

/// A chunk of stdout if one is there now, null at its end, undefined otherwise. An error is
/// left for the read that waits (`read`), which rejects with it.
pub(crate) fn read_now(stdio: &Stdio) -> Either3<Buffer, Null, Undefined> {
    match stdio.read_now() {
        Ok(ReadNow::Data(chunk)) => Either3::A(Buffer::from(chunk)),
        Ok(ReadNow::End) => Either3::B(Null),
        Ok(ReadNow::Empty) | Err(_) => Either3::C(()),
    }
}

/// How much of `data` stdin took now. An error is left for the write that waits (`write`),
/// which reports it with its code.
pub(crate) fn write_now(stdio: &Stdio, data: &[u8]) -> i64 {
    // A Buffer's length is a safe integer.
    stdio.write_now(data).map_or(0, |n| n as i64)
}

/// Writes `data` to stdin: `{ ok }`, or `{ error: { code, message } }` with the code Node
/// gives such an error (`EPIPE` once the process is gone).
pub(crate) async fn write(stdio: Arc<Stdio>, data: Vec<u8>) -> Value {
    match stdio.write(&data).await {
        Ok(()) => serde_json::json!({ "ok": null }),
        Err(e) => serde_json::json!({ "error": { "code": io_code(&e), "message": e.to_string() } }),
    }
}

/// Node's name for an I/O error, as a stream error's `code`.
fn io_code(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => "EPIPE",
        std::io::ErrorKind::ConnectionReset => "ECONNRESET",
        _ => "EIO",
    }
}
