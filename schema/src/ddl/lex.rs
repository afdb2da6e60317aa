//! A small MySQL lexer for one statement: enough to see its shape (which statement it is, where
//! a column definition or a key ends) and to rewrite what sqlparser does not read, never to
//! evaluate it.
//!
//! Tokens keep their byte range in the statement. MySQL's executable comments (`/*!40101 ...
//! */`) are transparent: their content is lexed as code, as sqlparser's MySQL dialect does.
//! Other comments, including MariaDB's `/*M!...*/` (which sqlparser also skips), are skipped.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A keyword, a bare identifier or a number.
    Word,
    /// A `` `quoted` `` identifier.
    Quoted,
    /// A `'string'` or `"string"` literal.
    String,
    /// Any other character: `(`, `)`, `,`, `.`, `=`, ...
    Punct,
}

/// One token of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub kind: Kind,
    /// As written, quotes included.
    pub text: &'a str,
    /// Byte offsets in the statement.
    pub start: usize,
    pub end: usize,
}

impl Token<'_> {
    /// Whether this is the keyword `word` (any case).
    pub fn is(&self, word: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(word)
    }

    /// Whether this is one of the keywords `words`.
    pub fn is_any(&self, words: &[&str]) -> bool {
        words.iter().any(|w| self.is(w))
    }

    /// Whether this is the punctuation `c`.
    pub fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct && self.text.starts_with(c)
    }

    /// The name it spells, if it is an identifier (quoted or not).
    pub fn name(&self) -> Option<String> {
        match self.kind {
            Kind::Word => Some(self.text.to_string()),
            Kind::Quoted => {
                let inner = &self.text[1..self.text.len().saturating_sub(1).max(1)];
                Some(inner.replace("``", "`"))
            }
            Kind::String | Kind::Punct => None,
        }
    }
}

/// The tokens of `text`. Never fails: an unterminated quote or comment runs to the end.
pub(crate) fn tokens(text: &str) -> Vec<Token<'_>> {
    Lexer::new(text).collect()
}

/// The tokens of a text, one at a time (a statement's first words can be read without
/// lexing a large `INSERT` to its end).
pub(crate) struct Lexer<'a> {
    text: &'a str,
    at: usize,
    in_version_comment: bool,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Self {
        Lexer {
            text,
            at: 0,
            in_version_comment: false,
        }
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut i = self.at;
        while i < bytes.len() {
            let b = bytes[i];
            let rest = &bytes[i..];
            let (kind, end) = if b.is_ascii_whitespace() {
                i += 1;
                continue;
            } else if rest.starts_with(b"/*!") {
                // `/*!` then an optional version number: what follows is code.
                i += 3;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                self.in_version_comment = true;
                continue;
            } else if self.in_version_comment && rest.starts_with(b"*/") {
                i += 2;
                self.in_version_comment = false;
                continue;
            } else if rest.starts_with(b"/*") {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
                continue;
            } else if b == b'#'
                || (rest.starts_with(b"--") && rest.get(2).is_none_or(|c| c.is_ascii_whitespace()))
            {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            } else if b == b'`' {
                (Kind::Quoted, quoted_end(bytes, i))
            } else if b == b'\'' || b == b'"' {
                (Kind::String, quoted_end(bytes, i))
            } else if is_word_byte(b) {
                let len = bytes[i..].iter().take_while(|c| is_word_byte(**c)).count();
                (Kind::Word, i + len)
            } else {
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                (Kind::Punct, i + len)
            };
            self.at = end;
            return Some(token(text, kind, i, end));
        }
        self.at = bytes.len();
        None
    }
}

fn token(text: &str, kind: Kind, start: usize, end: usize) -> Token<'_> {
    Token {
        kind,
        text: &text[start..end],
        start,
        end,
    }
}

/// Letters, digits, `_`, `$` and any non-ASCII byte (MySQL identifiers may use them).
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// The offset just past the quote that closes the one at `open`.
fn quoted_end(bytes: &[u8], open: usize) -> usize {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The index of the token that closes the parenthesis opened at `open`, or the last token.
pub(crate) fn closing(tokens: &[Token<'_>], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return i;
            }
        }
    }
    tokens.len().saturating_sub(1)
}

/// Splits `tokens` at the commas outside parentheses: the index ranges between them.
pub(crate) fn comma_separated(tokens: &[Token<'_>]) -> Vec<std::ops::Range<usize>> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
        } else if t.is_punct(',') && depth == 0 {
            parts.push(start..i);
            start = i + 1;
        }
    }
    parts.push(start..tokens.len());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        tokens(sql).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn executable_comments_are_code_and_comments_are_not() {
        assert_eq!(
            texts(
                "/*!50001 CREATE ALGORITHM=UNDEFINED */ /* x */ -- y\n/*!50013 VIEW*/ #z\n`a``b`"
            ),
            ["CREATE", "ALGORITHM", "=", "UNDEFINED", "VIEW", "`a``b`"]
        );
        assert_eq!(texts("/*M!100101 SET x=1 */ a"), ["a"]);
    }

    #[test]
    fn strings_keep_their_escapes() {
        let t = tokens("COMMENT 'it''s \\' (' , \"x\"");
        assert_eq!(t.len(), 4);
        assert_eq!(t[1].kind, Kind::String);
        assert_eq!(t[1].text, "'it''s \\' ('");
        assert_eq!(tokens("`we``ird`")[0].name().as_deref(), Some("we`ird"));
    }

    #[test]
    fn parentheses_and_commas() {
        let t = tokens("(a int, b enum('x,y'), c decimal(5,2)) tail");
        assert_eq!(closing(&t, 0), t.len() - 2);
        let inner = &t[1..t.len() - 2];
        assert_eq!(comma_separated(inner).len(), 3);
    }
}
