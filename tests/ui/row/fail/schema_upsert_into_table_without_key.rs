use sluice::prelude::*;

#[derive(Row)]
#[row(table = "audit_log", schema = "../../../../tests/ui/schema/shop.sql")]
struct AuditRow {
    #[row(key)]
    at: NaiveDateTime,
    message: String,
}

fn main() {}
