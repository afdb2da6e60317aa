//! What a message says happened to its record.

/// What a message says happened to its record: the record is now as given (an insert, an
/// update, a snapshot read), or it was deleted. Every format but Debezium carries upserts only.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Change {
    /// The record is now as given.
    #[default]
    Upsert,
    /// The record, as it was, is gone.
    Delete,
}
