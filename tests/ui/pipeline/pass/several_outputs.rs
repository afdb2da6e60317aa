use sluice::prelude::*;

#[derive(Message, Clone)]
#[message(topic = "orders")]
pub struct Order {
    pub id: u64,
    pub amount_cents: i64,
}

#[derive(Row)]
#[row(table = "orders")]
pub struct OrderRow {
    #[row(key)]
    pub id: u64,
    pub amount_cents: i64,
}

#[derive(Row)]
#[row(table = "large_orders")]
pub struct LargeOrder {
    #[row(key)]
    pub id: u64,
}

/// Every order, the large ones again in their own table, and their ids printed.
#[pipeline]
pub fn split(orders: Kafka<Order>) -> (MySql<OrderRow>, MySql<LargeOrder>, Print<u64>) {
    let large = orders.clone().filter(|o| o.amount_cents > 10_000);
    let ids = large.clone().map(|o| o.id);
    (
        orders.map(|o| OrderRow { id: o.id, amount_cents: o.amount_cents }),
        large.map(|o| LargeOrder { id: o.id }),
        ids,
    )
}

/// A single output may be written as a one-element tuple too.
#[pipeline]
pub fn print_only(orders: Kafka<Order>) -> (Print<String>,) {
    (orders.map(|o| format!("order {}", o.id)),)
}

fn main() {
    let _: fn() -> sluice::Result<()> = split::main;
    let _: fn() -> sluice::Result<()> = print_only::main;
}
