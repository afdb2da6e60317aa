//! The types a `#[pipeline]` signature names for its input and outputs. Each is only a marker:
//! inside the body an input is a [`Stream`](crate::Stream) of its records, and the body
//! returns one stream per output.

use std::marker::PhantomData;

use crate::contract::message::Message;
use crate::contract::row::Row;

/// Kafka: as an input, messages of the topic `M` names, decoded as `M`.
#[derive(Debug)]
pub struct Kafka<M: Message>(PhantomData<M>);

/// MySQL: as an output, rows `R` written to the table `R` names, in transactions that also
/// store the input's positions.
#[derive(Debug)]
pub struct MySql<R: Row>(PhantomData<R>);

/// Standard output: each record as one line of JSON, for development. `T` must implement
/// `serde::Serialize`; for a type that only has `Debug`, map it to `format!("{record:?}")`
/// first (a `String` prints as a JSON string).
///
/// Nothing is stored: with `Print` as the only output the run keeps no positions (it starts
/// where `--from` says every time) and dead letters are logged instead of stored.
#[derive(Debug)]
pub struct Print<T>(PhantomData<T>);

/// A MySQL table as an input: a bounded scan of the table `R` names, each row read into `R`.
///
/// The table is split into ranges of its integer primary key (one per worker on the first
/// run), each read in key order with keyset pagination; the position in every range is stored
/// with the outputs' transactions, so a killed back-fill resumes where it was. Rows inserted
/// past the largest key seen at the first start are not read. `R` needs exactly one
/// `#[row(key)]` field, an integer.
#[derive(Debug)]
pub struct MySqlTable<R: Row>(PhantomData<R>);

/// RabbitMQ. As an input, the classic or quorum queue `M` names (`#[message(queue = "...")]`,
/// `--queue`), several workers consuming it together. A message is acknowledged only once the
/// rows it led to are committed, and a redelivered one whose rows are already committed is
/// skipped, by its `message_id` property (stored in `sluice_message_ids` with the rows): a
/// message without one is a dead letter. As an output, messages `M` published to the exchange
/// `M` names (`#[message(exchange = "...")]`) with publisher confirms (at-least-once, each with
/// a `message_id` for consumers to deduplicate).
#[derive(Debug)]
pub struct RabbitMq<M: Message>(PhantomData<M>);

/// A RabbitMQ stream queue as an input, read by offset: the offsets are stored with the
/// outputs' transactions like Kafka offsets, so a restart resumes exactly after the last
/// committed row and needs no message ids. One worker reads the stream.
#[derive(Debug)]
pub struct RabbitMqStream<M: Message>(PhantomData<M>);
