use std::collections::HashMap;

use sluice::prelude::*;

// Each derive below has one mistake of a different kind, and each pipeline uses a broken
// message and a broken row: only the mistakes are reported, not the pipelines.

#[derive(Message)]
#[message(format = "json")]
struct MissingTopic {
    id: u64,
}

#[derive(Row)]
#[row(key(id))]
struct MissingTable {
    id: u64,
}

#[pipeline]
fn missing_names(input: Kafka<MissingTopic>) -> MySql<MissingTable> {
    input.map(|m| MissingTable { id: m.id })
}

#[derive(Message)]
#[message(topic = "orders", format = "xml")]
struct BadValue {
    #[message(with = "epoch_hours")]
    id: u64,
}

#[derive(Row)]
#[row(table = "orders")]
struct BadField {
    #[row(key, column = "")]
    id: u64,
}

#[pipeline]
fn bad_values(input: Kafka<BadValue>) -> MySql<BadField> {
    input.map(|m| BadField { id: m.id })
}

#[derive(Message)]
#[message(topic = "orders")]
struct UnsupportedType {
    id: u64,
    tags: HashMap<String, String>,
}

#[derive(Row)]
#[row(table = "orders")]
struct UnsupportedColumn {
    #[row(key)]
    id: u64,
    tags: HashMap<String, String>,
}

#[pipeline]
fn unsupported_types(input: Kafka<UnsupportedType>) -> MySql<UnsupportedColumn> {
    input.map(|m| UnsupportedColumn { id: m.id, tags: m.tags })
}

#[derive(Message)]
#[message(topic = "orders")]
struct Generic<T> {
    id: T,
}

#[derive(Row)]
#[row(table = "orders")]
struct Tuple(u64);

#[pipeline]
fn wrong_shapes(input: Kafka<Generic<u64>>) -> MySql<Tuple> {
    input.map(|m| Tuple(m.id))
}

fn main() {
    let _ = (missing_names::main, bad_values::main, unsupported_types::main, wrong_shapes::main);
}
