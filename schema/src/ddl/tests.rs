use super::*;
use crate::sql_type::{SqlType, TextSize};

fn table(schema: &Schema, name: &str) -> Table {
    schema
        .table(name)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"))
        .clone()
}

fn column_types(table: &Table) -> Vec<(String, String, bool)> {
    table
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.ty.to_string(), c.nullable))
        .collect()
}

#[test]
fn a_mariadb_dump_replays_to_its_table() {
    let dump = include_str!("../../tests/fixtures/mariadb_dump.sql");
    let schema = Schema::from_sql("dump.sql", dump);
    let orders = table(&schema, "dump_a");
    let s = |a: &str, b: &str, n| (a.to_string(), b.to_string(), n);
    assert_eq!(
        column_types(&orders),
        vec![
            s("id", "BIGINT UNSIGNED", false),
            s("customer_id", "INT UNSIGNED", false),
            s("currency", "CHAR(3)", false),
            s("amount", "DECIMAL(12,2)", false),
            s("note", "VARCHAR(200)", true),
            s("doc", "JSON", true),
            s("total", "BIGINT", true),
            s("ts", "DATETIME(3)", false),
        ]
    );
    let id = &orders.columns[0];
    assert!(id.auto_increment && !id.required());
    assert!(orders.columns[2].has_default);
    assert!(orders.columns[6].generated);
    assert!(orders.columns[7].has_default);
    assert_eq!(
        orders.primary_key.as_ref().map(|k| k.columns.clone()),
        Some(vec!["id".to_string()])
    );
    assert_eq!(orders.unique_keys.len(), 1);
    assert_eq!(orders.unique_keys[0].name.as_deref(), Some("uq_cust"));
    assert_eq!(orders.unique_keys[0].columns, ["customer_id", "currency"]);
}

#[test]
fn alter_rename_and_drop_replay_in_order() {
    let sql = "
        CREATE TABLE a (id INT PRIMARY KEY, kind ENUM('x','y') NOT NULL, flag TINYINT(1));
        ALTER TABLE a ADD COLUMN note VARCHAR(20) NULL AFTER id,
            MODIFY COLUMN flag BOOL NOT NULL DEFAULT 0,
            CHANGE COLUMN kind category VARCHAR(10) NOT NULL,
            RENAME COLUMN note TO notes;
        ALTER TABLE a ADD UNIQUE KEY u_cat (category);
        CREATE UNIQUE INDEX u_notes ON a (notes);
        DROP INDEX u_notes ON a;
        RENAME TABLE a TO b;
        CREATE TABLE gone (x INT);
        DROP TABLE IF EXISTS gone;
        ALTER TABLE b ADD COLUMN body MEDIUMTEXT, DROP COLUMN flag;
    ";
    let schema = Schema::from_sql("schema.sql", sql);
    assert_eq!(schema.table("a"), Err(LookupError::NotFound));
    assert_eq!(schema.table("gone"), Err(LookupError::NotFound));
    let b = table(&schema, "b");
    let s = |a: &str, b: &str, n| (a.to_string(), b.to_string(), n);
    assert_eq!(
        column_types(&b),
        vec![
            s("id", "INT", false),
            s("category", "VARCHAR(10)", false),
            s("notes", "VARCHAR(20)", true),
            s("body", "MEDIUMTEXT", true),
        ]
    );
    assert_eq!(b.unique_keys.len(), 1);
    assert_eq!(b.unique_keys[0].columns, ["category"]);
    assert_eq!(b.columns[3].ty, SqlType::Text(TextSize::Medium));
}

#[test]
fn a_syntax_error_names_the_file_line_and_column() {
    let sql = "CREATE TABLE ok (id INT);\n\nCREATE TABLE broken (\n  id INT,\n  name VARCHAR(10) NOT NOT NULL\n);\n";
    let schema = Schema::from_sql("migrations/0001_init.sql", sql);
    assert!(schema.table("ok").is_ok());
    let Err(LookupError::Unparsed(error)) = schema.table("broken") else {
        panic!("expected a parse error");
    };
    assert!(
        error.location.starts_with("migrations/0001_init.sql:5:"),
        "{error}"
    );
}

#[test]
fn statements_that_cannot_change_a_table_are_skipped() {
    let sql = "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nDELIMITER ;\n\
               GRANT ALL ON *.* TO 'x'@'%';\nCREATE TABLE t (id INT PRIMARY KEY);\n\
               CREATE TABLE other (id INT NOT NOT NULL);";
    let schema = Schema::from_sql("s.sql", sql);
    assert!(schema.table("t").is_ok());
    assert!(matches!(
        schema.table("other"),
        Err(LookupError::Unparsed(_))
    ));
}

#[test]
fn migrations_apply_in_version_order() {
    let dir = std::env::temp_dir().join(format!("sluice_migrations_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("m")).unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, sql: &str| {
        std::fs::write(dir.join("m").join(name), sql).unwrap_or_else(|e| panic!("{e}"));
    };
    write("10_add.up.sql", "ALTER TABLE t ADD COLUMN b INT NOT NULL;");
    write("10_add.down.sql", "ALTER TABLE t DROP COLUMN b;");
    write("9_create.sql", "CREATE TABLE t (a INT PRIMARY KEY);");
    write("README.md", "not a migration");
    let schema =
        Schema::load(&dir, &DdlSource::Migrations("m".into())).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = schema.files.iter().map(|f| f.display.as_str()).collect();
    assert_eq!(names, ["m/9_create.sql", "m/10_add.up.sql"]);
    assert_eq!(table(&schema, "t").columns.len(), 2);

    let missing = Schema::load(&dir, &DdlSource::Migrations("nope".into()));
    assert!(missing.is_err_and(|e| e.location == "nope"));
    write("oops.sql", "");
    let unversioned = Schema::load(&dir, &DdlSource::Migrations("m".into()));
    assert!(unversioned.is_err_and(|e| e.location == "m/oops.sql"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_ui_case_keeps_its_error_position() {
    let sql = include_str!("../../../tests/ui/schema/broken.sql");
    let schema = Schema::from_sql("broken.sql", sql);
    let Err(LookupError::Unparsed(error)) = schema.table("orders") else {
        panic!("expected a parse error");
    };
    assert_eq!(
        error.to_string(),
        "broken.sql:5:28: Expected: ',' or ')' after column definition, found: NOT"
    );
    assert!(schema.table("fine").is_ok());
}

#[test]
fn an_error_after_a_rewritten_construct_keeps_its_column() {
    // `CHARSET` is read as the longer `CHARACTER SET` and `BINARY` is blanked: the error is
    // still reported where the user wrote it.
    let sql = "-- é\nCREATE TABLE t (\n  a CHAR(2) CHARSET ascii BINARY NOT NOT NULL\n) ENGINE=InnoDB\n  /*!50100 PARTITION BY KEY (a) */;";
    let schema = Schema::from_sql("t.sql", sql);
    let Err(LookupError::Unparsed(error)) = schema.table("t") else {
        panic!("expected a parse error");
    };
    assert_eq!(error.location, "t.sql:3:34");
    assert!(error.message.contains("found: NOT"), "{error}");
}

#[test]
fn alter_table_operations_sqlparser_rejects_are_replayed() {
    let sql = "
        CREATE TABLE t (id INT NOT NULL, a INT, b VARCHAR(10), UNIQUE KEY u_a (a));
        ALTER TABLE t RENAME INDEX u_a TO u_first, ADD COLUMN IF NOT EXISTS a BIGINT,
            ADD COLUMN IF NOT EXISTS c INT NOT NULL, MODIFY COLUMN IF EXISTS zz INT,
            MODIFY COLUMN IF EXISTS b VARCHAR(20) BINARY NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;
        ALTER TABLE t ADD UNIQUE KEY u_b (b) /*!80000 INVISIBLE */, ADD FULLTEXT KEY f (b);
        ALTER TABLE t DROP KEY u_first, DROP FOREIGN KEY fk_gone, DROP CHECK chk_gone;
        /*!40000 ALTER TABLE `t` DISABLE KEYS */;
        ALTER TABLE t ENGINE=InnoDB, ROW_FORMAT=DYNAMIC, CONVERT TO CHARACTER SET utf8mb4;
        ALTER IGNORE TABLE t ADD UNIQUE u_c (c);
        ALTER TABLE t ADD (d DATE NOT NULL, e CHAR(3) CHARSET ascii);
        ALTER TABLE t RENAME t2;
        DROP INDEX u_c ON t2 ALGORITHM=INPLACE LOCK=NONE;
        CREATE UNIQUE INDEX u_d ON t2 (d) USING BTREE COMMENT 'day' ALGORITHM=COPY;
        CREATE SPATIAL INDEX s ON t2 (g);
        ALTER TABLE t2 ADD COLUMN f INT NULL PARTITION BY KEY (id) PARTITIONS 2;
    ";
    let schema = Schema::from_sql("alter.sql", sql);
    assert_eq!(schema.table("t"), Err(LookupError::NotFound));
    let t = table(&schema, "t2");
    let s = |a: &str, b: &str, n| (a.to_string(), b.to_string(), n);
    assert_eq!(
        column_types(&t),
        vec![
            s("id", "INT", false),
            s("a", "INT", true),
            s("b", "VARCHAR(20)", false),
            s("c", "INT", false),
            s("d", "DATE", false),
            s("e", "CHAR(3)", true),
            s("f", "INT", true),
        ]
    );
    let keys: Vec<String> = t.keys().map(|(k, p)| k.describe(p)).collect();
    assert_eq!(keys, ["UNIQUE KEY u_b (b)", "UNIQUE KEY u_d (d)"]);
}

#[test]
fn a_renamed_index_is_the_one_later_statements_name() {
    let sql = "CREATE TABLE t (a INT, UNIQUE KEY old_name (a));\n\
               ALTER TABLE t RENAME KEY old_name TO new_name;\n\
               ALTER TABLE t DROP INDEX old_name;";
    let schema = Schema::from_sql("r.sql", sql);
    let t = table(&schema, "t");
    assert_eq!(t.unique_keys.len(), 1);
    assert_eq!(t.unique_keys[0].name.as_deref(), Some("new_name"));
}

#[test]
fn create_table_like_copies_columns_and_keys() {
    let sql = "CREATE TABLE a (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v VARCHAR(3) BINARY, UNIQUE (v));\n\
               CREATE TABLE b LIKE a;\nCREATE TABLE c (LIKE a);";
    let schema = Schema::from_sql("like.sql", sql);
    let a = table(&schema, "a");
    for name in ["b", "c"] {
        let copy = table(&schema, name);
        assert_eq!(copy.name, name);
        assert_eq!(copy.columns, a.columns);
        assert_eq!(copy.primary_key, a.primary_key);
        assert_eq!(copy.unique_keys, a.unique_keys);
    }
}

#[test]
fn statements_sqlparser_rejects_that_cannot_change_a_table_do_not_block_it() {
    let sql = "CREATE TABLE t (id INT PRIMARY KEY);\n\
               CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t;\n\
               CREATE DEFINER=`root`@`localhost` FUNCTION f(x INT) RETURNS int DETERMINISTIC RETURN x;\n\
               SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'x';\n\
               INSERT INTO t VALUES (1), (2) ON DUPLICATE KEY UPDATE nonsense nonsense;\n\
               CREATE DATABASE /*!32312 IF NOT EXISTS*/ `d` /*!80016 DEFAULT ENCRYPTION='N' */;\n\
               TRUNCATE TABLE t;\nCREATE SEQUENCE s;\nDROP VIEW IF EXISTS v;";
    let schema = Schema::from_sql("other.sql", sql);
    assert!(schema.table("t").is_ok());
    assert_eq!(schema.table_names().collect::<Vec<_>>(), ["t"]);
}

#[test]
fn a_large_dump_splits_in_linear_time_and_keeps_line_numbers() {
    // A few megabytes of data lines whose strings hold what could end or start a statement.
    let mut sql = String::from("CREATE TABLE t (id INT PRIMARY KEY, s TEXT);\n");
    let row = "(1,'a;b -- c /* d */ e\\' f'' \"g;\" `h;` DELIMITER ;; \\\\')";
    let rows = vec![row; 200].join(",");
    let lines = 400;
    for _ in 0..lines {
        sql.push_str("INSERT INTO `t` VALUES ");
        sql.push_str(&rows);
        sql.push_str(";\n");
    }
    sql.push_str(
        "CREATE TABLE after_data (x INT NOT NULL);\nCREATE TABLE broken (x INT NOT NOT NULL);\n",
    );
    assert!(sql.len() > 4_000_000);
    let schema = Schema::from_sql("big.sql", &sql);
    assert!(schema.table("t").is_ok());
    assert_eq!(column_types(&table(&schema, "after_data")).len(), 1);
    let Err(LookupError::Unparsed(error)) = schema.table("broken") else {
        panic!("expected a parse error");
    };
    assert_eq!(error.location, format!("big.sql:{}:28", lines + 3));
}

#[test]
fn a_phpmyadmin_export_adds_its_keys_after_the_tables() {
    let sql = "SET SQL_MODE = \"NO_AUTO_VALUE_ON_ZERO\";\nSTART TRANSACTION;\nSET time_zone = \"+00:00\";\n\
        CREATE TABLE `users` (\n  `ID` bigint(20) UNSIGNED NOT NULL,\n  `user_login` varchar(60) COLLATE utf8mb4_unicode_520_ci NOT NULL DEFAULT '',\n  \
        `storage_id` int(11) DEFAULT NULL REFERENCES storage (id)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;\n\
        INSERT INTO `users` (`ID`, `user_login`) VALUES (1, 'admin');\n\
        ALTER TABLE `users`\n  ADD PRIMARY KEY (`ID`),\n  ADD KEY `user_login_key` (`user_login`),\n  ADD UNIQUE KEY `uq_login` (`user_login`);\n\
        ALTER TABLE `users`\n  MODIFY `ID` bigint(20) UNSIGNED NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=2;\nCOMMIT;\n";
    let schema = Schema::from_sql("export.sql", sql);
    let users = table(&schema, "users");
    let s = |a: &str, b: &str, n| (a.to_string(), b.to_string(), n);
    assert_eq!(
        column_types(&users),
        vec![
            s("ID", "BIGINT UNSIGNED", false),
            s("user_login", "VARCHAR(60)", false),
            s("storage_id", "INT", true),
        ]
    );
    assert!(users.columns[0].auto_increment);
    let keys: Vec<String> = users.keys().map(|(k, p)| k.describe(p)).collect();
    assert_eq!(
        keys,
        ["PRIMARY KEY (ID)", "UNIQUE KEY uq_login (user_login)"]
    );
}

#[test]
fn non_ascii_text_and_unclosed_parentheses_are_errors_or_tables_never_panics() {
    let scripts = [
        "\u{feff}CREATE TABLE bom (id INT PRIMARY KEY);",
        "CREATE TABLE nbsp (id INT\u{a0}PRIMARY KEY);",
        "CREATE TABLE caf\u{e9} (id INT PRIMARY KEY); CREATE TABLE t2 (x INT);",
        "CREATE TABLE t (",
        "CREATE TABLE t (;",
        "ALTER TABLE t ADD (",
        "ALTER TABLE t ADD (;",
        "CREATE UNIQUE INDEX i ON t (",
        "CREATE TABLE \u{1f980} (id INT) COMMENT='\u{1f980}';",
    ];
    for script in scripts {
        let schema = Schema::from_sql("odd.sql", script);
        let _ = schema.table("t");
        let _ = schema.table("bom");
    }
    let bom = Schema::from_sql("bom.sql", scripts[0]);
    assert_eq!(table(&bom, "bom").columns.len(), 1);
}
