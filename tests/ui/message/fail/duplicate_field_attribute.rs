use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
struct Order {
    #[message(rename = "order_id", rename = "id")]
    id: u64,
    #[message(with = "epoch_millis")]
    #[message(with = "epoch_seconds")]
    created: DateTime<Utc>,
    #[message(event_time, event_time, with = "epoch_millis")]
    #[message(max_delay = "5s", max_future = "1h", max_delay = "10s", max_future = "2h")]
    ts: DateTime<Utc>,
}

fn main() {}
