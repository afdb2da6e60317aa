//! Splits a SQL script into statements, remembering where each starts so that a parse error
//! can name the line of the file, not of the statement.
//!
//! Quotes, backticks and comments are respected; `DELIMITER` lines (as in dumps that define
//! triggers or procedures) change the separator and are not statements themselves.

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece<'a> {
    pub text: &'a str,
    /// 1-based line of its first character.
    pub line: usize,
    /// 1-based column of its first character.
    pub column: usize,
}

pub(crate) fn split(script: &str) -> Vec<Piece<'_>> {
    let bytes = script.as_bytes();
    let mut pieces = Vec::new();
    let mut lines = LineCursor::default();
    let mut delimiter: &str = ";";
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if at_line_start(bytes, i, start)
            && let Some((new_delimiter, end)) = delimiter_command(script, i)
        {
            delimiter = new_delimiter;
            i = end;
            start = end;
            continue;
        }
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => i = skip_quoted(bytes, i, quote),
            b'-' if bytes[i..].starts_with(b"--")
                && bytes.get(i + 2).is_none_or(|b| b.is_ascii_whitespace()) =>
            {
                i = skip_line(bytes, i);
            }
            b'#' => i = skip_line(bytes, i),
            b'/' if bytes[i..].starts_with(b"/*") => {
                i = script[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| i + 2 + end + 2);
            }
            _ if bytes[i..].starts_with(delimiter.as_bytes()) => {
                push(&mut pieces, &mut lines, script, start, i);
                i += delimiter.len();
                start = i;
            }
            _ => i += 1,
        }
    }
    push(&mut pieces, &mut lines, script, start, bytes.len());
    pieces
}

/// Whether only blanks separate `i` from the start of its line (or of the current statement).
fn at_line_start(bytes: &[u8], i: usize, start: usize) -> bool {
    bytes[start..i]
        .iter()
        .rev()
        .take_while(|b| **b != b'\n')
        .all(|b| b.is_ascii_whitespace())
}

/// `DELIMITER //` at `i`: the new delimiter and where the line ends.
fn delimiter_command(script: &str, i: usize) -> Option<(&str, usize)> {
    let line_end = script[i..].find('\n').map_or(script.len(), |n| i + n);
    let line = &script[i..line_end];
    let keyword = line.get(..9)?;
    if !keyword.eq_ignore_ascii_case("delimiter") {
        return None;
    }
    let rest = &line[9..];
    if !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let delimiter = rest.trim();
    (!delimiter.is_empty()).then_some((delimiter, line_end))
}

fn skip_quoted(bytes: &[u8], open: usize, quote: u8) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            b if b == quote => {
                // A doubled quote is an escaped quote.
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_line(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |n| i + n)
}

/// Where the last piece started, so that each line number is counted once, not again from
/// the top of the file for every statement (a dump has many).
#[derive(Default)]
struct LineCursor {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl LineCursor {
    /// The 1-based line and column (in characters) of `offset`, which is not before the
    /// previous one asked for.
    fn at(&mut self, script: &str, offset: usize) -> (usize, usize) {
        let skipped = &script[self.offset..offset];
        self.line += skipped.matches('\n').count();
        if let Some(last) = skipped.rfind('\n') {
            self.line_start = self.offset + last + 1;
        }
        self.offset = offset;
        let column = script[self.line_start..offset].chars().count() + 1;
        (self.line + 1, column)
    }
}

/// Adds `script[start..end]` unless it holds only blanks and comments.
fn push<'a>(
    pieces: &mut Vec<Piece<'a>>,
    lines: &mut LineCursor,
    script: &'a str,
    start: usize,
    end: usize,
) {
    let text = &script[start..end];
    let Some(offset) = first_code(text) else {
        return;
    };
    let begin = start + offset;
    let (line, column) = lines.at(script, begin);
    pieces.push(Piece {
        text: script[begin..end].trim_end(),
        line,
        column,
    });
}

/// The offset of the first character that is neither blank nor inside a comment. MySQL's
/// executable comments (`/*!40101 ... */`) are code.
fn first_code(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b if b.is_ascii_whitespace() => i += 1,
            // A byte-order mark, as some editors write at the top of a file.
            0xEF if text[i..].starts_with('\u{feff}') => i += 3,
            b'#' => i = skip_line(bytes, i),
            b'-' if bytes[i..].starts_with(b"--")
                && bytes.get(i + 2).is_none_or(|b| b.is_ascii_whitespace()) =>
            {
                i = skip_line(bytes, i);
            }
            b'/' if bytes[i..].starts_with(b"/*") && !bytes[i..].starts_with(b"/*!") => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| i + 2 + end + 2);
            }
            _ => return Some(i),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(script: &str) -> Vec<(&str, usize, usize)> {
        split(script)
            .into_iter()
            .map(|p| (p.text, p.line, p.column))
            .collect()
    }

    #[test]
    fn statements_with_positions() {
        let script = "-- header\nCREATE TABLE a (x INT);\n\n  DROP TABLE b ;SELECT ';';";
        assert_eq!(
            texts(script),
            vec![
                ("CREATE TABLE a (x INT)", 2, 1),
                ("DROP TABLE b", 4, 3),
                ("SELECT ';'", 4, 17),
            ]
        );
    }

    #[test]
    fn comments_and_quotes_hide_semicolons() {
        let script = "/* a; b */ CREATE TABLE `x;y` (c VARCHAR(3) COMMENT 'it''s; fine'); # z;\n";
        let pieces = texts(script);
        assert_eq!(pieces.len(), 1);
        assert!(pieces[0].0.starts_with("CREATE TABLE `x;y`"));
    }

    #[test]
    fn delimiter_blocks() {
        let script = "DELIMITER //\nCREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN SET @x = 1; END//\nDELIMITER ;\nDROP TABLE a;";
        let pieces = texts(script);
        assert_eq!(pieces.len(), 2);
        assert!(pieces[0].0.ends_with("END"));
        assert_eq!(pieces[1], ("DROP TABLE a", 4, 1));
    }

    #[test]
    fn executable_comments_are_statements() {
        assert_eq!(
            texts("/*!40101 SET NAMES utf8mb4 */;"),
            vec![("/*!40101 SET NAMES utf8mb4 */", 1, 1)]
        );
    }
}
