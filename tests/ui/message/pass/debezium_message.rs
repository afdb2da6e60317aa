use sluice::prelude::*;

/// A row of a MySQL table, as Debezium's MySQL connector writes its changes.
#[derive(Message)]
#[message(topic = "shop.inventory.customers", format = "debezium")]
pub struct Customer {
    #[message(key)]
    pub id: u32,
    #[message(rename = "first_name")]
    pub name: String,
    pub email: Option<String>,
    #[message(event_time, with = "epoch_millis")]
    pub updated: NaiveDateTime,
}

const _: () = assert!(matches!(<Customer as sluice::Message>::FORMAT, sluice::Format::Debezium));
const _: () = assert!(<Customer as sluice::Message>::FORMAT.has_deletes());

fn main() {}
