//! What a statement is about, read from its first words: whether it can change a table's
//! columns or keys, and which table. Only such statements are parsed; everything else in a
//! dump (`SET`, `INSERT` data, `LOCK TABLES`, views, triggers, procedures, events) is skipped
//! unread, so it can neither fail nor cost the time of parsing megabytes of data.

use super::lex::{Lexer, Token};

/// A statement that may change tables, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Head {
    /// `CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] t`
    CreateTable { table: Option<String> },
    /// `ALTER [ONLINE] [IGNORE] TABLE t`
    AlterTable { table: Option<String> },
    /// `DROP [TEMPORARY] TABLE [IF EXISTS] a, b`
    DropTables { tables: Vec<String> },
    /// `RENAME TABLE a TO b, c TO d`: every name involved.
    RenameTables { tables: Vec<String> },
    /// `CREATE [UNIQUE | FULLTEXT | SPATIAL] INDEX i ... ON t`
    CreateIndex { unique: bool, table: Option<String> },
    /// `DROP INDEX i ON t`
    DropIndex { table: Option<String> },
}

impl Head {
    /// The tables a failure to parse this statement leaves unknown; empty when the name could
    /// not be made out (then every table is in doubt).
    pub fn tables(&self) -> Vec<String> {
        match self {
            Head::CreateTable { table }
            | Head::AlterTable { table }
            | Head::CreateIndex { table, .. }
            | Head::DropIndex { table } => table.iter().cloned().collect(),
            Head::DropTables { tables } | Head::RenameTables { tables } => tables.clone(),
        }
    }
}

/// How many tokens of a statement are looked at to classify it.
const HEAD_TOKENS: usize = 64;

/// The head of `text`, or `None` for a statement that cannot change a table's columns or keys.
pub(crate) fn head(text: &str) -> Option<Head> {
    let tokens: Vec<Token<'_>> = Lexer::new(text).take(HEAD_TOKENS).collect();
    let mut at = Cursor {
        tokens: &tokens,
        i: 0,
    };
    if at.eat("CREATE") {
        at.eat_all(&["OR", "REPLACE"]);
        at.eat("TEMPORARY");
        if at.eat("TABLE") {
            at.eat_all(&["IF", "NOT", "EXISTS"]);
            return Some(Head::CreateTable { table: at.name() });
        }
        let unique = at.eat("UNIQUE");
        let _ = unique || at.eat("FULLTEXT") || at.eat("SPATIAL");
        at.eat("ONLINE");
        at.eat("OFFLINE");
        if !at.eat("INDEX") {
            return None;
        }
        return Some(Head::CreateIndex {
            unique,
            table: at.after("ON"),
        });
    }
    if at.eat("ALTER") {
        while at.eat("ONLINE") || at.eat("OFFLINE") || at.eat("IGNORE") {}
        if !at.eat("TABLE") {
            return None;
        }
        return Some(Head::AlterTable { table: at.name() });
    }
    if at.eat("DROP") {
        at.eat("TEMPORARY");
        if at.eat("TABLE") || at.eat("TABLES") {
            at.eat_all(&["IF", "EXISTS"]);
            return Some(Head::DropTables { tables: at.names() });
        }
        at.eat("ONLINE");
        at.eat("OFFLINE");
        if at.eat("INDEX") {
            return Some(Head::DropIndex {
                table: at.after("ON"),
            });
        }
        return None;
    }
    if at.eat("RENAME") && (at.eat("TABLE") || at.eat("TABLES")) {
        return Some(Head::RenameTables { tables: at.names() });
    }
    None
}

struct Cursor<'t, 'a> {
    tokens: &'t [Token<'a>],
    i: usize,
}

impl Cursor<'_, '_> {
    fn eat(&mut self, word: &str) -> bool {
        let found = self.tokens.get(self.i).is_some_and(|t| t.is(word));
        if found {
            self.i += 1;
        }
        found
    }

    /// Eats `words` if all of them come next.
    fn eat_all(&mut self, words: &[&str]) {
        let all = words
            .iter()
            .enumerate()
            .all(|(k, w)| self.tokens.get(self.i + k).is_some_and(|t| t.is(w)));
        if all {
            self.i += words.len();
        }
    }

    /// A possibly qualified name (`db.t`): its last part.
    fn name(&mut self) -> Option<String> {
        let mut name = self.tokens.get(self.i)?.name()?;
        self.i += 1;
        while self.tokens.get(self.i).is_some_and(|t| t.is_punct('.')) {
            match self.tokens.get(self.i + 1).and_then(Token::name) {
                Some(part) => name = part,
                None => break,
            }
            self.i += 2;
        }
        Some(name)
    }

    /// The list of names that follows (`a, b` or `a TO b, c TO d`).
    fn names(&mut self) -> Vec<String> {
        let mut names = Vec::new();
        while let Some(name) = self.name() {
            names.push(name);
            let separated = self.tokens.get(self.i).is_some_and(|t| t.is_punct(','));
            if separated {
                self.i += 1;
            } else if !self.eat("TO") {
                break;
            }
        }
        names
    }

    /// The name after the keyword `word`, wherever it comes.
    fn after(&mut self, word: &str) -> Option<String> {
        let at = self.tokens[self.i..].iter().position(|t| t.is(word))?;
        self.i += at + 1;
        self.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(name: &str) -> Option<Head> {
        Some(Head::CreateTable {
            table: Some(name.to_string()),
        })
    }

    #[test]
    fn table_statements_are_recognised_through_executable_comments() {
        assert_eq!(head("CREATE TABLE `a` (x int)"), create("a"));
        assert_eq!(
            head("/*!50001 CREATE TABLE IF NOT EXISTS db.`v` (x int) */"),
            create("v")
        );
        assert_eq!(
            head("create or replace temporary table t (x int)"),
            create("t")
        );
        assert_eq!(
            head("ALTER ONLINE IGNORE TABLE t ADD x int"),
            Some(Head::AlterTable {
                table: Some("t".into())
            })
        );
        assert_eq!(
            head("DROP TABLE IF EXISTS `a`, db.b CASCADE"),
            Some(Head::DropTables {
                tables: vec!["a".into(), "b".into()]
            })
        );
        assert_eq!(
            head("RENAME TABLE a TO b, c TO d"),
            Some(Head::RenameTables {
                tables: vec!["a".into(), "b".into(), "c".into(), "d".into()]
            })
        );
        assert_eq!(
            head("CREATE FULLTEXT INDEX ft ON film_text (title)"),
            Some(Head::CreateIndex {
                unique: false,
                table: Some("film_text".into())
            })
        );
        assert_eq!(
            head("DROP INDEX `u` ON `t` ALGORITHM=INPLACE"),
            Some(Head::DropIndex {
                table: Some("t".into())
            })
        );
    }

    #[test]
    fn other_statements_are_not_table_statements() {
        for sql in [
            "INSERT INTO `a` VALUES (1,'CREATE TABLE x')",
            "/*!40101 SET NAMES utf8mb4 */",
            "/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ /*!50001 VIEW `v` AS select 1 AS `x` */",
            "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t AFTER INSERT ON film FOR EACH ROW BEGIN END */",
            "CREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN SELECT 1; END",
            "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `sakila`",
            "LOCK TABLES `a` WRITE",
            "TRUNCATE TABLE a",
            "DROP VIEW IF EXISTS v",
            "DROP TRIGGER IF EXISTS t",
        ] {
            assert_eq!(head(sql), None, "{sql}");
        }
    }
}
