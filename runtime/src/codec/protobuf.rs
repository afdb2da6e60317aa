//! Protocol Buffers' wire format, for the decoders and encoders `#[derive(Message)]` generates
//! for `format = "protobuf"`: the generated code knows the message (checked against its
//! `.proto` file at compile time) and matches each field's number.

use super::encode_error::{EncodeMessageError, Written};
use super::{DecodeError, DecodeErrorKind};

type Result<T> = std::result::Result<T, DecodeError>;

/// The wire types: a varint, 8 bytes, a length and bytes, 4 bytes.
pub const VARINT: u8 = 0;
pub const FIXED64: u8 = 1;
pub const LENGTH: u8 = 2;
pub const FIXED32: u8 = 5;

/// Reads the fields of one message, front to back.
#[derive(Debug)]
pub struct ProtoReader<'de> {
    input: &'de [u8],
    pos: usize,
}

fn malformed(offset: usize, what: &'static str) -> DecodeError {
    DecodeError::at(offset, DecodeErrorKind::Protobuf(what))
}

impl<'de> ProtoReader<'de> {
    #[inline]
    pub fn new(input: &'de [u8]) -> Self {
        ProtoReader { input, pos: 0 }
    }

    /// The current byte offset, for error messages.
    #[inline]
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The next field's number and wire type; `None` at the end of the message.
    #[inline]
    pub fn next_key(&mut self) -> Result<Option<(u32, u8)>> {
        if self.pos == self.input.len() {
            return Ok(None);
        }
        let at = self.pos;
        let key = self.read_varint()?;
        let number = u32::try_from(key >> 3)
            .ok()
            .filter(|n| *n > 0 && *n < 1 << 29)
            .ok_or_else(|| malformed(at, "a field number out of range"))?;
        Ok(Some((number, (key & 7) as u8)))
    }

    /// Checks that the value at hand has `expected`, the wire type of the field's type.
    #[inline]
    pub fn expect(&self, found: u8, expected: u8) -> Result<()> {
        if found == expected {
            Ok(())
        } else {
            Err(malformed(
                self.pos,
                "a value of another wire type than the field's type",
            ))
        }
    }

    #[inline]
    pub fn read_varint(&mut self) -> Result<u64> {
        if let Some(&byte) = self.input.get(self.pos)
            && byte < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(byte));
        }
        let at = self.pos;
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = *self
                .input
                .get(self.pos)
                .ok_or_else(|| malformed(self.input.len(), "the message ends inside a number"))?;
            self.pos += 1;
            if shift == 63 && byte > 1 {
                break;
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(malformed(at, "a varint longer than 64 bits"))
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'de [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.input.len())
            .ok_or_else(|| malformed(self.input.len(), "the message ends inside a value"))?;
        let bytes = &self.input[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    #[inline]
    pub fn read_fixed32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    #[inline]
    pub fn read_fixed64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(b);
        Ok(u64::from_le_bytes(array))
    }

    #[inline]
    pub fn read_bytes(&mut self) -> Result<&'de [u8]> {
        let at = self.pos;
        let length = usize::try_from(self.read_varint()?)
            .map_err(|_| malformed(at, "a length beyond the message"))?;
        self.take(length)
    }

    #[inline]
    pub fn read_string(&mut self) -> Result<&'de str> {
        let bytes = self.read_bytes()?;
        let start = self.pos - bytes.len();
        std::str::from_utf8(bytes)
            .map_err(|e| DecodeError::at(start + e.valid_up_to(), DecodeErrorKind::InvalidUtf8))
    }

    /// Passes over a value of wire type `wire` (of a field the struct does not read).
    pub fn skip(&mut self, wire: u8) -> Result<()> {
        match wire {
            VARINT => self.read_varint().map(drop),
            FIXED64 => self.take(8).map(drop),
            LENGTH => self.read_bytes().map(drop),
            FIXED32 => self.take(4).map(drop),
            _ => Err(malformed(
                self.pos,
                "a group or an unknown wire type (sluice reads 0, 1, 2 and 5)",
            )),
        }
    }
}

/// The integer of a varint field, as `int32`/`int64` (two's complement), `uint*` or
/// `sint*` (zigzag) say, into a field of type `T`.
#[inline]
pub fn integer<T: TryFrom<i64> + TryFrom<u64>>(
    value: i128,
    offset: usize,
    expected: &'static str,
) -> Result<T> {
    let converted = if value < 0 {
        i64::try_from(value).ok().and_then(|v| T::try_from(v).ok())
    } else {
        u64::try_from(value).ok().and_then(|v| T::try_from(v).ok())
    };
    converted.ok_or_else(|| DecodeError::at(offset, DecodeErrorKind::OutOfRange { expected }))
}

/// What a varint holds for each varint type: `int32` is the low 32 bits as signed.
#[inline]
pub fn varint_value(raw: u64, scalar: Varint) -> i128 {
    match scalar {
        Varint::Int32 => i128::from(raw as u32 as i32),
        Varint::Int64 => i128::from(raw as i64),
        Varint::Uint32 => i128::from(raw as u32),
        Varint::Uint64 => i128::from(raw),
        Varint::Sint32 => {
            let low = raw as u32;
            i128::from((low >> 1) as i32 ^ -((low & 1) as i32))
        }
        Varint::Sint64 => i128::from((raw >> 1) as i64 ^ -((raw & 1) as i64)),
    }
}

/// The varint-encoded integer types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Varint {
    Int32,
    Int64,
    Uint32,
    Uint64,
    Sint32,
    Sint64,
}

pub fn write_key(number: u32, wire: u8, out: &mut Vec<u8>) {
    write_varint((u64::from(number) << 3) | u64::from(wire), out);
}

pub fn write_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub fn write_bytes(value: &[u8], out: &mut Vec<u8>) {
    write_varint(value.len() as u64, out);
    out.extend_from_slice(value);
}

/// An integer field as a varint of `scalar`'s encoding; out of its range is an error.
pub fn write_integer<T: TryInto<i128>>(value: T, scalar: Varint, out: &mut Vec<u8>) -> Written {
    let value: i128 = value.try_into().ok().unwrap_or(i128::MAX);
    let out_of_range =
        || EncodeMessageError::new("the value is beyond the range of its protobuf type");
    let raw = match scalar {
        Varint::Int32 => i64::from(i32::try_from(value).map_err(|_| out_of_range())?) as u64,
        Varint::Int64 => i64::try_from(value).map_err(|_| out_of_range())? as u64,
        Varint::Uint32 => u64::from(u32::try_from(value).map_err(|_| out_of_range())?),
        Varint::Uint64 => u64::try_from(value).map_err(|_| out_of_range())?,
        Varint::Sint32 => {
            let v = i32::try_from(value).map_err(|_| out_of_range())?;
            u64::from(((v << 1) ^ (v >> 31)) as u32)
        }
        Varint::Sint64 => {
            let v = i64::try_from(value).map_err(|_| out_of_range())?;
            ((v << 1) ^ (v >> 63)) as u64
        }
    };
    write_varint(raw, out);
    Ok(())
}

/// A fixed-width integer field (`fixed32`, `sfixed32`, `fixed64`, `sfixed64`).
pub fn write_fixed<T: TryInto<i128>>(
    value: T,
    bits: u32,
    signed: bool,
    out: &mut Vec<u8>,
) -> Written {
    let value: i128 = value.try_into().ok().unwrap_or(i128::MAX);
    let out_of_range =
        || EncodeMessageError::new("the value is beyond the range of its protobuf type");
    match (bits, signed) {
        (32, false) => out.extend_from_slice(
            &u32::try_from(value)
                .map_err(|_| out_of_range())?
                .to_le_bytes(),
        ),
        (32, true) => out.extend_from_slice(
            &i32::try_from(value)
                .map_err(|_| out_of_range())?
                .to_le_bytes(),
        ),
        (_, false) => out.extend_from_slice(
            &u64::try_from(value)
                .map_err(|_| out_of_range())?
                .to_le_bytes(),
        ),
        (_, true) => out.extend_from_slice(
            &i64::try_from(value)
                .map_err(|_| out_of_range())?
                .to_le_bytes(),
        ),
    }
    Ok(())
}

/// A fixed-width integer as the field type reads it.
#[inline]
pub fn fixed_value(raw: u64, bits: u32, signed: bool) -> i128 {
    match (bits, signed) {
        (32, false) => i128::from(raw as u32),
        (32, true) => i128::from(raw as u32 as i32),
        (_, false) => i128::from(raw),
        (_, true) => i128::from(raw as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_of_every_encoding_read_back() {
        for (value, scalar) in [
            (-1i64, Varint::Int32),
            (-1, Varint::Int64),
            (i64::MIN, Varint::Int64),
            (-3, Varint::Sint32),
            (i64::MIN, Varint::Sint64),
            (300, Varint::Uint32),
            (i64::MAX, Varint::Uint64),
        ] {
            let mut out = Vec::new();
            write_integer(value, scalar, &mut out).expect("in range");
            let mut reader = ProtoReader::new(&out);
            let raw = reader.read_varint().expect("a varint");
            assert_eq!(varint_value(raw, scalar), i128::from(value), "{scalar:?}");
        }
        let mut out = Vec::new();
        write_integer(-1i64, Varint::Int32, &mut out).expect("in range");
        assert_eq!(out.len(), 10, "a negative int32 takes ten bytes");
        assert!(write_integer(-1i64, Varint::Uint64, &mut out).is_err());
        assert!(write_integer(u64::MAX, Varint::Int64, &mut out).is_err());
        assert_eq!(integer::<u8>(300, 0, "u8").expect_err("too big").offset, 0);
    }

    #[test]
    fn malformed_messages_say_where() {
        let kind = |input: &[u8]| {
            let mut reader = ProtoReader::new(input);
            loop {
                match reader.next_key() {
                    Ok(Some((_, wire))) => {
                        if let Err(e) = reader.skip(wire) {
                            return e.into_detail().kind;
                        }
                    }
                    Ok(None) => panic!("no error in {input:?}"),
                    Err(e) => return e.into_detail().kind,
                }
            }
        };
        assert_eq!(
            kind(&[0x08]),
            DecodeErrorKind::Protobuf("the message ends inside a number")
        );
        assert_eq!(
            kind(&[0x0a, 5, b'a']),
            DecodeErrorKind::Protobuf("the message ends inside a value")
        );
        assert_eq!(
            kind(&[0x00]),
            DecodeErrorKind::Protobuf("a field number out of range")
        );
        assert_eq!(
            kind(&[0x0b]),
            DecodeErrorKind::Protobuf(
                "a group or an unknown wire type (sluice reads 0, 1, 2 and 5)"
            )
        );
        assert_eq!(
            kind(&[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f
            ]),
            DecodeErrorKind::Protobuf("a varint longer than 64 bits")
        );
    }
}
