//! The one command-line string `CreateProcessW` takes, built from a program and its arguments.
//! Pure (UTF-16 in, UTF-16 out), so it is tested on every host.
//!
//! - Programs: each argument quoted by the rules the MSVC C runtime (and
//!   `CommandLineToArgvW`) use to split it again, so the child sees exactly the arguments given.
//! - Batch files (`.bat`, `.cmd`) run through `cmd.exe`, which splits and expands the line by
//!   its own rules: `%VAR%` is expanded even inside quotes, and a stray `"` ends the quoting, so
//!   an argument can inject commands ("BatBadBut"). Arguments are quoted where cmd would treat a
//!   character specially, and those that cannot be passed faithfully at all (`"`, `%`, line
//!   breaks, NUL) are refused with an error naming them, never passed altered.

use std::path::Path;

const QUOTE: u16 = b'"' as u16;
const BACKSLASH: u16 = b'\\' as u16;

fn wide(s: &str) -> impl Iterator<Item = u16> + '_ {
    s.encode_utf16()
}

fn shown(arg: &[u16]) -> String {
    format!("{:?}", String::from_utf16_lossy(arg))
}

/// Whether `program` is a batch file, which Windows runs through `cmd.exe`.
pub(crate) fn is_batch(program: &Path) -> bool {
    program
        .extension()
        .map(|e| {
            let e = e.to_string_lossy();
            e.eq_ignore_ascii_case("bat") || e.eq_ignore_ascii_case("cmd")
        })
        .unwrap_or(false)
}

/// `program` (quoted; a Windows file name has no `"`) followed by each argument quoted by the
/// MSVC rules.
pub(crate) fn command_line(program: &[u16], args: &[Vec<u16>]) -> Result<Vec<u16>, String> {
    if program.contains(&QUOTE) || program.contains(&0) {
        return Err(format!(
            "the program name {} contains '\"' or NUL",
            shown(program)
        ));
    }
    let mut line = vec![QUOTE];
    line.extend_from_slice(program);
    line.push(QUOTE);
    for (i, arg) in args.iter().enumerate() {
        if arg.contains(&0) {
            return Err(format!("argument {} ({}) contains NUL", i + 1, shown(arg)));
        }
        line.push(b' ' as u16);
        push_msvc_arg(&mut line, arg);
    }
    Ok(line)
}

/// Appends `arg` so that the MSVC runtime reads it back unchanged: no quotes when nothing needs
/// them; otherwise in quotes, with backslashes doubled only where they precede a quote.
fn push_msvc_arg(line: &mut Vec<u16>, arg: &[u16]) {
    let plain = !arg.is_empty()
        && !arg.iter().any(|&c| {
            c == b' ' as u16 || c == b'\t' as u16 || c == b'\n' as u16 || c == 0x0b || c == QUOTE
        });
    if plain {
        line.extend_from_slice(arg);
        return;
    }
    line.push(QUOTE);
    let mut backslashes = 0;
    for &c in arg {
        if c == BACKSLASH {
            backslashes += 1;
            continue;
        }
        // Backslashes before a quote escape it; before anything else they are literal.
        let n = if c == QUOTE {
            2 * backslashes + 1
        } else {
            backslashes
        };
        line.extend(std::iter::repeat_n(BACKSLASH, n));
        line.push(c);
        backslashes = 0;
    }
    // The closing quote must not be escaped by trailing backslashes.
    line.extend(std::iter::repeat_n(BACKSLASH, 2 * backslashes));
    line.push(QUOTE);
}

/// The arguments after `cmd.exe` that run `script` with `args`:
/// `/d /e:ON /v:OFF /s /c ""script" args"`. `/d` skips AutoRun commands from the registry,
/// `/v:OFF` turns off `!VAR!` expansion, `/s` strips exactly the outer pair of quotes.
pub(crate) fn batch_command_line(
    cmd_exe: &[u16],
    script: &[u16],
    args: &[Vec<u16>],
) -> Result<Vec<u16>, String> {
    if let Some(bad) = batch_refusal(script) {
        return Err(format!(
            "the batch file name {} contains {bad}, which cmd.exe cannot be given safely",
            shown(script)
        ));
    }
    let mut line = vec![QUOTE];
    line.extend_from_slice(cmd_exe);
    line.push(QUOTE);
    line.extend(wide(" /d /e:ON /v:OFF /s /c \"\""));
    line.extend_from_slice(script);
    line.push(QUOTE);
    for (i, arg) in args.iter().enumerate() {
        if let Some(bad) = batch_refusal(arg) {
            return Err(format!(
                "argument {} ({}) contains {bad}, which cmd.exe would expand or split; a batch file cannot receive it unchanged (run the program the batch file runs instead)",
                i + 1,
                shown(arg)
            ));
        }
        line.push(b' ' as u16);
        let quote = arg.is_empty() || arg.iter().any(|&c| needs_quotes_for_cmd(c));
        if quote {
            line.push(QUOTE);
        }
        line.extend_from_slice(arg);
        if quote {
            line.push(QUOTE);
        }
    }
    line.push(QUOTE);
    Ok(line)
}

/// What no quoting makes safe on a cmd.exe line: `%` expands variables even inside quotes, a
/// `"` toggles cmd's quoting (everything after it would be parsed as commands), and CR, LF and
/// NUL end the line.
fn batch_refusal(arg: &[u16]) -> Option<&'static str> {
    arg.iter().find_map(|&c| match c {
        0 => Some("NUL"),
        0x0a => Some("a line feed"),
        0x0d => Some("a carriage return"),
        0x22 => Some("'\"'"),
        0x25 => Some("'%'"),
        _ => None,
    })
}

/// Inside quotes cmd treats `& | < > ^ ( )`, spaces, `,` `;` `=` and the rest literally, so any
/// ASCII character outside a known-inert set (and any control character) gets quotes.
fn needs_quotes_for_cmd(c: u16) -> bool {
    match char::from_u32(u32::from(c)) {
        Some(ch) if ch.is_ascii() => !(ch.is_ascii_alphanumeric() || "#$*+-./:?@\\_".contains(ch)),
        Some(ch) => ch.is_control(),
        None => false, // a surrogate: part of a non-ASCII character
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }
    fn s(v: &[u16]) -> String {
        String::from_utf16(v).unwrap()
    }
    fn line(args: &[&str]) -> String {
        let args: Vec<_> = args.iter().map(|a| w(a)).collect();
        s(&command_line(&w(r"C:\Program Files\node.exe"), &args).unwrap())
    }

    /// The MSVC runtime's splitting rules (as documented for `CommandLineToArgvW` and the CRT),
    /// applied to everything after the program name: the inverse `command_line` must satisfy.
    fn msvc_split(args: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut chars = args.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            if chars.peek().is_none() {
                return out;
            }
            let (mut arg, mut quoted) = (String::new(), false);
            while let Some(&c) = chars.peek() {
                if !quoted && (c == ' ' || c == '\t') {
                    break;
                }
                chars.next();
                match c {
                    '\\' => {
                        let mut n = 1;
                        while chars.peek() == Some(&'\\') {
                            chars.next();
                            n += 1;
                        }
                        if chars.peek() == Some(&'"') {
                            arg.extend(std::iter::repeat_n('\\', n / 2));
                            if n % 2 == 1 {
                                arg.push('"');
                                chars.next();
                            }
                        } else {
                            arg.extend(std::iter::repeat_n('\\', n));
                        }
                    }
                    '"' if quoted && chars.peek() == Some(&'"') => {
                        arg.push('"');
                        chars.next();
                    }
                    '"' => quoted = !quoted,
                    c => arg.push(c),
                }
            }
            out.push(arg);
        }
    }

    #[test]
    fn plain_arguments_stay_as_they_are() {
        assert_eq!(
            line(&["app.js", "--port=80"]),
            r#""C:\Program Files\node.exe" app.js --port=80"#
        );
    }

    #[test]
    fn msvc_quoting_round_trips() {
        let cases: &[&str] = &[
            "",
            "a b",
            "tab\there",
            r#"say "hi""#,
            r"C:\dir\",
            r"C:\dir with space\",
            r#"\"#,
            r#"\\"#,
            r#"a\\"b"#,
            r#"a\\\"b"#,
            r"\\server\share\x",
            "ünïcödé ✓",
            "new\nline",
            r#"""#,
        ];
        let all = line(cases);
        let after_program = all.split_once("node.exe\" ").unwrap().1;
        assert_eq!(msvc_split(after_program), cases);
        assert_eq!(line(&[""]), r#""C:\Program Files\node.exe" """#);
        assert_eq!(
            line(&[r"C:\dir\"]),
            r#""C:\Program Files\node.exe" C:\dir\"#
        );
        assert_eq!(
            line(&[r"C:\a dir\"]),
            r#""C:\Program Files\node.exe" "C:\a dir\\""#
        );
    }

    #[test]
    fn nul_and_quoted_program_names_are_refused() {
        let e = command_line(&w("node.exe"), &[w("a\0b")]).unwrap_err();
        assert!(e.contains("argument 1") && e.contains("NUL"), "{e}");
        assert!(command_line(&w("no\"de.exe"), &[]).is_err());
    }

    fn bat(args: &[&str]) -> Result<String, String> {
        let args: Vec<_> = args.iter().map(|a| w(a)).collect();
        batch_command_line(
            &w(r"C:\Windows\system32\cmd.exe"),
            &w(r"C:\My App\run.bat"),
            &args,
        )
        .map(|l| s(&l))
    }

    #[test]
    fn batch_files_run_through_cmd_with_metacharacters_quoted() {
        assert_eq!(
            bat(&["plain", "a b", "x&calc", "", "^|<>()", "k=v", "C:\\dir\\"]).unwrap(),
            r#""C:\Windows\system32\cmd.exe" /d /e:ON /v:OFF /s /c ""C:\My App\run.bat" plain "a b" "x&calc" "" "^|<>()" "k=v" C:\dir\""#
        );
        assert_eq!(bat(&["ünï"]).unwrap().matches("ünï").count(), 1);
        assert!(
            bat(&["ünï"]).unwrap().contains(" ünï\""),
            "non-ASCII text needs no quotes"
        );
    }

    #[test]
    fn batch_arguments_that_cmd_would_expand_or_split_are_refused() {
        for (arg, what) in [
            ("%PATH%", "'%'"),
            ("\" & calc & \"", "'\"'"),
            ("a\nb", "line feed"),
            ("a\rb", "carriage return"),
            ("a\0b", "NUL"),
        ] {
            let e = bat(&["ok", arg]).unwrap_err();
            assert!(e.contains("argument 2") && e.contains(what), "{e}");
        }
        let e = batch_command_line(&w("cmd.exe"), &w(r"C:\100%\x.cmd"), &[]).unwrap_err();
        assert!(e.contains("batch file name"), "{e}");
    }

    #[test]
    fn batch_files_are_recognised_by_extension_in_any_case() {
        assert!(is_batch(Path::new("run.bat")));
        assert!(is_batch(Path::new("RUN.CMD")));
        assert!(!is_batch(Path::new("run.exe")));
        assert!(!is_batch(Path::new("bat")));
    }
}
