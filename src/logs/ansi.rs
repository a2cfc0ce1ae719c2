//! Removes terminal escape codes from a line (`stripANSI: true`): CSI sequences (colours,
//! cursor moves: `ESC [ … final`), OSC sequences (titles, links: `ESC ] … BEL` or `ESC ] … ESC \`)
//! character-set selections (`ESC ( B`) and two-byte escapes. Pure.

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;

/// Appends `line` without its escape codes to `out`. Returns false (and appends nothing) when
/// the line has none, so the caller can use the line as it is.
pub(crate) fn strip_into(line: &[u8], out: &mut Vec<u8>) -> bool {
    if !line.contains(&ESC) {
        return false;
    }
    let mut i = 0;
    while i < line.len() {
        if line[i] != ESC {
            let next = line[i..]
                .iter()
                .position(|&b| b == ESC)
                .map_or(line.len(), |p| i + p);
            out.extend_from_slice(&line[i..next]);
            i = next;
            continue;
        }
        i += 1;
        match line.get(i) {
            Some(b'[') => {
                // Parameters and intermediates, then one final byte in 0x40..=0x7e.
                i += 1;
                while i < line.len() && !(0x40..=0x7e).contains(&line[i]) {
                    i += 1;
                }
                i += 1;
            }
            Some(b']') => {
                i += 1;
                while i < line.len() {
                    if line[i] == BEL {
                        i += 1;
                        break;
                    }
                    if line[i] == ESC && line.get(i + 1) == Some(&b'\\') {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
            }
            // nF escapes (`ESC ( B` selects a character set): intermediates in 0x20..=0x2f,
            // then one final byte.
            Some(0x20..=0x2f) => {
                while i < line.len() && (0x20..=0x2f).contains(&line[i]) {
                    i += 1;
                }
                i += 1;
            }
            Some(_) => i += 1,
            None => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_set_selections_leave_nothing_behind() {
        assert_eq!(strip("\x1b(Bplain\x1b)0 text\x1b(B"), "plain text");
    }

    fn strip(s: &str) -> String {
        let mut out = Vec::new();
        if strip_into(s.as_bytes(), &mut out) {
            String::from_utf8(out).unwrap()
        } else {
            s.to_string()
        }
    }

    #[test]
    fn colours_and_cursor_moves_go() {
        assert_eq!(strip("\x1b[31mred\x1b[0m plain"), "red plain");
        assert_eq!(strip("\x1b[1;32;40mbold\x1b[m"), "bold");
        assert_eq!(strip("a\x1b[2Kb\x1b[1Ac"), "abc");
        assert_eq!(strip("\x1b[?25lhidden cursor\x1b[?25h"), "hidden cursor");
    }

    #[test]
    fn osc_titles_and_links_go() {
        assert_eq!(strip("\x1b]0;title\x07text"), "text");
        assert_eq!(strip("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "link");
    }

    #[test]
    fn plain_lines_are_untouched_and_truncated_escapes_end_cleanly() {
        let mut out = Vec::new();
        assert!(!strip_into(b"plain", &mut out));
        assert!(out.is_empty());
        assert_eq!(strip("cut \x1b[31"), "cut ");
        assert_eq!(strip("cut \x1b"), "cut ");
        assert_eq!(
            strip("\x1b(Bx"),
            "x",
            "ESC ( B is one escape, not two bytes"
        );
    }
}
