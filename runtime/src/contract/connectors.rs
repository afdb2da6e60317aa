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
