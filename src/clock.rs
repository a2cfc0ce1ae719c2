//! Wall-clock time as pm reports it: milliseconds since the Unix epoch, as a JS number.

use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}
