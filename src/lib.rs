//! # sluice
//!
//! Streaming jobs from Kafka to MySQL, declared with three macros and checked by the compiler,
//! run on [timely dataflow](https://docs.rs/timely) with exactly-once results.
//!
//! ```no_run
//! use sluice::prelude::*;
//!
//! #[derive(Message)]
//! #[message(topic = "orders", format = "json")]
//! struct Order {
//!     id: u64,
//!     customer_id: u32,
//!     amount_cents: i64,
//!     currency: String,
//!     #[message(event_time, with = "epoch_millis")]
//!     ts: DateTime<Utc>,
//! }
//!
//! #[derive(Row)]
//! #[row(table = "orders", migrations = "migrations")]
//! struct OrderRow {
//!     #[row(key)]
//!     id: u64,
//!     customer_id: u32,
//!     amount_cents: i64,
//!     currency: String,
//!     ts: DateTime<Utc>,
//! }
//!
//! #[pipeline]
//! fn ingest(orders: Kafka<Order>) -> MySql<OrderRow> {
//!     orders
//!         .filter(|o| o.amount_cents >= 0)
//!         .map(|o| OrderRow {
//!             id: o.id,
//!             customer_id: o.customer_id,
//!             amount_cents: o.amount_cents,
//!             currency: o.currency,
//!             ts: o.ts,
//!         })
//! }
//!
//! fn main() -> sluice::Result<()> {
//!     ingest::main() // --brokers, --database-url, --workers, --from, --until-end, ...
//! }
//! ```
//!
//! - [`macro@Message`] generates the decoder and encoder of a message payload (JSON, CSV, or
//!   Avro and protobuf checked against their schema files).
//! - [`macro@Row`] generates batched multi-row `INSERT ... ON DUPLICATE KEY UPDATE` (or, for
//!   `#[row(append_only)]`, plain `INSERT`) statements and their bind code, and checks the
//!   struct against the table's DDL at compile time ([`row_schema`]).
//! - [`macro@pipeline`] turns the function into a module with `run(Config)` and `main()`.
//! - [`Stream`] has `map`, `filter`, `flat_map`, `inspect`, and [`Stream::key_by`], after
//!   which come event-time windows ([`Tumbling`], [`Sliding`], [`Session`]) with
//!   [`WindowedStream::summarize`] (one state per key and window),
//!   [`WindowedStream::aggregate`] (every record kept) or [`WindowedStream::reduce`], or keyed
//!   state with [`KeyedStream::map_with_state`].
//!
//! ## Delivery
//!
//! Each worker reads its own partitions (`p % workers`), and each epoch's rows are committed
//! together with the source offsets that produced them, in one MySQL transaction, in the
//! `sluice_offsets` table. A restart resumes after the last committed epoch: no row is lost
//! and none is written twice. Messages that cannot be decoded are stored in
//! `sluice_dead_letters` with their topic, partition, offset and raw bytes, and the job goes on.

extern crate self as sluice;

/// Derives [`trait@Message`] for a struct with named fields.
///
/// Struct attributes: `#[message(topic = "...", format = "json")]` (`topic`, or `queue` for a
/// RabbitMQ input, is required; `format` is `json`, the default, `csv`, `avro`, `protobuf` or
/// `debezium`), `queue = "..."`
/// (the RabbitMQ queue a `RabbitMq` or `RabbitMqStream` input reads), `exchange = "..."` (the
/// exchange a `RabbitMq` output publishes to). Field attributes: `rename = "key"` (the JSON
/// key, or the CSV header column), `with = "epoch_millis"` (also `epoch_seconds`,
/// `epoch_micros`: an integer timestamp read into a chrono date-time; `epoch_days` into a
/// `NaiveDate`), `event_time` (the field
/// that carries the event time), `key` (the Kafka record key, or the RabbitMQ routing key, of a
/// message written).
///
/// Field types: integers, `f32`, `f64`, `bool`, `String`, `Option<T>` (absent or `null` is
/// `None`), `chrono::DateTime<Utc>` (RFC 3339), `NaiveDateTime`, `NaiveDate`. Unknown keys are
/// skipped; a missing or duplicate key, a value of the wrong type or out of range is a
/// [`codec::DecodeError`] that names the field.
///
/// `format = "csv"`: one record per message (RFC 4180 quoting), its fields in the struct's
/// order; `delimiter = ";"` and `quote = "'"` (one ASCII character each; `,` and `"` by
/// default); `header = true` when each message starts with a header row naming its columns
/// (matched by field name or `rename`, in any order, unknown columns skipped). An empty
/// unquoted field is `None`, `""` an empty string; `bool` reads `true`/`false`/`1`/`0`. A record
/// with too few or too many fields, an unclosed quote or a second record is a
/// [`codec::DecodeError`] too.
///
/// `format = "avro"` with `schema = "order.avsc"` (relative to `Cargo.toml`) and `schema_id = N`
/// (its Schema Registry id): the struct is checked against the record at compile time (names,
/// types, nullable unions, `date`, `timestamp-millis`/`-micros` and `decimal`), payloads are
/// Confluent's wire format; another writer schema is resolved through `--schema-registry-url`.
///
/// `format = "protobuf"` with `schema = "order.proto"` and `message_type = "Order"`: the struct
/// is checked against the message (names, numbers, scalar types, `optional` as `Option`).
///
/// `format = "debezium"`: a Debezium change event in JSON (with or without the schema
/// envelope) whose row image (`after`, or `before` for a delete) is read as the JSON struct;
/// `c`/`r`/`u` events are upserts, `d` events delete the row from a MySQL output by its
/// `#[row(key)]` ([`Message::decode_change`]), tombstones are skipped. The rules of every
/// format: `docs/formats.md`.
pub use sluice_macros::Message;
/// Derives [`trait@Row`] for a struct with named fields.
///
/// Struct attributes: `#[row(table = "...")]` (required); `migrations = "dir"` or
/// `schema = "file.sql"` (the DDL the struct is checked against at compile time); `key(a, b)`
/// (an alternative to marking fields); `append_only` (plain inserts, for a table without a
/// key); `allow_other_unique_keys`. Field attributes: `key` (part of the table's primary or
/// unique key: rows are upserted), `column = "name"` (the column, when it differs from the
/// field), `skip` (not written), `decimal_as_float` (an `f64` for a `DECIMAL` column).
///
/// The checks and the Rust/MySQL type matrix: [`row_schema`].
pub use sluice_macros::Row;
/// Turns `fn name(input: Kafka<M>) -> MySql<R> { body }` into a module `name` with
/// `NAME`, `run(Config) -> Result<RunReport>` and `main() -> Result<()>`.
///
/// Inside the body, `input` is a [`Stream`] of `M` and the body returns a [`Stream`] of `R`.
/// The input is a [`Source`]; each output a [`Sink`]. Several outputs are a tuple, and the
/// body returns a tuple of streams in the same order (copy a stream with `clone()` to feed
/// two outputs):
///
/// ```ignore
/// #[pipeline]
/// fn ingest(orders: Kafka<Order>) -> (MySql<OrderRow>, Print<Alert>) {
///     let alerts = orders.clone().filter(|o| o.amount_cents > 100_000).map(Alert::from);
///     (orders.map(OrderRow::from), alerts)
/// }
/// ```
///
/// The first output that stores positions (MySQL) stores them, once every output has made
/// an epoch durable: a crash replays into the other outputs what that output had not yet
/// committed (at-least-once there; exactly-once for keyed MySQL rows).
pub use sluice_macros::pipeline;

pub use sluice_runtime::{
    Change, Cluster, Config, DEFAULT_DATABASE_URL, Epoch, Error, EventTime, Exchanged, Format,
    Graph, GraphFormat, InMemory, Kafka, Key, KeyedStream, Lookup, Message, MySql, MySqlTable,
    OffsetReset, OnMissing, Outputs, Print, Progress, RabbitMq, RabbitMqStream, Records, Result,
    Row, RunReport, Session, Sink, Sliding, Source, StartFrom, Stream, Summable, Summaries,
    Summary, Tumbling, Window, WindowSpec, WindowedStream, run_in_memory,
};
pub use sluice_runtime::{cli, codec, dead_letter, summary};

#[doc = include_str!("../docs/schema.md")]
pub mod row_schema {}

/// What a pipeline file needs: `use sluice::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Kafka, Lookup, Message, MySql, MySqlTable, OnMissing, Print, RabbitMq, RabbitMqStream,
        Records, Row, Session, Sliding, Stream, Tumbling, Window, pipeline,
    };
    pub use sluice_runtime::macro_support::chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
}

#[doc(hidden)]
pub mod __private {
    pub use sluice_runtime::macro_support::*;
}

/// The README's example, compiled as a doc test so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
