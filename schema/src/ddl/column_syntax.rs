//! Workarounds inside one column definition or key definition: MySQL/MariaDB syntax that
//! sqlparser 0.64 (MySQL dialect) rejects, rewritten into what it reads with the same meaning
//! for the checks. Each rule names the construct, for an upstream report.

use super::edit::Edits;
use super::lex::Token;

/// Types whose values are characters: the `BINARY`, `ASCII` and `UNICODE` attributes apply.
const CHARACTER_TYPES: &[&str] = &[
    "CHAR",
    "CHARACTER",
    "VARCHAR",
    "NCHAR",
    "NVARCHAR",
    "TINYTEXT",
    "TEXT",
    "MEDIUMTEXT",
    "LONGTEXT",
    "LONG",
    "ENUM",
    "SET",
];

/// A column definition after its name: the type, then its attributes.
pub(crate) fn column_definition(tokens: &[Token<'_>], edits: &mut Edits<'_>) {
    let mut i = 0;
    // sqlparser gap: `NATIONAL CHAR(n)` / `NATIONAL VARCHAR(n)` (the national character set,
    // utf8); the values are characters either way.
    if tokens.first().is_some_and(|t| t.is("NATIONAL")) {
        edits.blank(&tokens[0]);
        i = 1;
    }
    let Some(ty) = tokens.get(i) else {
        return;
    };
    let next = tokens.get(i + 1);
    // sqlparser gap: `LONG VARCHAR` / `LONG VARBINARY`, MySQL's old names of MEDIUMTEXT and
    // MEDIUMBLOB.
    if ty.is("LONG")
        && let Some(next) = next.filter(|n| n.is_any(&["VARCHAR", "VARBINARY"]))
    {
        let with = if next.is("VARCHAR") {
            "MEDIUMTEXT"
        } else {
            "MEDIUMBLOB"
        };
        edits.replace(ty, with);
        edits.blank(next);
        return attributes(&tokens[i + 2..], false, edits);
    }
    // sqlparser gap: the `SERIAL` type, an alias of this.
    if ty.is("SERIAL") {
        edits.replace(ty, "BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE");
        return attributes(&tokens[i + 1..], false, edits);
    }
    let character = ty.is_any(CHARACTER_TYPES);
    let mut rest = i + 1;
    if next.is_some_and(|n| n.is_punct('(')) {
        rest = super::lex::closing(tokens, i + 1) + 1;
    }
    // sqlparser gap: `CHAR(n) BYTE`, an old spelling of `BINARY(n)`.
    if ty.is_any(&["CHAR", "CHARACTER"])
        && let Some(byte) = tokens.get(rest).filter(|t| t.is("BYTE"))
    {
        edits.replace(ty, "BINARY");
        edits.blank(byte);
        rest += 1;
    }
    attributes(tokens.get(rest..).unwrap_or_default(), character, edits);
}

/// The attributes of a column (`NOT NULL`, `DEFAULT ...`, ...), looked at outside parentheses.
fn attributes(tokens: &[Token<'_>], character: bool, edits: &mut Edits<'_>) {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(t) = tokens.get(i) {
        let next = tokens.get(i + 1);
        // `CHARACTER SET binary`, `COLLATE ascii_bin`: a name, not an attribute.
        let names_something = i
            .checked_sub(1)
            .and_then(|p| tokens.get(p))
            .is_some_and(|p| p.is_any(&["SET", "CHARSET", "COLLATE"]) || p.is_punct('='));
        i += 1;
        if t.is_punct('(') {
            depth += 1;
            continue;
        }
        if t.is_punct(')') {
            depth = depth.saturating_sub(1);
            continue;
        }
        if depth > 0 {
            continue;
        }
        if names_something {
            continue;
        }
        if t.is("REFERENCES") {
            // The rest is an inline foreign key, where these words would be table names.
            return;
        }
        if character && t.is_any(&["BINARY", "ASCII", "UNICODE"]) {
            // sqlparser gap: the `BINARY` attribute of a character column (`VARCHAR(40)
            // BINARY`: the `_bin` collation of its character set), and `ASCII` / `UNICODE`
            // (the latin1 / ucs2 character set). The column still holds characters, so its
            // type is unchanged: see `SqlType` on collations.
            edits.blank(t);
        } else if t.is("CHARSET") {
            // sqlparser gap: `CHARSET x` as a column attribute (it reads `CHARACTER SET x`).
            edits.replace(t, "CHARACTER SET");
        } else if t.is("PERSISTENT") {
            // sqlparser gap: MariaDB's `PERSISTENT`, a synonym of `STORED` for a generated
            // column.
            edits.replace(t, "STORED");
        } else if t.is_any(&["COLUMN_FORMAT", "STORAGE"]) {
            // sqlparser gap: `COLUMN_FORMAT {FIXED|DYNAMIC|DEFAULT}`, `STORAGE {DISK|MEMORY}`
            // (NDB storage hints).
            edits.blank(t);
            if let Some(value) = next {
                edits.blank(value);
                i += 1;
            }
        } else if t.is("VISIBLE") {
            // sqlparser gap: `VISIBLE` (it reads `INVISIBLE`); the default anyway.
            edits.blank(t);
        } else if t.is_any(&[
            "ENGINE_ATTRIBUTE",
            "SECONDARY_ENGINE_ATTRIBUTE",
            "COMPRESSED",
        ]) {
            // sqlparser gap: MySQL's `ENGINE_ATTRIBUTE [=] '...'`, MariaDB's `COMPRESSED
            // [= zlib]` column compression: storage only.
            edits.blank(t);
            i += blank_option_value(&tokens[i..], edits);
        } else if t.is_any(&["WITH", "WITHOUT"])
            && next.is_some_and(|n| n.is("SYSTEM"))
            && let Some(versioning) = tokens.get(i + 1).filter(|v| v.is("VERSIONING"))
        {
            // sqlparser gap: MariaDB's `WITH[OUT] SYSTEM VERSIONING` on a column.
            edits.blank(t);
            edits.blank(&tokens[i]);
            edits.blank(versioning);
            i += 2;
        } else if t.is("AS")
            && next.is_some_and(|n| n.is("ROW"))
            && let Some(end) = tokens.get(i + 1).filter(|e| e.is_any(&["START", "END"]))
        {
            // sqlparser gap: MariaDB's `GENERATED ALWAYS AS ROW START|END` (system
            // versioning): the server fills the column, so it is read as a generated one.
            edits.replace(&tokens[i], "(NULL)");
            edits.replace(end, "STORED");
            i += 2;
        }
    }
}

/// Blanks `[=] value` at the start of `tokens`; how many tokens that was.
fn blank_option_value(tokens: &[Token<'_>], edits: &mut Edits<'_>) -> usize {
    let mut n = 0;
    if tokens.first().is_some_and(|t| t.is_punct('=')) {
        edits.blank(&tokens[0]);
        n = 1;
    }
    if let Some(value) = tokens.get(n).filter(|v| !v.is_punct(',')) {
        edits.blank(value);
        n += 1;
    }
    n
}

/// A key definition (`PRIMARY KEY (a)`, `UNIQUE KEY u (a) USING BTREE`, `FULLTEXT KEY f (t)
/// WITH PARSER ngram`): the options after its key parts are blanked.
///
/// sqlparser gap: the index options `WITH PARSER p`, `VISIBLE` / `INVISIBLE`, MariaDB's
/// `IGNORED` / `NOT IGNORED`, `KEY_BLOCK_SIZE = n`, `ENGINE_ATTRIBUTE = '...'` after the key
/// parts. None of them changes which columns the key covers.
pub(crate) fn key_definition(tokens: &[Token<'_>], edits: &mut Edits<'_>) {
    let Some(open) = tokens.iter().position(|t| t.is_punct('(')) else {
        return;
    };
    let close = super::lex::closing(tokens, open);
    edits.blank_all(tokens.get(close + 1..).unwrap_or_default());
}

/// Whether a table element (or what follows `ADD` in an `ALTER TABLE`) defines a key or
/// constraint rather than a column, and which keyword says what it is.
pub(crate) fn constraint_kind<'t, 'a>(tokens: &'t [Token<'a>]) -> Option<&'t Token<'a>> {
    let first = tokens.first()?;
    const KINDS: &[&str] = &[
        "PRIMARY", "UNIQUE", "KEY", "INDEX", "FULLTEXT", "SPATIAL", "FOREIGN", "CHECK", "PERIOD",
    ];
    if first.is("CONSTRAINT") {
        // `CONSTRAINT [symbol] kind`
        return tokens[1..].iter().take(2).find(|t| t.is_any(KINDS));
    }
    // `period` is not reserved: a column may have that name.
    let period_column = first.is("PERIOD") && !tokens.get(1).is_some_and(|t| t.is("FOR"));
    (first.is_any(KINDS) && !period_column).then_some(first)
}
