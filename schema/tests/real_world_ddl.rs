//! DDL as it exists in the wild (mysqldump output of MySQL 5.7 and 8.0, mariadb-dump output,
//! hand-kept schema files in the style of the public sample databases) replays to exactly the
//! tables it describes: no syntax error, no table lost, every column with its type,
//! nullability and default, every unique key.

use sluice_schema::ddl::{LookupError, Schema};
use sluice_schema::{Limit, RustType, SqlType, Table, compatibility};

fn load(name: &str, sql: &str) -> Schema {
    Schema::from_sql(name, sql)
}

fn table<'s>(schema: &'s Schema, name: &str) -> &'s Table {
    schema
        .table(name)
        .unwrap_or_else(|e| panic!("table `{name}`: {e:?}"))
}

/// Every table, sorted.
fn names(schema: &Schema) -> Vec<String> {
    let mut names: Vec<String> = schema.table_names().map(str::to_string).collect();
    names.sort();
    names
}

/// `name TYPE`, then `NOT NULL`, `DEFAULT`, `AUTO_INCREMENT`, `GENERATED` as they apply.
fn columns(table: &Table) -> Vec<String> {
    table
        .columns
        .iter()
        .map(|c| {
            let mut text = format!("{} {}", c.name, c.ty);
            for (on, word) in [
                (!c.nullable, "NOT NULL"),
                (c.has_default, "DEFAULT"),
                (c.auto_increment, "AUTO_INCREMENT"),
                (c.generated, "GENERATED"),
            ] {
                if on {
                    text.push(' ');
                    text.push_str(word);
                }
            }
            text
        })
        .collect()
}

/// `PRIMARY KEY (a, b)` then `UNIQUE KEY u (c)`, in table order.
fn keys(table: &Table) -> Vec<String> {
    table
        .keys()
        .map(|(k, primary)| k.describe(primary))
        .collect()
}

fn column(table: &Table, name: &str) -> String {
    let found = table
        .columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column `{name}` in `{}`", table.name));
    columns(table).swap_remove(found)
}

#[test]
fn a_mysql_8_0_dump_of_a_rental_store() {
    let schema = load(
        "mysql80_rental_dump.sql",
        include_str!("fixtures/mysql80_rental_dump.sql"),
    );
    // The view is not a table, and nothing else is missing.
    assert_eq!(
        names(&schema),
        [
            "branch",
            "employee",
            "language",
            "member",
            "payment",
            "performer",
            "rental",
            "title",
            "title_performer",
            "title_text"
        ]
    );
    assert_eq!(
        schema.table("performer_info").err(),
        Some(LookupError::NotFound)
    );

    let title = table(&schema, "title");
    assert_eq!(
        columns(title),
        [
            "title_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT",
            "name VARCHAR(128) NOT NULL",
            "synopsis TEXT",
            "release_year YEAR DEFAULT",
            "language_id TINYINT UNSIGNED NOT NULL",
            "rental_days TINYINT UNSIGNED NOT NULL DEFAULT",
            "rental_rate DECIMAL(4,2) NOT NULL DEFAULT",
            "minutes SMALLINT UNSIGNED DEFAULT",
            "replacement_cost DECIMAL(5,2) NOT NULL DEFAULT",
            "age_rating ENUM('G','PG','PG-13','R','NC-17') DEFAULT",
            "extras SET('Trailers','Commentaries','Deleted Scenes','Behind the Scenes') DEFAULT",
            "search_name VARCHAR(128) GENERATED",
            "internal_code CHAR(8) DEFAULT",
            "last_update TIMESTAMP NOT NULL DEFAULT",
        ]
    );
    // Non-unique, functional and invisible indexes are not keys; the primary key is.
    assert_eq!(keys(title), ["PRIMARY KEY (title_id)"]);

    let branch = table(&schema, "branch");
    assert_eq!(column(branch, "location"), "location GEOMETRY NOT NULL");
    assert_eq!(column(branch, "opened"), "opened YEAR DEFAULT");

    let text = table(&schema, "title_text");
    assert_eq!(
        columns(text),
        [
            "title_id SMALLINT NOT NULL",
            "name VARCHAR(255) NOT NULL",
            "synopsis TEXT"
        ]
    );
    assert_eq!(keys(text), ["PRIMARY KEY (title_id)"]);

    let member = table(&schema, "member");
    assert_eq!(column(member, "email"), "email VARCHAR(50) DEFAULT");
    assert_eq!(
        column(member, "active"),
        "active TINYINT(1) NOT NULL DEFAULT"
    );
    assert_eq!(
        column(member, "create_date"),
        "create_date DATETIME NOT NULL"
    );
    assert_eq!(
        keys(member),
        [
            "PRIMARY KEY (member_id)",
            "UNIQUE KEY uq_member_email (email)"
        ]
    );

    let employee = table(&schema, "employee");
    assert_eq!(column(employee, "picture"), "picture BLOB");
    assert_eq!(column(employee, "password"), "password VARCHAR(40) DEFAULT");
    assert_eq!(
        column(employee, "api_token"),
        "api_token BINARY(16) DEFAULT"
    );
    assert_eq!(
        keys(employee),
        [
            "PRIMARY KEY (employee_id)",
            "UNIQUE KEY uq_username (username)"
        ]
    );

    let rental = table(&schema, "rental");
    assert_eq!(
        keys(rental),
        [
            "PRIMARY KEY (rental_id)",
            "UNIQUE KEY rental_date (rental_date, copy_id, member_id)"
        ]
    );

    // Partitioned, with DEFAULT ENCRYPTION, a CHECK and a stored generated column.
    let payment = table(&schema, "payment");
    assert_eq!(
        columns(payment),
        [
            "payment_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT",
            "member_id SMALLINT UNSIGNED NOT NULL",
            "rental_id INT DEFAULT",
            "amount DECIMAL(5,2) NOT NULL",
            "amount_cents INT NOT NULL GENERATED",
            "paid_at DATETIME(6) NOT NULL DEFAULT",
            "last_update TIMESTAMP DEFAULT",
        ]
    );
    assert_eq!(keys(payment), ["PRIMARY KEY (payment_id, paid_at)"]);
    assert!(
        payment
            .columns
            .iter()
            .all(|c| !c.required() || c.name != "amount_cents")
    );
}

#[test]
fn a_mysql_5_7_dump_of_a_staff_database() {
    let schema = load(
        "mysql57_staff_dump.sql",
        include_str!("fixtures/mysql57_staff_dump.sql"),
    );
    // The view's stand-in table (`/*!50001 CREATE TABLE ... ENGINE=MyISAM */`) is dropped
    // again before the view is created.
    assert_eq!(
        names(&schema),
        [
            "legacy_log",
            "pay",
            "person",
            "person_profile",
            "unit",
            "unit_member"
        ]
    );

    let person = table(&schema, "person");
    assert_eq!(
        columns(person),
        [
            "person_no INT NOT NULL",
            "birth_date DATE NOT NULL",
            "first_name VARCHAR(14) NOT NULL",
            "last_name VARCHAR(16) NOT NULL",
            "gender ENUM('M','F','X') NOT NULL",
            "hire_date DATE NOT NULL",
            "login VARCHAR(32) DEFAULT",
        ]
    );
    assert_eq!(
        keys(person),
        ["PRIMARY KEY (person_no)", "UNIQUE KEY login (login)"]
    );
    assert_eq!(
        keys(table(&schema, "unit")),
        ["PRIMARY KEY (unit_no)", "UNIQUE KEY unit_name (unit_name)"]
    );

    let pay = table(&schema, "pay");
    assert_eq!(
        columns(pay),
        [
            "person_no INT NOT NULL",
            "amount INT NOT NULL",
            "from_date DATE NOT NULL",
            "to_date DATE NOT NULL",
        ]
    );
    assert_eq!(keys(pay), ["PRIMARY KEY (person_no, from_date)"]);

    let profile = table(&schema, "person_profile");
    assert_eq!(
        columns(profile),
        [
            "person_no INT NOT NULL",
            "profile JSON NOT NULL",
            "city VARCHAR(64) GENERATED",
            "badge VARBINARY(32) DEFAULT",
            "photo MEDIUMBLOB",
            "rating FLOAT DEFAULT",
            "score DOUBLE DEFAULT",
            "updated TIMESTAMP NOT NULL DEFAULT",
        ]
    );

    let log = table(&schema, "legacy_log");
    assert_eq!(
        columns(log),
        [
            "id INT UNSIGNED NOT NULL AUTO_INCREMENT",
            "logged_at DATETIME NOT NULL DEFAULT",
            "line TEXT NOT NULL",
        ]
    );
    assert_eq!(keys(log), ["PRIMARY KEY (id)"]);
}

#[test]
fn a_mariadb_schema_file_and_its_mariadb_dump_describe_the_same_tables() {
    let written = load(
        "mariadb_shop_schema.sql",
        include_str!("fixtures/mariadb_shop_schema.sql"),
    );
    let dumped = load(
        "mariadb_10_11_dump.sql",
        include_str!("fixtures/mariadb_10_11_dump.sql"),
    );
    let expected = [
        "audit_log",
        "customer",
        "order_line",
        "price_history",
        "product",
    ];
    assert_eq!(names(&written), expected);
    assert_eq!(names(&dumped), expected);

    let customer = table(&dumped, "customer");
    assert_eq!(
        columns(customer),
        [
            "id INT UNSIGNED NOT NULL AUTO_INCREMENT",
            "email VARCHAR(120) NOT NULL",
            "name VARCHAR(80) NOT NULL",
            "country CHAR(2) NOT NULL DEFAULT",
            "created_at DATETIME NOT NULL DEFAULT",
            "updated_at TIMESTAMP NOT NULL DEFAULT",
            "external_id UUID DEFAULT",
            "last_ip INET6 DEFAULT",
            "note TEXT DEFAULT",
        ]
    );
    assert_eq!(
        keys(customer),
        ["PRIMARY KEY (id)", "UNIQUE KEY uq_customer_email (email)"]
    );

    let product = table(&dumped, "product");
    assert_eq!(
        columns(product),
        [
            "sku CHAR(12) NOT NULL",
            "title VARCHAR(200) NOT NULL",
            "price DECIMAL(10,2) UNSIGNED NOT NULL",
            "weight_g MEDIUMINT UNSIGNED DEFAULT",
            "attrs JSON DEFAULT",
            "kind ENUM('book','music','video','other') NOT NULL DEFAULT",
            "tags SET('new','sale','gift') NOT NULL DEFAULT",
            "title_lower VARCHAR(200) GENERATED",
            "price_cents BIGINT GENERATED",
            "released YEAR DEFAULT",
        ]
    );
    assert_eq!(
        keys(table(&dumped, "order_line")),
        ["PRIMARY KEY (order_id, line_no)"]
    );
    assert_eq!(
        column(table(&dumped, "audit_log"), "happened_at"),
        "happened_at TIMESTAMP(6) NOT NULL DEFAULT"
    );

    // What the checks see is the same whether read from the file the developer wrote or from
    // what the server printed back (`BINARY` became `COLLATE utf8mb4_bin`, `JSON` became
    // `longtext ... CHECK (json_valid(...))`, `PERSISTENT` became `STORED`, ...). Explicit
    // `DEFAULT NULL`s aside, which only the dump spells out.
    let seen = |t: &Table| -> Vec<(String, String, bool, bool, bool, bool)> {
        t.columns
            .iter()
            .map(|c| {
                let ty = c.ty.to_string();
                (
                    c.name.clone(),
                    ty,
                    c.nullable,
                    c.required(),
                    c.auto_increment,
                    c.generated,
                )
            })
            .collect()
    };
    for name in expected {
        let (w, d) = (table(&written, name), table(&dumped, name));
        assert_eq!(seen(w), seen(d), "{name}");
        assert_eq!(keys(w), keys(d), "{name}");
    }
}

#[test]
fn a_hand_kept_schema_file_with_old_spellings_and_later_alters() {
    let schema = load("geo_schema.sql", include_str!("fixtures/geo_schema.sql"));
    assert_eq!(
        names(&schema),
        [
            "nation",
            "nation_import",
            "spoken_language",
            "town",
            "world_region"
        ]
    );
    assert_eq!(schema.table("region").err(), Some(LookupError::NotFound));

    let region = table(&schema, "world_region");
    assert_eq!(
        columns(region),
        [
            "code CHAR(3) NOT NULL",
            "name VARCHAR(40) NOT NULL DEFAULT",
            "notes TEXT"
        ]
    );

    let nation = table(&schema, "nation");
    assert_eq!(
        columns(nation),
        [
            "code CHAR(3) NOT NULL DEFAULT",
            "name VARCHAR(60) NOT NULL DEFAULT",
            "continent ENUM('Africa','Americas','Asia','Europe','Oceania','Antarctica') NOT NULL DEFAULT",
            "region_code CHAR(3) NOT NULL",
            "area_km2 FLOAT NOT NULL DEFAULT",
            "founded YEAR DEFAULT",
            "population INT UNSIGNED NOT NULL DEFAULT",
            "gdp_usd DOUBLE DEFAULT",
            "iso2 CHAR(2) NOT NULL",
            "motto VARCHAR(100) DEFAULT",
            "flag MEDIUMBLOB",
            // `AFTER population` is not modelled: column order does not matter to the checks.
            "capital_id BIGINT UNSIGNED",
        ]
    );
    assert_eq!(
        keys(nation),
        ["PRIMARY KEY (code)", "UNIQUE KEY uq_nation_iso2 (iso2)"]
    );
    // `CREATE TABLE ... LIKE` copies columns and keys.
    let import = table(&schema, "nation_import");
    assert_eq!(columns(import), columns(nation));
    assert_eq!(keys(import), keys(nation));

    // SERIAL is BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE.
    let town = table(&schema, "town");
    assert_eq!(
        columns(town),
        [
            "id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT",
            "nation_code CHAR(3) NOT NULL DEFAULT",
            "name VARCHAR(35) NOT NULL DEFAULT",
            "district CHAR(20) NOT NULL DEFAULT",
            "population INT NOT NULL DEFAULT",
            "location POINT NOT NULL",
            "elevation_m SMALLINT",
            "timezone VARCHAR(40)",
        ]
    );
    assert_eq!(
        keys(town),
        [
            "PRIMARY KEY (id)",
            "UNIQUE KEY id (id)",
            "UNIQUE KEY uq_town_name (nation_code, name)"
        ]
    );

    let language = table(&schema, "spoken_language");
    assert_eq!(keys(language), ["PRIMARY KEY (nation_code, language)"]);
    assert_eq!(column(language, "share"), "share FLOAT NOT NULL DEFAULT");
}

/// The `BINARY` attribute is a binary collation of the column's character set: the column
/// still holds characters (a `String`), as `information_schema` reports it. The `binary`
/// character set is what makes a column hold bytes.
#[test]
fn binary_attribute_keeps_characters_and_binary_character_set_holds_bytes() {
    let schema = load(
        "binary.sql",
        "CREATE TABLE t (\n  a VARCHAR(40) BINARY NOT NULL,\n  b CHAR(10) BINARY,\n  \
         c TEXT BINARY,\n  d VARCHAR(40) CHARACTER SET binary,\n  e CHAR(10) CHARSET binary,\n  \
         f TEXT CHARACTER SET binary,\n  g BINARY(16),\n  h VARCHAR(8) BINARY CHARACTER SET latin1 COLLATE latin1_bin\n);",
    );
    let t = table(&schema, "t");
    let live = |text: &str| SqlType::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let expected = [
        ("a", "varchar(40)"),
        ("b", "char(10)"),
        ("c", "text"),
        ("d", "varbinary(40)"),
        ("e", "binary(10)"),
        ("f", "blob"),
        ("g", "binary(16)"),
        ("h", "varchar(8)"),
    ];
    for (name, information_schema) in expected {
        let column = t.column(name).unwrap_or_else(|| panic!("no column {name}"));
        assert!(
            column.ty.same_as_live(&live(information_schema)),
            "{name}: {} vs {information_schema}",
            column.ty
        );
    }
    assert!(!t.columns[0].nullable);

    let a = &t.columns[0].ty;
    assert_eq!(
        compatibility(RustType::String, a, false),
        Ok(vec![Limit::Chars(40)])
    );
    assert!(compatibility(RustType::Bytes, a, false).is_err());
    let d = &t.columns[3].ty;
    assert_eq!(
        compatibility(RustType::Bytes, d, false),
        Ok(vec![Limit::Bytes(40)])
    );
    assert!(compatibility(RustType::String, d, false).is_err());
}
