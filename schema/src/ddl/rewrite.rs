//! A table statement rewritten into what sqlparser 0.64 reads, keeping what the checks need
//! (columns, their types and nullability, unique keys) and dropping what they do not (table
//! options, partitioning, non-unique indexes, storage hints) where sqlparser rejects it.
//! Positions stay true: see [`Edited::original_offset`].

use super::catalog::Catalog;
use super::column_syntax::{column_definition, constraint_kind, key_definition};
use super::edit::{Edited, Edits};
use super::head::Head;
use super::lex::{Token, closing, comma_separated, tokens};

/// What sqlparser gets to read, and what the rewrite took out that still changes a table.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rewritten {
    pub edited: Edited,
    /// `ALTER TABLE ... RENAME {INDEX|KEY} a TO b`, which sqlparser does not read.
    pub renamed_indexes: Vec<(String, String)>,
    /// Nothing is left to parse: every operation of an `ALTER TABLE` was one the checks
    /// do not see (`ENGINE=`, `DISABLE KEYS`, `ADD INDEX`, ...).
    pub nothing_left: bool,
}

pub(crate) fn rewrite(text: &str, head: &Head, catalog: &Catalog) -> Rewritten {
    let tokens = tokens(text);
    let mut edits = Edits::new(text);
    let mut renamed_indexes = Vec::new();
    let mut nothing_left = false;
    match head {
        Head::CreateTable { .. } => create_table(&tokens, &mut edits),
        Head::AlterTable { table } => {
            let columns = |column: &str| {
                table
                    .as_deref()
                    .and_then(|t| catalog.table(t))
                    .is_some_and(|t| t.column(column).is_some())
            };
            nothing_left = !alter_table(&tokens, &mut edits, &columns, &mut renamed_indexes);
        }
        Head::CreateIndex { .. } => {
            // sqlparser gap: index options after the key parts (`ALGORITHM=INPLACE`,
            // `LOCK=NONE`, `COMMENT`, `VISIBLE`, ...).
            if let Some(open) = after_name_following(&tokens, "ON") {
                let close = closing(&tokens, open);
                edits.blank_all(tokens.get(close + 1..).unwrap_or_default());
            }
        }
        Head::DropIndex { .. } => {
            // sqlparser gap: `DROP INDEX i ON t ALGORITHM=... LOCK=...`.
            if let Some(rest) = after_name_following(&tokens, "ON") {
                edits.blank_all(&tokens[rest..]);
            }
        }
        Head::DropTables { .. } | Head::RenameTables { .. } => {}
    }
    Rewritten {
        edited: edits.finish(),
        renamed_indexes,
        nothing_left,
    }
}

/// The index of the token after the (possibly qualified) name at `i`.
fn skip_name(tokens: &[Token<'_>], mut i: usize) -> usize {
    i += 1;
    while tokens.get(i).is_some_and(|t| t.is_punct('.')) {
        i += 2;
    }
    i
}

/// The index of the token after the name that follows the first keyword `word`.
fn after_name_following(tokens: &[Token<'_>], word: &str) -> Option<usize> {
    let at = tokens.iter().position(|t| t.is(word))?;
    Some(skip_name(tokens, at + 1)).filter(|i| *i < tokens.len())
}

fn create_table(tokens: &[Token<'_>], edits: &mut Edits<'_>) {
    let Some(table) = tokens.iter().position(|t| t.is("TABLE")) else {
        return;
    };
    let mut i = table + 1;
    if tokens.get(i).is_some_and(|t| t.is("IF")) {
        i += 3;
    }
    let open = skip_name(tokens, i);
    if !tokens.get(open).is_some_and(|t| t.is_punct('(')) {
        return;
    }
    let close = closing(tokens, open);
    let first = tokens.get(open + 1);
    if first.is_some_and(|t| t.is("LIKE")) {
        // sqlparser gap: `CREATE TABLE t (LIKE s)` (it reads the plain `LIKE s`).
        edits.blank(&tokens[open]);
        edits.blank(&tokens[close]);
        return;
    }
    if first.is_some_and(|t| t.is_any(&["SELECT", "WITH", "TABLE", "VALUES"])) {
        return;
    }
    let inner = tokens.get(open + 1..close).unwrap_or_default();
    for part in comma_separated(inner) {
        let element = &inner[part.clone()];
        match constraint_kind(element) {
            Some(kind)
                if kind.is_any(&["PRIMARY", "UNIQUE", "KEY", "INDEX", "FULLTEXT", "SPATIAL"]) =>
            {
                key_definition(element, edits);
            }
            Some(kind) if kind.is("PERIOD") => {
                // sqlparser gap: MariaDB's `PERIOD FOR SYSTEM_TIME (s, e)` /
                // application-time periods: no column of their own.
                edits.blank_all(element);
                if let Some(comma) = part.start.checked_sub(1).and_then(|c| inner.get(c)) {
                    edits.blank(comma);
                }
            }
            Some(_) => {}
            None => column_definition(element.get(1..).unwrap_or_default(), edits),
        }
    }
    table_options(&tokens[close + 1..], edits);
}

/// The table options and partitioning after the element list, up to an `AS SELECT`.
///
/// sqlparser gap: many table options (`DEFAULT ENCRYPTION='N'`, MariaDB's `PAGE_CHECKSUM=1`,
/// `TRANSACTIONAL=1`, `PAGE_COMPRESSED=1`, `SEQUENCE=1`, `WITH SYSTEM VERSIONING`, ...) and
/// `PARTITION BY` are rejected. None of them changes a column or a key, so all are blanked.
fn table_options(tokens: &[Token<'_>], edits: &mut Edits<'_>) {
    const QUERY: &[&str] = &["SELECT", "AS", "IGNORE", "REPLACE", "TABLE", "VALUES"];
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1);
        if depth == 0 {
            let query = t.is_any(QUERY)
                || (t.is("WITH") && !next.is_some_and(|n| n.is("SYSTEM")))
                || (t.is_punct('(') && next.is_some_and(|n| n.is_any(&["SELECT", "WITH"])));
            if query {
                return;
            }
        }
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
        }
        edits.blank(t);
    }
}

/// Rewrites the operations of an `ALTER TABLE`; whether any is left for sqlparser.
///
/// sqlparser gap: most operations that are not about columns or keys (`ENGINE=`,
/// `CONVERT TO CHARACTER SET`, `DEFAULT CHARSET=`, `COMMENT=`, `ROW_FORMAT=`, `FORCE`,
/// `ALGORITHM=`, `LOCK=`, `DISABLE KEYS` / `ENABLE KEYS`, partition operations), and `ALTER
/// ONLINE` / `ALTER IGNORE`. They are blanked with their commas.
fn alter_table(
    tokens: &[Token<'_>],
    edits: &mut Edits<'_>,
    has_column: &dyn Fn(&str) -> bool,
    renamed_indexes: &mut Vec<(String, String)>,
) -> bool {
    let Some(table) = tokens.iter().position(|t| t.is("TABLE")) else {
        return true;
    };
    edits.blank_all(&tokens[1..table]);
    let start = skip_name(tokens, table + 1);
    let body = tokens.get(start..).unwrap_or_default();
    let parts = comma_separated(body);
    let mut any_kept = false;
    for part in parts {
        let mut op = &body[part.clone()];
        // sqlparser gap: a partitioning clause after the last operation, without a comma.
        if let Some(at) = partition_clause(op) {
            edits.blank_all(&op[at..]);
            op = &op[..at];
        }
        let kept = !op.is_empty() && alter_operation(op, edits, has_column, renamed_indexes);
        if let Some(comma) = part.start.checked_sub(1).and_then(|c| body.get(c))
            && !(kept && any_kept)
        {
            edits.blank(comma);
        }
        if !kept {
            edits.blank_all(op);
        }
        any_kept |= kept;
    }
    any_kept
}

/// Where `PARTITION BY` / `REMOVE PARTITIONING` starts inside an operation (not at its start).
fn partition_clause(op: &[Token<'_>]) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in op.iter().enumerate().skip(1) {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
        } else if depth == 0 {
            let next = op.get(i + 1);
            let by = t.is("PARTITION") && next.is_some_and(|n| n.is("BY"));
            let remove = t.is("REMOVE") && next.is_some_and(|n| n.is("PARTITIONING"));
            if by || remove {
                return Some(i);
            }
        }
    }
    None
}

/// One operation of an `ALTER TABLE`; `false` when it is to be blanked.
fn alter_operation(
    op: &[Token<'_>],
    edits: &mut Edits<'_>,
    has_column: &dyn Fn(&str) -> bool,
    renamed_indexes: &mut Vec<(String, String)>,
) -> bool {
    let first = &op[0];
    let mut rest = &op[1..];
    let word = |rest: &[Token<'_>], i: usize, w: &str| rest.get(i).is_some_and(|t| t.is(w));
    if first.is("ADD") {
        let column_keyword = word(rest, 0, "COLUMN");
        if column_keyword {
            rest = &rest[1..];
        }
        if rest.first().is_some_and(|t| t.is_punct('(')) {
            add_columns(rest, edits);
            return true;
        }
        if word(rest, 0, "IF") && word(rest, 1, "NOT") && word(rest, 2, "EXISTS") {
            // sqlparser gap: MariaDB's `ADD COLUMN IF NOT EXISTS c`: replayed here.
            let name = rest.get(3).and_then(Token::name);
            if name.is_some_and(|n| has_column(&n)) {
                return false;
            }
            edits.blank_all(&rest[..3]);
            rest = &rest[3..];
        } else if !column_keyword {
            match constraint_kind(rest) {
                Some(kind) if kind.is_any(&["PRIMARY", "UNIQUE"]) => {
                    key_definition(rest, edits);
                    return true;
                }
                Some(kind) if kind.is_any(&["FOREIGN", "CHECK"]) => return true,
                // Non-unique indexes do not change what the checks see.
                Some(_) => return false,
                None if word(rest, 0, "PARTITION") || word(rest, 0, "SYSTEM") => return false,
                None => {}
            }
        }
        column_definition(rest.get(1..).unwrap_or_default(), edits);
        return true;
    }
    if first.is("DROP") {
        if word(rest, 0, "KEY") {
            // sqlparser gap: `DROP KEY k`, a synonym of `DROP INDEX k`.
            edits.replace(&rest[0], "INDEX");
            return true;
        }
        // Foreign keys, checks and partitions do not change what the checks see.
        let unseen = ["FOREIGN", "CHECK", "PARTITION", "SYSTEM", "PERIOD"];
        return !rest.first().is_some_and(|t| t.is_any(&unseen));
    }
    if first.is_any(&["MODIFY", "CHANGE"]) {
        if word(rest, 0, "COLUMN") {
            rest = &rest[1..];
        }
        if word(rest, 0, "IF") && word(rest, 1, "EXISTS") {
            // sqlparser gap: MariaDB's `MODIFY/CHANGE COLUMN IF EXISTS c`: replayed here.
            let name = rest.get(2).and_then(Token::name);
            if !name.is_some_and(|n| has_column(&n)) {
                return false;
            }
            edits.blank_all(&rest[..2]);
            rest = &rest[2..];
        }
        let names = if first.is("CHANGE") { 2 } else { 1 };
        column_definition(rest.get(names..).unwrap_or_default(), edits);
        return true;
    }
    if first.is("RENAME") {
        if word(rest, 0, "INDEX") || word(rest, 0, "KEY") {
            // sqlparser gap: `RENAME {INDEX|KEY} a TO b`: replayed here.
            if let (Some(from), Some(to)) = (
                rest.get(1).and_then(Token::name),
                rest.get(3).and_then(Token::name),
            ) {
                renamed_indexes.push((from, to));
            }
            return false;
        }
        if let Some(name) = rest.first().filter(|t| !t.is_any(&["COLUMN", "TO", "AS"])) {
            // sqlparser gap: `RENAME new_name` without `TO` / `AS`.
            edits.insert_before(name, "TO ");
        }
        return true;
    }
    if first.is("ALTER") {
        if rest
            .first()
            .is_some_and(|t| t.is_any(&["INDEX", "KEY", "CHECK", "CONSTRAINT"]))
        {
            // sqlparser gap: `ALTER INDEX i [IN]VISIBLE`, `ALTER CHECK c [NOT] ENFORCED`.
            return false;
        }
        if word(rest, 0, "COLUMN") {
            rest = &rest[1..];
        }
        // sqlparser gap: `ALTER COLUMN c SET [IN]VISIBLE`.
        let visibility = word(rest, 1, "SET")
            && rest
                .get(2)
                .is_some_and(|t| t.is_any(&["VISIBLE", "INVISIBLE"]));
        return !visibility;
    }
    false
}

/// `ADD [COLUMN] (a INT, b INT)`, rewritten as `ADD a INT, ADD COLUMN b INT`.
///
/// sqlparser gap: several columns added in parentheses.
fn add_columns(rest: &[Token<'_>], edits: &mut Edits<'_>) {
    let close = closing(rest, 0);
    let (Some(open_paren), Some(close_paren)) = (rest.first(), rest.get(close)) else {
        return;
    };
    edits.blank(open_paren);
    edits.blank(close_paren);
    let inner = rest.get(1..close).unwrap_or_default();
    for part in comma_separated(inner) {
        if let Some(comma) = part.start.checked_sub(1).and_then(|c| inner.get(c)) {
            edits.replace(comma, ", ADD COLUMN");
        }
        let element = &inner[part];
        column_definition(element.get(1..).unwrap_or_default(), edits);
    }
}
