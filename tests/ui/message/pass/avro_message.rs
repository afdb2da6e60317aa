use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "avro", schema = "../../../../tests/avro/order.avsc", schema_id = 7)]
pub struct Order {
    #[message(key)]
    pub id: u64,
    pub customer_id: u32,
    #[message(event_time)]
    pub ts: DateTime<Utc>,
    pub note: Option<String>,
    #[message(rename = "day")]
    pub ordered_on: NaiveDate,
    pub shipped: Option<NaiveDateTime>,
}

const _: () = assert!(matches!(<Order as sluice::Message>::FORMAT, sluice::Format::Avro));

fn main() {}
