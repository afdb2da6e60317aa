//! Sinks: operators that write a stream out and hold each epoch until it is durable.

mod changes;
mod chunks;
mod confirmed;
mod delete_statement;
pub(crate) mod discard;
mod isolate;
mod kafka_producer;
mod kafka_transactions;
pub(crate) mod mysql;
mod mysql_state;
mod mysql_transaction;
pub(crate) mod packet;
mod print;
mod rabbitmq;
mod retry;
mod statement;

pub(crate) use chunks::{Sizes, byte_ranges, power_of_two_at_most, statement_ranges};
pub(crate) use isolate::{Statements, database_number, write_isolating};
