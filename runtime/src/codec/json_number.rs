//! Numbers: integers read digit by digit with overflow checks, floats by the standard parser.

use super::json::JsonReader;
use super::{DecodeError, DecodeErrorKind};

type Result<T> = std::result::Result<T, DecodeError>;

impl JsonReader<'_> {
    /// Reads a non-negative integer; `expected` names the target type for errors.
    #[inline]
    pub fn read_u64(&mut self, expected: &'static str) -> Result<u64> {
        match self.peek() {
            Some(b'0'..=b'9') => {}
            Some(b'-') => {
                return Err(self.error(DecodeErrorKind::OutOfRange { expected }));
            }
            _ => return Err(self.wrong_type(expected)),
        }
        let start = self.pos;
        let (value, overflow) = self.read_digits();
        self.finish_integer(start, expected)?;
        if overflow {
            return Err(DecodeError::at(
                start,
                DecodeErrorKind::OutOfRange { expected },
            ));
        }
        Ok(value)
    }

    /// Reads an integer that may be negative; `expected` names the target type for errors.
    #[inline]
    pub fn read_i64(&mut self, expected: &'static str) -> Result<i64> {
        let negative = match self.peek() {
            Some(b'-') => {
                self.pos += 1;
                true
            }
            Some(b'0'..=b'9') => false,
            _ => return Err(self.wrong_type(expected)),
        };
        let start = self.pos;
        if !matches!(self.input.get(self.pos), Some(b'0'..=b'9')) {
            return Err(self.syntax("expected a digit after `-`"));
        }
        let (magnitude, overflow) = self.read_digits();
        self.finish_integer(start, expected)?;
        let value = if negative {
            0i64.checked_sub_unsigned(magnitude)
        } else {
            i64::try_from(magnitude).ok()
        };
        match value {
            Some(v) if !overflow => Ok(v),
            _ => Err(DecodeError::at(
                start,
                DecodeErrorKind::OutOfRange { expected },
            )),
        }
    }

    /// Reads a run of decimal digits; `true` with it when the value does not fit a `u64`.
    #[inline]
    fn read_digits(&mut self) -> (u64, bool) {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        // Nineteen digits always fit a u64: no overflow check per digit.
        let mut value: u64 = 0;
        let mut count = 0;
        while let Some(&byte) = rest.get(count) {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 || count == 19 {
                break;
            }
            value = value * 10 + u64::from(digit);
            count += 1;
        }
        if !rest.get(count).is_some_and(u8::is_ascii_digit) {
            self.pos += count;
            return (value, false);
        }
        let mut value: u64 = 0;
        let mut overflow = false;
        while let Some(&digit @ b'0'..=b'9') = self.input.get(self.pos) {
            match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit - b'0')))
            {
                Some(v) => value = v,
                None => overflow = true,
            }
            self.pos += 1;
        }
        (value, overflow)
    }

    /// After the digits of an integer: a fraction or exponent means the number is not an
    /// integer, and a leading zero followed by digits is not JSON.
    fn finish_integer(&mut self, start: usize, expected: &'static str) -> Result<()> {
        if self.input[start] == b'0' && self.pos - start > 1 {
            return Err(DecodeError::at(
                start,
                DecodeErrorKind::Syntax("leading zero in number"),
            ));
        }
        if let Some(b'.' | b'e' | b'E') = self.input.get(self.pos) {
            self.pos = start;
            self.skip_number()?;
            return Err(DecodeError::at(
                start,
                DecodeErrorKind::WrongType {
                    expected,
                    found: "a fractional number",
                },
            ));
        }
        Ok(())
    }

    /// Reads any JSON number as `f64`.
    pub fn read_f64(&mut self, expected: &'static str) -> Result<f64> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => {}
            _ => return Err(self.wrong_type(expected)),
        }
        let start = self.pos;
        self.skip_number()?;
        let text = std::str::from_utf8(&self.input[start..self.pos])
            .map_err(|_| DecodeError::at(start, DecodeErrorKind::Syntax("invalid number")))?;
        text.parse::<f64>()
            .map_err(|_| DecodeError::at(start, DecodeErrorKind::Syntax("invalid number")))
    }

    pub(super) fn skip_number(&mut self) -> Result<()> {
        if self.input.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let digits = |r: &mut Self| {
            let start = r.pos;
            while let Some(b'0'..=b'9') = r.input.get(r.pos) {
                r.pos += 1;
            }
            r.pos > start
        };
        if !digits(self) {
            return Err(self.syntax("expected digits"));
        }
        if self.input.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.syntax("expected digits after `.`"));
            }
        }
        if let Some(b'e' | b'E') = self.input.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.input.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.syntax("expected digits in exponent"));
            }
        }
        Ok(())
    }
}
