use sluice::prelude::*;

/// Every row of the compatibility matrix, against a table with a column of each type.
#[derive(Row)]
#[row(table = "everything", schema = "../../../../tests/ui/schema/shop.sql")]
struct Everything {
    #[row(key)]
    id: i32,
    small: u16,
    medium: i32,
    flag: bool,
    born: Option<u16>,
    price: rust_decimal::Decimal,
    #[row(decimal_as_float)]
    approx: Option<f64>,
    ratio: f64,
    code: &'static str,
    kind: String,
    body: Option<String>,
    digest: Vec<u8>,
    attrs: Option<serde_json::Value>,
    day: NaiveDate,
    at_time: Option<chrono::NaiveTime>,
    created: DateTime<Utc>,
    updated: NaiveDateTime,
}

/// The table after both migrations: `pages` became `page_views`, the key is (visitor, day).
#[derive(Row)]
#[row(table = "visits", migrations = "../../../../tests/ui/schema/migrations", key(visitor, day))]
struct VisitRow {
    visitor: String,
    day: NaiveDate,
    page_views: i64,
    #[row(skip)]
    _cache: Vec<u64>,
}

/// Another unique key is accepted when the struct says so; `id` is AUTO_INCREMENT and not
/// written, so it never collides.
#[derive(Row)]
#[row(table = "events", schema = "../../../../tests/ui/schema/shop.sql", key(source, seq), allow_other_unique_keys)]
struct EventRow {
    source: String,
    seq: u64,
    #[row(column = "external_ref")]
    reference: String,
    seen_at: DateTime<Utc>,
}

/// A table without a key takes plain inserts.
#[derive(Row)]
#[row(table = "audit_log", schema = "../../../../tests/ui/schema/shop.sql", append_only)]
struct AuditRow {
    at: NaiveDateTime,
    message: String,
}

fn main() {
    use sluice::Row as _;
    assert_eq!(Everything::COLUMNS.len(), 17);
    assert_eq!(VisitRow::KEY, ["visitor", "day"]);
    assert!(EventRow::ON_DUPLICATE_KEY.contains("`external_ref` = VALUES(`external_ref`)"));
    assert_eq!(AuditRow::ON_DUPLICATE_KEY, "");
}
