use std::fmt;

/// Why a message could not be decoded into its struct.
///
/// It names the field (when the failure belongs to one), what was expected there and the byte
/// offset in the payload, so a dead-letter entry says what to fix without a debugger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The struct field being read, as it is named in the payload.
    pub field: Option<&'static str>,
    /// Byte offset in the payload where the problem was found.
    pub offset: usize,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

/// The ways a payload can fail to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The payload is not well-formed JSON.
    Syntax(&'static str),
    /// A value of the wrong JSON type, e.g. a string where a number was expected.
    WrongType {
        /// The Rust type the field expects, in words (`an unsigned integer (u32)`).
        expected: &'static str,
        /// The JSON type found (`a string`).
        found: &'static str,
    },
    /// A number that does not fit the field's type.
    OutOfRange {
        /// The Rust type the field expects, in words.
        expected: &'static str,
    },
    /// A string that is not a valid value for the field, such as a malformed date.
    InvalidValue {
        /// What the field accepts.
        expected: &'static str,
        /// The value found, shortened if long.
        found: String,
    },
    /// A required field is absent from the payload.
    MissingField,
    /// The same field appears twice in one object.
    DuplicateField,
    /// The payload is not valid UTF-8 where a string was expected.
    InvalidUtf8,
}

impl DecodeError {
    pub(crate) fn at(offset: usize, kind: DecodeErrorKind) -> Self {
        DecodeError {
            field: None,
            offset,
            kind,
        }
    }

    /// Attributes the error to `field` unless an inner field was already named.
    #[must_use]
    pub fn in_field(mut self, field: &'static str) -> Self {
        self.field.get_or_insert(field);
        self
    }

    /// The error for a required `field` that the object at `offset` lacks.
    pub fn missing(field: &'static str, offset: usize) -> Self {
        DecodeError {
            field: Some(field),
            offset,
            kind: DecodeErrorKind::MissingField,
        }
    }

    /// The error for a `field` that appears twice, found at `offset`.
    pub fn duplicate(field: &'static str, offset: usize) -> Self {
        DecodeError {
            field: Some(field),
            offset,
            kind: DecodeErrorKind::DuplicateField,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(field) = self.field {
            write!(f, "field `{field}`: ")?;
        }
        match &self.kind {
            DecodeErrorKind::Syntax(what) => write!(f, "invalid JSON: {what}")?,
            DecodeErrorKind::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")?
            }
            DecodeErrorKind::OutOfRange { expected } => {
                write!(f, "number out of range for {expected}")?
            }
            DecodeErrorKind::InvalidValue { expected, found } => {
                write!(f, "expected {expected}, found {found:?}")?
            }
            DecodeErrorKind::MissingField => f.write_str("missing field")?,
            DecodeErrorKind::DuplicateField => f.write_str("duplicate field")?,
            DecodeErrorKind::InvalidUtf8 => f.write_str("invalid UTF-8 in string")?,
        }
        write!(f, " (at byte {})", self.offset)
    }
}

impl std::error::Error for DecodeError {}
