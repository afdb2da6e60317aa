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

    /// Skips the string starting at the current `"`, checking it as [`read_str`] would,
    /// without copying it.
    pub(super) fn skip_string(&mut self) -> Result<()> {
        let open = self.pos;
        let rest = self.input.get(open + 1..).unwrap_or_default();
        let plain = special_byte(rest);
        if let Some(end) = plain
            && rest[end] == b'"'
        {
            std::str::from_utf8(&rest[..end])
                .map_err(|_| DecodeError::at(open, DecodeErrorKind::InvalidUtf8))?;
            self.pos = open + end + 2;
            return Ok(());
        }
        self.read_string_body().map(drop)
    }

    /// Reads the bytes of the string starting at the current `"`, unescaped, without checking
    /// that they are UTF-8: borrowed from the input unless the string contains escapes.
    pub(super) fn read_string_bytes(&mut self) -> Result<Cow<'de, [u8]>> {
        self.pos += 1;
        let start = self.pos;
        let input = self.input;
        let rest = input.get(start..).unwrap_or_default();
        let plain = special_byte(rest).unwrap_or(rest.len());
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

/// The index of the first byte in `bytes` that ends a string's plain run: `"`, `\\` or a
/// control character. Eight bytes are tested at a time: a byte's high bit in `found` is set
/// when it equals `"` or `\\`, or is below 0x20 (a borrow can set bits above a byte that
/// matches, never below it, so the lowest set bit is the first match).
#[inline]
fn special_byte(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut start = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let found = zero_byte(x ^ (ONES * u64::from(b'"')))
            | zero_byte(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGHS);
        if found != 0 {
            return Some(start + (found.trailing_zeros() / 8) as usize);
        }
        start += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| start + i)
}

#[cfg(test)]
mod tests {
    use super::special_byte;

    #[test]
    fn the_first_special_byte_is_found_in_words_and_in_the_rest() {
        let naive = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        };
        let mut cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"plain text without an end".to_vec(),
            "caf\u{e9} \u{1f980} \u{ff}".as_bytes().to_vec(),
        ];
        for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for at in 0..20 {
                for filler in [b'a', 0x7f, 0x80, 0xff, 0x20, 0x21] {
                    let mut bytes = vec![filler; 20];
                    bytes[at] = special;
                    // A second special byte after the first must not hide it.
                    if at + 3 < 20 {
                        bytes[at + 3] = b'"';
                    }
                    cases.push(bytes);
                }
            }
        }
        for case in &cases {
            assert_eq!(special_byte(case), naive(case), "{case:?}");
        }
    }
}
