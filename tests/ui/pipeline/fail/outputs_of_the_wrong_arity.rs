use sluice::prelude::*;

#[derive(Message, Clone)]
#[message(topic = "orders")]
struct Order {
    id: u64,
}

#[derive(Row)]
#[row(table = "orders")]
struct OrderRow {
    #[row(key)]
    id: u64,
}

#[pipeline]
fn two_for_one(orders: Kafka<Order>) -> MySql<OrderRow> {
    let copy = orders.clone();
    (orders.map(|o| OrderRow { id: o.id }), copy.map(|o| OrderRow { id: o.id }))
}

#[pipeline]
fn one_for_two(orders: Kafka<Order>) -> (MySql<OrderRow>, Print<u64>) {
    (orders.map(|o| OrderRow { id: o.id }),)
}

#[pipeline]
fn none(orders: Kafka<Order>) -> () {
    orders.map(|o| OrderRow { id: o.id })
}

fn main() {}
