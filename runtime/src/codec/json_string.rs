//! Strings: borrowed from the input when they hold no escape, unescaped into a copy otherwise.

use std::borrow::Cow;

use super::json::JsonReader;
use super::{DecodeError, DecodeErrorKind};

type Result<T> = std::result::Result<T, DecodeError>;

impl<'de> JsonReader<'de> {
    /// Reads a string, borrowed from the input unless it contains escapes.
    #[inline]
    pub fn read_str(&mut self, expected: &'static str) -> Result<Cow<'de, str>> {
        if self.peek() != Some(b'"') {
            return Err(self.wrong_type(expected));
        }
        self.read_string_body()
    }

    /// Reads the string starting at the current `"`.
    pub(super) fn read_string_body(&mut self) -> Result<Cow<'de, str>> {
        let open = self.pos;
        match self.read_string_bytes()? {
            Cow::Borrowed(raw) => std::str::from_utf8(raw).map(Cow::Borrowed),
            Cow::Owned(owned) => String::from_utf8(owned)
                .map(Cow::Owned)
                .map_err(|e| e.utf8_error()),
        }
        .map_err(|_| DecodeError::at(open, DecodeErrorKind::InvalidUtf8))
    }

    /// Reads the bytes of the string starting at the current `"`, unescaped, without checking
    /// that they are UTF-8: borrowed from the input unless the string contains escapes.
    pub(super) fn read_string_bytes(&mut self) -> Result<Cow<'de, [u8]>> {
        self.pos += 1;
        let start = self.pos;
        let input = self.input;
        let rest = input.get(start..).unwrap_or_default();
        let plain = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(rest.len());
        self.pos += plain;
        match input.get(self.pos) {
            Some(b'"') => {
                self.pos += 1;
                return Ok(Cow::Borrowed(&input[start..self.pos - 1]));
            }
            Some(b'\\') => {}
            Some(_) => return Err(self.syntax("control character in string")),
            None => return Err(self.syntax("unterminated string")),
        }
        let mut owned = input[start..self.pos].to_vec();
        loop {
            match input.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.read_escape(&mut owned)?;
                }
                Some(0..=0x1f) => return Err(self.syntax("control character in string")),
                Some(&byte) => {
                    owned.push(byte);
                    self.pos += 1;
                }
                None => return Err(self.syntax("unterminated string")),
            }
        }
    }

    fn read_escape(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let Some(&escape) = self.input.get(self.pos) else {
            return Err(self.syntax("unterminated escape"));
        };
        self.pos += 1;
        let byte = match escape {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let ch = self.read_unicode_escape()?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                return Ok(());
            }
            _ => return Err(self.syntax("invalid escape")),
        };
        out.push(byte);
        Ok(())
    }

    fn read_hex4(&mut self) -> Result<u32> {
        let digits = self
            .input
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.syntax("short \\u escape"))?;
        let mut value = 0u32;
        for &d in digits {
            let nibble = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.syntax("invalid hex digit in \\u escape"))?;
            value = value * 16 + nibble;
        }
        self.pos += 4;
        Ok(value)
    }

    fn read_unicode_escape(&mut self) -> Result<char> {
        let first = self.read_hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.input[self.pos..].starts_with(b"\\u") {
                return Err(self.syntax("unpaired surrogate in \\u escape"));
            }
            self.pos += 2;
            let second = self.read_hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.syntax("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.syntax("invalid \\u escape"))
    }
}
