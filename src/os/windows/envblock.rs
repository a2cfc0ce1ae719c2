//! A child's environment as `CreateProcessW` takes it (`CREATE_UNICODE_ENVIRONMENT`): the
//! parent's variables with the launch's removals and settings applied, as one block of
//! `NAME=value\0` strings ending in an extra `\0`, sorted by name as Windows keeps it.
//! Pure (UTF-16), so it is tested on every host.
//!
//! Windows variable names are case-insensitive: `Path` and `PATH` are one variable, so removing
//! or setting either replaces the other; the spelling of the first one seen is kept.

use std::collections::BTreeMap;

/// The name as Windows compares it. Case-folding by Unicode upper case is what the system's
/// `RtlCompareUnicodeString(…, TRUE)` does for every name pm will meet.
fn key(name: &[u16]) -> String {
    String::from_utf16_lossy(name).to_uppercase()
}

/// The child's variables: `parent` with `remove` taken out and `set` applied in order (later
/// wins), keyed case-insensitively.
pub(crate) fn merge<I>(
    parent: I,
    remove: &[String],
    set: &[(String, String)],
) -> Vec<(Vec<u16>, Vec<u16>)>
where
    I: IntoIterator<Item = (Vec<u16>, Vec<u16>)>,
{
    let mut vars: BTreeMap<String, (Vec<u16>, Vec<u16>)> = BTreeMap::new();
    for (name, value) in parent {
        vars.entry(key(&name)).or_insert((name, value));
    }
    for name in remove {
        vars.remove(&key(&name.encode_utf16().collect::<Vec<_>>()));
    }
    for (name, value) in set {
        let name: Vec<u16> = name.encode_utf16().collect();
        let value: Vec<u16> = value.encode_utf16().collect();
        vars.entry(key(&name))
            .and_modify(|e| e.1 = value.clone())
            .or_insert((name, value));
    }
    vars.into_values().collect()
}

/// The block. A name may start with `=` (the hidden per-drive directories such as `=C:`) but
/// contain no other `=`; neither name nor value may contain NUL.
pub(crate) fn block(vars: &[(Vec<u16>, Vec<u16>)]) -> Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for (name, value) in vars {
        let shown = String::from_utf16_lossy(name);
        if name.is_empty() || name[1..].contains(&(b'=' as u16)) || name.contains(&0) {
            return Err(format!(
                "environment variable name {shown:?} is empty or contains '=' or NUL"
            ));
        }
        if value.contains(&0) {
            return Err(format!("environment variable {shown} contains NUL"));
        }
        out.extend_from_slice(name);
        out.push(b'=' as u16);
        out.extend_from_slice(value);
        out.push(0);
    }
    if out.is_empty() {
        out.push(0);
    }
    out.push(0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }
    fn parent(vars: &[(&str, &str)]) -> Vec<(Vec<u16>, Vec<u16>)> {
        vars.iter().map(|(k, v)| (w(k), w(v))).collect()
    }
    fn text(vars: &[(Vec<u16>, Vec<u16>)]) -> Vec<String> {
        vars.iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    String::from_utf16_lossy(k),
                    String::from_utf16_lossy(v)
                )
            })
            .collect()
    }

    #[test]
    fn names_are_one_variable_whatever_their_case() {
        let p = parent(&[("Path", r"C:\bin"), ("ComSpec", "cmd"), ("Temp", r"C:\t")]);
        let set = vec![("PATH".to_string(), r"D:\x;C:\bin".to_string())];
        let remove = vec!["COMSPEC".to_string()];
        assert_eq!(
            text(&merge(p, &remove, &set)),
            [r"Path=D:\x;C:\bin", r"Temp=C:\t"]
        );
    }

    #[test]
    fn settings_apply_in_order_and_add_new_names_sorted() {
        let p = parent(&[("zed", "1"), ("Alpha", "2")]);
        let set = vec![
            ("NODE_CHANNEL_FD".to_string(), "3".to_string()),
            ("node_channel_fd".to_string(), "4".to_string()),
        ];
        assert_eq!(
            text(&merge(p, &[], &set)),
            ["Alpha=2", "NODE_CHANNEL_FD=4", "zed=1"]
        );
    }

    #[test]
    fn a_removed_then_set_variable_is_set() {
        let p = parent(&[("ELECTRON_RUN_AS_NODE", "1")]);
        let remove = vec!["electron_run_as_node".to_string()];
        assert!(merge(p.clone(), &remove, &[]).is_empty());
        let set = vec![("ELECTRON_RUN_AS_NODE".to_string(), "1".to_string())];
        assert_eq!(text(&merge(p, &remove, &set)), ["ELECTRON_RUN_AS_NODE=1"]);
    }

    #[test]
    fn the_block_is_nul_separated_and_double_nul_terminated() {
        let vars = parent(&[("=C:", r"C:\"), ("A", "1"), ("B", "")]);
        assert_eq!(block(&vars).unwrap(), w("=C:=C:\\\0A=1\0B=\0\0"));
        assert_eq!(block(&[]).unwrap(), vec![0, 0]);
    }

    #[test]
    fn bad_names_and_values_are_refused() {
        assert!(block(&parent(&[("A=B", "1")]))
            .unwrap_err()
            .contains("\"A=B\""));
        assert!(block(&parent(&[("", "1")])).is_err());
        assert!(block(&parent(&[("A", "x\0y")]))
            .unwrap_err()
            .contains("A contains NUL"));
    }
}
