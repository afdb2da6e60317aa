use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "json")]
pub struct Order {
    pub id: u64,
    #[message(rename = "customer")]
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

fn main() {
    let _ = <Order as sluice::Message>::decode(b"{}");
}
