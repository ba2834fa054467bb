//! Shared pieces of the CLI: stdout writing, aligned tables, JSON, times and password input.

use std::io::{BufRead, IsTerminal, Write};

use serde::Serialize;

use super::CliError;

/// Writes one line to stdout (an error, not a panic, when stdout is closed).
pub fn line(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(())
}

/// Writes `value` as pretty JSON to stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    line(&serde_json::to_string_pretty(value)?)
}

/// Renders rows under `headers` in columns aligned by character count, two spaces apart.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let render = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut s = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            s.push_str(cell);
            if i < last {
                let pad = widths
                    .get(i)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(cell.chars().count());
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s.trim_end().to_string()
    };
    let mut out = vec![render(headers.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| render(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

/// Prints a table, or a note when there are no rows.
pub fn print_table(headers: &[&str], rows: &[Vec<String>], empty: &str) -> Result<(), CliError> {
    if rows.is_empty() {
        return line(empty);
    }
    line(&table(headers, rows))
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM:SSZ` (UTC).
pub fn fmt_time(secs: i64) -> String {
    crate::timefmt::second(secs)
}

/// An optional time, or `-`.
pub fn fmt_opt_time(secs: Option<i64>) -> String {
    secs.map(fmt_time).unwrap_or_else(|| "-".into())
}

/// Reads a new password: the first line of stdin with `from_stdin`; otherwise prompted twice when
/// stdin is a terminal; otherwise an error (nothing would answer a prompt).
pub fn read_new_password(from_stdin: bool) -> Result<String, CliError> {
    if from_stdin {
        let mut buf = String::new();
        std::io::stdin().lock().read_line(&mut buf)?;
        return Ok(strip_newline(buf));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Invalid(
            "stdin is not a terminal: pass --password-stdin and write the password to stdin".into(),
        ));
    }
    let first = rpassword::prompt_password("New password: ")?;
    let second = rpassword::prompt_password("Repeat password: ")?;
    if first != second {
        return Err(CliError::Invalid("the passwords do not match".into()));
    }
    Ok(first)
}

/// Drops one trailing `\n` or `\r\n`, nothing else (spaces may belong to the password).
pub fn strip_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    s
}
