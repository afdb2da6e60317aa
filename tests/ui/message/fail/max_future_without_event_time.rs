use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
struct Order {
    #[message(max_future = "1h")]
    ts: DateTime<Utc>,
}

// The bound belongs on the event-time field, not beside it.
#[derive(Message)]
#[message(topic = "payments")]
struct Payment {
    #[message(event_time)]
    paid: DateTime<Utc>,
    #[message(max_future = "1h")]
    booked: DateTime<Utc>,
}

#[derive(Message)]
#[message(topic = "clicks")]
struct Click {
    #[message(event_time, max_future = "one hour")]
    at: DateTime<Utc>,
}

fn main() {}
