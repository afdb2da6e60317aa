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
