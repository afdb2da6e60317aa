use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "customers", format = "debezium", schema = "customers.avsc")]
struct WithSchema {
    id: u32,
}

#[derive(Message)]
#[message(topic = "customers", format = "debezium", delimiter = ";")]
struct WithDelimiter {
    id: u32,
}

#[derive(Message)]
#[message(topic = "customers", format = "debezum")]
struct Misspelt {
    id: u32,
}

#[derive(Message)]
#[message(topic = "customers", format = "debezium")]
struct UnsupportedField {
    id: u32,
    tags: Vec<String>,
}

fn main() {}
