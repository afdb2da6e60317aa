//! Text edits on one statement that keep error positions true: a blanked token becomes spaces
//! (its newlines kept), and an offset in the edited text maps back to the original.

use super::lex::Token;

/// A statement as rewritten for sqlparser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Edited {
    pub text: String,
    /// The replacements made, by original range, in order.
    edits: Vec<Edit>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    start: usize,
    end: usize,
    with: String,
}

impl Edited {
    /// The offset in the original statement of `offset` in the edited text. An offset inside
    /// replaced text maps to the start of what it replaced.
    pub fn original_offset(&self, offset: usize) -> usize {
        let mut shift: isize = 0;
        for edit in &self.edits {
            let new_start = edit.start.saturating_add_signed(shift);
            if offset < new_start {
                break;
            }
            if offset < new_start + edit.with.len() {
                return edit.start;
            }
            shift += edit.with.len() as isize - (edit.end - edit.start) as isize;
        }
        offset.saturating_add_signed(-shift)
    }
}

/// Edits collected on a statement, applied at the end.
#[derive(Debug)]
pub(crate) struct Edits<'a> {
    text: &'a str,
    edits: Vec<Edit>,
}

impl<'a> Edits<'a> {
    pub fn new(text: &'a str) -> Self {
        Edits {
            text,
            edits: Vec::new(),
        }
    }

    /// Replaces `token` by blanks.
    pub fn blank(&mut self, token: &Token<'_>) {
        let with = token
            .text
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect::<String>();
        self.push(token.start, token.end, with);
    }

    /// Replaces each of `tokens` by blanks (comments between them stay as they are, so an
    /// executable comment's `/*!` and `*/` keep matching).
    pub fn blank_all(&mut self, tokens: &[Token<'_>]) {
        for token in tokens {
            self.blank(token);
        }
    }

    /// Replaces `token` by `with`.
    pub fn replace(&mut self, token: &Token<'_>, with: &str) {
        // Padding a shorter replacement keeps every later column where it was.
        let padded = if with.len() < token.text.len() && !token.text.contains('\n') {
            format!("{with:<width$}", width = token.text.len())
        } else {
            with.to_string()
        };
        self.push(token.start, token.end, padded);
    }

    /// Inserts `text` just before `token`.
    pub fn insert_before(&mut self, token: &Token<'_>, text: &str) {
        self.push(token.start, token.start, text.to_string());
    }

    fn push(&mut self, start: usize, end: usize, with: String) {
        self.edits.push(Edit { start, end, with });
    }

    /// The edited text; of two overlapping edits the first made wins.
    pub fn finish(mut self) -> Edited {
        self.edits.sort_by_key(|e| (e.start, e.end));
        let mut kept: Vec<Edit> = Vec::with_capacity(self.edits.len());
        for edit in self.edits {
            let overlaps = kept.last().is_some_and(|last| {
                edit.start < last.end || (edit.start == last.start && edit.end == last.end)
            });
            if !overlaps {
                kept.push(edit);
            }
        }
        let mut text = String::with_capacity(self.text.len());
        let mut at = 0;
        for edit in &kept {
            text.push_str(&self.text[at..edit.start]);
            text.push_str(&edit.with);
            at = edit.end;
        }
        text.push_str(&self.text[at..]);
        Edited { text, edits: kept }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::tokens;
    use super::*;

    #[test]
    fn offsets_map_back_through_replacements() {
        let sql = "a CHARSET x BINARY y";
        let t = tokens(sql);
        let mut edits = Edits::new(sql);
        edits.replace(&t[1], "CHARACTER SET");
        edits.blank(&t[3]);
        let edited = edits.finish();
        assert_eq!(edited.text, "a CHARACTER SET x        y");
        let y = edited.text.find('y').unwrap_or_default();
        assert_eq!(edited.original_offset(y), sql.find('y').unwrap_or_default());
        assert_eq!(edited.original_offset(0), 0);
        assert_eq!(edited.original_offset(5), 2);
    }

    #[test]
    fn shorter_replacements_are_padded() {
        let sql = "x PERSISTENT, y";
        let t = tokens(sql);
        let mut edits = Edits::new(sql);
        edits.replace(&t[1], "STORED");
        let edited = edits.finish();
        assert_eq!(edited.text, "x STORED    , y");
        assert_eq!(edited.original_offset(14), 14);
    }
}
