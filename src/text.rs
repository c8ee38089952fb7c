//! Text from outside (prompts from history, provider messages, revised
//! prompts) made safe to print: no escape sequences that could move the
//! cursor, retitle the window or write to the clipboard.

use unicode_width::UnicodeWidthStr;

/// Removes ANSI/VT escape sequences (CSI, OSC, DCS...) and other control
/// characters; newlines and tabs become spaces when `single_line`.
pub fn strip_controls(text: &str, single_line: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 control-sequence and string introducers (CSI, OSC, DCS, ...).
            '\u{9b}' => skip_until_final(&mut chars),
            '\u{90}' | '\u{9d}' | '\u{9e}' | '\u{9f}' | '\u{98}' => skip_string(&mut chars),
            '\n' | '\t' if !single_line => out.push(c),
            '\n' | '\t' | '\r' => out.push(' '),
            c if c.is_control() => {}
            // Bidirectional overrides can make text read differently than it is.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => skip_until_final(chars),
        Some(']' | 'P' | '^' | '_' | 'X') => skip_string(chars),
        // Two-character sequences (ESC c, ESC 7...) and charset selections.
        Some('(' | ')' | '*' | '+' | '#' | '%') => {
            chars.next();
        }
        _ => {}
    }
}

/// CSI: parameters and intermediates up to a final byte in `@`..=`~`.
fn skip_until_final(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/...: up to BEL or ST (ESC \ or U+009C).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' if chars.peek() == Some(&'\\') => {
                chars.next();
                break;
            }
            _ => {}
        }
    }
}

/// Display width in terminal cells.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// Cuts `text` to at most `cells` terminal cells, ending with `…` if cut.
pub fn truncate(text: &str, cells: usize) -> String {
    if width(text) <= cells {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > cells {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_removed() {
        assert_eq!(strip_controls("\u{1b}[31mred\u{1b}[0m", true), "red");
        assert_eq!(strip_controls("a\u{1b}]0;pwned title\u{7}b", true), "ab");
        assert_eq!(
            strip_controls("a\u{1b}]52;c;ZXZpbA==\u{1b}\\b", true),
            "ab",
            "clipboard writes"
        );
        assert_eq!(strip_controls("x\u{9b}2Jy", true), "xy");
        assert_eq!(
            strip_controls("bell\u{7} back\u{8}space", true),
            "bell backspace"
        );
        assert_eq!(
            strip_controls("two\nlines\tand\rcr", true),
            "two lines and cr"
        );
        assert_eq!(strip_controls("two\nlines", false), "two\nlines");
        assert_eq!(strip_controls("safe \u{202e}txt.exe", true), "safe txt.exe");
        assert_eq!(strip_controls("café ☕ 猫", true), "café ☕ 猫");
    }

    #[test]
    fn truncation_counts_cells() {
        assert_eq!(truncate("hello", 10), "hello");
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("猫猫猫猫", 5), "猫猫…");
        assert_eq!(width("猫a"), 3);
    }
}
