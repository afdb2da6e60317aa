use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "tagged", format = "avro", schema = "../../../../tests/ui/schema/tagged.avsc", schema_id = 1)]
struct Tagged {
    id: u64,
    price: f64,
}

fn main() {}
