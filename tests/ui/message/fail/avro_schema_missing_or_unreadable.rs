use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "avro")]
struct NoSchema {
    id: u64,
}

#[derive(Message)]
#[message(topic = "orders", format = "avro", schema = "no/such/file.avsc", schema_id = 1)]
struct NoFile {
    id: u64,
}

#[derive(Message)]
#[message(topic = "orders", format = "avro", schema = "../../../../tests/avro/order.avsc")]
struct NoId {
    id: u64,
}

#[derive(Message)]
#[message(topic = "orders", schema = "../../../../tests/avro/order.avsc", schema_id = -1)]
struct NotAvro {
    id: u64,
}

fn main() {}
