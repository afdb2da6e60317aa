use std::fmt;

/// Why a message could not be decoded into its struct.
///
/// It names the field (when the failure belongs to one), what was expected there and the byte
/// offset in the payload, so a dead-letter entry says what to fix without a debugger. The
/// details ([`DecodeErrorDetail`], reached through `Deref`) are boxed: every step of a decoder
/// returns a `Result` with this error, and a pointer-sized error keeps those results in
/// registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(Box<DecodeErrorDetail>);

/// What a [`DecodeError`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeErrorDetail {
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
    /// The payload is not a well-formed CSV record.
    Csv(&'static str),
    /// The payload is not a well-formed Avro record in Confluent's wire format.
    Avro(&'static str),
    /// The payload is not a well-formed Protocol Buffers message.
    Protobuf(&'static str),
    /// An Avro payload written with another schema than the one the struct was checked against.
    SchemaId {
        /// The registry id of the compiled schema.
        expected: u32,
        /// The id in the payload.
        found: u32,
    },
    /// A CSV record with more or fewer fields than the struct (or its header row) has.
    ColumnCount {
        /// The number of fields a record must have.
        expected: usize,
        /// The number it has.
        found: usize,
    },
}

impl DecodeError {
    fn new(field: Option<&'static str>, offset: usize, kind: DecodeErrorKind) -> Self {
        DecodeError(Box::new(DecodeErrorDetail {
            field,
            offset,
            kind,
        }))
    }

    pub(crate) fn at(offset: usize, kind: DecodeErrorKind) -> Self {
        DecodeError::new(None, offset, kind)
    }

    /// Attributes the error to `field` unless an inner field was already named.
    #[must_use]
    pub fn in_field(mut self, field: &'static str) -> Self {
        self.0.field.get_or_insert(field);
        self
    }

    /// Moves the error `by` bytes further into the payload: an error of a decoder that read
    /// a part of it.
    #[must_use]
    pub fn shifted(mut self, by: usize) -> Self {
        self.0.offset = self.0.offset.saturating_add(by);
        self
    }

    /// The details, owned.
    pub fn into_detail(self) -> DecodeErrorDetail {
        *self.0
    }

    /// The error for a required `field` that the object at `offset` lacks.
    pub fn missing(field: &'static str, offset: usize) -> Self {
        DecodeError::new(Some(field), offset, DecodeErrorKind::MissingField)
    }

    /// The error for a `field` that appears twice, found at `offset`.
    pub fn duplicate(field: &'static str, offset: usize) -> Self {
        DecodeError::new(Some(field), offset, DecodeErrorKind::DuplicateField)
    }
}

impl std::ops::Deref for DecodeError {
    type Target = DecodeErrorDetail;

    fn deref(&self) -> &DecodeErrorDetail {
        &self.0
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
            DecodeErrorKind::Csv(what) => write!(f, "invalid CSV: {what}")?,
            DecodeErrorKind::Avro(what) => write!(f, "invalid Avro: {what}")?,
            DecodeErrorKind::Protobuf(what) => write!(f, "invalid protobuf: {what}")?,
            DecodeErrorKind::SchemaId { expected, found } => write!(
                f,
                "written with schema id {found}, but the struct was checked against schema id \
                 {expected}"
            )?,
            DecodeErrorKind::ColumnCount { expected, found } => {
                write!(f, "expected {expected} fields in the record, found {found}")?
            }
        }
        write!(f, " (at byte {})", self.offset)
    }
}

impl std::error::Error for DecodeError {}

/// The start of `text`, for error messages that must stay one line.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
