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

/// A field's value as the 32-bit float its format's type holds (an `f64` field of a `float`
/// type): a finite value beyond `f32`'s range is an error, not an infinity.
pub fn narrow_float<T: Into<f64>>(value: T) -> Result<f32, EncodeMessageError> {
    let wide: f64 = value.into();
    let narrow = wide as f32;
    if wide.is_finite() && !narrow.is_finite() {
        return Err(EncodeMessageError::new(
            "the value is beyond the range of its format's 32-bit float",
        ));
    }
    Ok(narrow)
}
