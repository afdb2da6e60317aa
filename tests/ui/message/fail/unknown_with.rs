use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
struct Order {
    #[message(with = "epoch_milis")]
    ts: DateTime<Utc>,
}

fn main() {}
