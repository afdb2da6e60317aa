use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
pub struct Order {
    pub id: u64,
    pub amount_cents: i64,
    pub lines: u32,
}

#[derive(Row)]
#[row(table = "orders")]
pub struct OrderRow {
    #[row(key)]
    pub id: u64,
    pub amount_cents: i64,
}

/// Large orders only, one row per order.
#[pipeline]
pub fn large_orders(orders: Kafka<Order>) -> MySql<OrderRow> {
    let threshold = 10_000;
    orders
        .filter(move |o| o.amount_cents >= threshold)
        .flat_map(|o| Some(o).into_iter())
        .map(|o| OrderRow { id: o.id, amount_cents: o.amount_cents })
}

fn main() {
    let _: fn() -> sluice::Result<()> = large_orders::main;
    let _: fn(sluice::Config) -> sluice::Result<sluice::RunReport> = large_orders::run;
    assert_eq!(large_orders::NAME, "large_orders");
}
