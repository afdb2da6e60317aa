//! Change data capture: a `customers` table's Debezium change events applied to a copy of it.
//! Shared by the `replicate` example and the Debezium tests (`#[path]`-included, not a crate).

use sluice::prelude::*;

/// A row of the source `customers` table, as the Debezium MySQL connector writes its changes
/// with its default settings: DATETIME(3) as epoch milliseconds, DATE as epoch days.
#[derive(Message, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[message(topic = "shop.customers", format = "debezium")]
pub struct CustomerChange {
    #[message(key)]
    pub id: u32,
    pub first_name: String,
    pub email: Option<String>,
    pub balance_cents: i64,
    #[message(with = "epoch_millis")]
    pub updated: NaiveDateTime,
    pub score: Option<f64>,
    #[message(with = "epoch_days")]
    pub born: Option<NaiveDate>,
}

/// The copy: a row per customer, by its primary key.
#[derive(Row, Debug)]
#[row(table = "customers")]
pub struct CustomerRow {
    #[row(key)]
    pub id: u32,
    pub first_name: String,
    pub email: Option<String>,
    pub balance_cents: i64,
    pub updated: NaiveDateTime,
    pub score: Option<f64>,
    pub born: Option<NaiveDate>,
}

impl From<CustomerChange> for CustomerRow {
    fn from(c: CustomerChange) -> Self {
        CustomerRow {
            id: c.id,
            first_name: c.first_name,
            email: c.email,
            balance_cents: c.balance_cents,
            updated: c.updated,
            score: c.score,
            born: c.born,
        }
    }
}

/// Creates, updates and snapshot reads upsert the copy's row; deletes delete it.
#[pipeline]
pub fn replicate(changes: Kafka<CustomerChange>) -> MySql<CustomerRow> {
    changes.map(CustomerRow::from)
}

/// The `customers` table both sides have (the tests create the tables with it).
#[allow(dead_code)]
pub const CUSTOMERS_DDL: &str = "CREATE TABLE `{}` (
    id INT UNSIGNED NOT NULL PRIMARY KEY,
    first_name VARCHAR(64) NOT NULL,
    email VARCHAR(128) NULL,
    balance_cents BIGINT NOT NULL,
    updated DATETIME(3) NOT NULL,
    score DOUBLE NULL,
    born DATE NULL
)";
