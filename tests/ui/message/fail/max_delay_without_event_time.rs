use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
struct Order {
    id: u64,
    #[message(max_delay = "5s")]
    ts: DateTime<Utc>,
}

#[derive(Message)]
#[message(topic = "clicks")]
struct Click {
    #[message(event_time, max_delay = "5 parsecs")]
    at: DateTime<Utc>,
}

fn main() {}
