//! Node's IPC wire format in `json` serialization mode, as `child_process.fork` speaks it: one
//! `JSON.stringify(message)` per line. Pure framing and pm's own control messages; the socket
//! itself lives in `channel.rs`.
//!
//! Messages whose `cmd` starts with `NODE_` are Node's internal ones: a child sees them as
//! `internalMessage`, never as `message`, so pm's control messages do not reach an app's own
//! `process.on('message')` listeners, and listening for them does not keep the child alive.

use serde_json::{json, Value};

/// The `cmd` of every pm control message, both ways.
pub(crate) use crate::contract::CONTROL_CMD;

/// The longest message kept; a longer one is dropped, so a child cannot make the main process
/// buffer without bound.
pub(crate) const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// What a child said, as far as pm cares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FromChild {
    /// The child registered `onstopping` handlers: ask it to stop over the channel, not with
    /// a signal.
    HandlesStop,
    /// The child said it is ready (`ready()` in the service).
    Ready,
    /// A message for the app (`process.send` in the service).
    Message(Value),
}

/// The polite stop request sent to a service that handles it.
pub(crate) fn stop_request() -> Vec<u8> {
    encode(&json!({ "cmd": CONTROL_CMD, "type": "stop" }))
}

pub(crate) fn encode(message: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec(message).expect("a JSON value always serializes");
    out.push(b'\n');
    out
}

/// Reassembles messages from socket reads.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    buf: Vec<u8>,
    /// Set while skipping the rest of an oversized message.
    skipping: bool,
}

impl Decoder {
    /// Feeds bytes read from the channel; `emit` gets each whole message. Lines that are not
    /// JSON, and Node's other internal messages, are skipped.
    pub(crate) fn push(&mut self, mut data: &[u8], mut emit: impl FnMut(FromChild)) {
        while let Some(i) = data.iter().position(|&b| b == b'\n') {
            if self.skipping {
                self.skipping = false;
            } else if self.buf.is_empty() {
                classify(&data[..i], &mut emit);
            } else {
                self.buf.extend_from_slice(&data[..i]);
                classify(&self.buf, &mut emit);
            }
            self.buf.clear();
            data = &data[i + 1..];
        }
        if self.skipping {
            return;
        }
        if self.buf.len() + data.len() > MAX_MESSAGE {
            self.buf = Vec::new();
            self.skipping = true;
        } else {
            self.buf.extend_from_slice(data);
        }
    }
}

fn classify(line: &[u8], emit: &mut impl FnMut(FromChild)) {
    let Ok(value) = serde_json::from_slice::<Value>(line) else {
        return;
    };
    match value.get("cmd").and_then(Value::as_str) {
        Some(CONTROL_CMD) => match value.get("type").and_then(Value::as_str) {
            Some("onstopping") => emit(FromChild::HandlesStop),
            Some("ready") => emit(FromChild::Ready),
            _ => {}
        },
        Some(cmd) if cmd.starts_with("NODE_") => {}
        _ => emit(FromChild::Message(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]]) -> Vec<FromChild> {
        let mut d = Decoder::default();
        let mut out = Vec::new();
        for c in chunks {
            d.push(c, |m| out.push(m));
        }
        out
    }

    #[test]
    fn the_stop_request_is_one_json_line() {
        let line = stop_request();
        assert_eq!(line.last(), Some(&b'\n'));
        let v: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v, json!({"cmd": "NODE_ELIFE_PM", "type": "stop"}));
    }

    #[test]
    fn messages_split_across_reads_are_reassembled() {
        let out = decode(&[
            b"{\"a\":",
            b"1}\n{\"cmd\":\"NODE_ELIFE_PM\",\"type\":\"onst",
            b"opping\"}\n",
        ]);
        assert_eq!(
            out,
            vec![FromChild::Message(json!({"a": 1})), FromChild::HandlesStop]
        );
    }

    #[test]
    fn node_internal_messages_and_garbage_are_skipped() {
        let out = decode(&[b"{\"cmd\":\"NODE_HANDLE_ACK\"}\nnot json\n\"hi\"\n"]);
        assert_eq!(out, vec![FromChild::Message(json!("hi"))]);
    }

    #[test]
    fn an_oversized_message_is_dropped_and_the_stream_recovers() {
        let mut d = Decoder::default();
        let mut out = Vec::new();
        let big = vec![b'x'; MAX_MESSAGE / 2 + 1];
        d.push(&big, |m| out.push(m));
        d.push(&big, |m| out.push(m));
        assert!(d.buf.is_empty());
        d.push(b"tail\n1\n", |m| out.push(m));
        assert_eq!(out, vec![FromChild::Message(json!(1))]);
    }
}
