use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "csv", delimiter = "::", quote = "\n")]
struct TwoCharacters {
    id: u64,
}

#[derive(Message)]
#[message(topic = "orders", format = "csv", delimiter = "'", quote = "'")]
struct SameCharacter {
    id: u64,
}

#[derive(Message)]
#[message(topic = "orders", delimiter = ";", header = true)]
struct NotCsv {
    id: u64,
}

#[derive(Message)]
#[message(topic = "orders", format = "csv")]
struct RenameWithoutHeader {
    #[message(rename = "Order Id")]
    id: u64,
}

#[derive(Message)]
#[message(topic = "orders", format = "csv", delimiter = "-")]
struct SplitsNumbers {
    amount: i64,
}

#[derive(Message)]
#[message(topic = "orders", format = "cvs")]
struct Misspelled {
    id: u64,
}

fn main() {}
