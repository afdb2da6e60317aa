use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "csv")]
pub struct Order {
    #[message(key)]
    pub id: u64,
    pub customer_id: u32,
    pub note: Option<String>,
    pub price: f64,
    pub paid: bool,
    #[message(event_time, with = "epoch_millis")]
    pub ts: DateTime<Utc>,
    #[message(with = "epoch_seconds")]
    pub shipped: Option<NaiveDateTime>,
    pub day: NaiveDate,
}

#[derive(Message)]
#[message(queue = "people", format = "csv", delimiter = "\t", quote = "'", header)]
pub struct Person {
    #[message(rename = "Full Name")]
    pub name: String,
    pub age: Option<u8>,
}

const _: () = assert!(matches!(<Order as sluice::Message>::FORMAT, sluice::Format::Csv));

fn main() {}
