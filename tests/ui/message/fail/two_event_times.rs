use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
struct Order {
    #[message(event_time, with = "epoch_millis")]
    created: DateTime<Utc>,
    #[message(event_time, with = "epoch_millis")]
    updated: DateTime<Utc>,
}

fn main() {}
