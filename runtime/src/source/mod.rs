//! Sources: operators that read an external system and close epochs.

mod decode_payload;
mod delivery_source;
pub(crate) mod kafka;
pub(crate) mod kafka_context;
mod kafka_errors;
mod kafka_group_lag;
mod kafka_input;
mod kafka_partitions;
mod kafka_reader;
pub(crate) mod memory;
mod mysql_table;
mod mysql_table_reader;
pub(crate) mod rabbitmq;
mod rabbitmq_hub;
mod rabbitmq_reader;
mod rabbitmq_stream;
mod rabbitmq_stream_reader;
mod restore;
