//! The error of a generated message encoder.

/// Why a value cannot be written in its message format so that it reads back to itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeMessageError {
    field: Option<&'static str>,
    reason: &'static str,
}

impl EncodeMessageError {
    pub(crate) fn new(reason: &'static str) -> Self {
        EncodeMessageError {
            field: None,
            reason,
        }
    }

    /// A field of an Avro schema that the struct has no value for, and that is not nullable.
    pub fn without_value(field: &'static str) -> Self {
        EncodeMessageError {
            field: Some(field),
            reason: "the schema's field is not nullable and the struct has no field for it",
        }
    }

    /// The same error, naming the field it happened in.
    pub fn in_field(self, field: &'static str) -> Self {
        EncodeMessageError {
            field: Some(field),
            ..self
        }
    }
}

impl std::fmt::Display for EncodeMessageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field {
            Some(field) => write!(f, "field `{field}`: {}", self.reason),
            None => f.write_str(self.reason),
        }
    }
}

impl std::error::Error for EncodeMessageError {}

/// What writing one value gives.
pub type Written = Result<(), EncodeMessageError>;
