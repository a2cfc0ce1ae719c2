//! What the JS layer and its tests check against the Rust side: the constants shared across
//! languages (`crate::contract`) and the API's shapes as this crate has them (option names,
//! the fields of each event and of `list()`'s entries, error codes).

use serde_json::{json, Value};

use crate::contract::{API, CONTROL_CMD, NOT_MAIN_THREAD, PARENT_ENV, PYTHON_ENV};

/// The description `contract()` hands to JS.
pub(crate) fn describe() -> Value {
    let info = serde_json::to_value(crate::service::lifecycle::Lifecycle::sample_info())
        .unwrap_or(Value::Null);
    let events: serde_json::Map<String, Value> = crate::events::Event::samples()
        .into_iter()
        .filter_map(|e| match serde_json::to_value(e) {
            Ok(Value::Object(mut o)) => {
                let tag = o.remove("type")?;
                let fields: Vec<String> = o.keys().cloned().collect();
                Some((tag.as_str()?.to_string(), json!(fields)))
            }
            _ => None,
        })
        .collect();
    json!({
        "constants": {
            "CONTROL_CMD": CONTROL_CMD,
            "PARENT_ENV": PARENT_ENV,
            "PYTHON_ENV": PYTHON_ENV,
            "NOT_MAIN_THREAD": NOT_MAIN_THREAD,
        },
        "api": API,
        "options": crate::start::options::KNOWN_KEYS,
        "events": events,
        "info": info.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
        "errors": crate::error::ErrorKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>(),
    })
}
