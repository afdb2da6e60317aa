//! Durations as people write them in attributes, flags and job files: `250ms`, `5s`, `2m`, `1h`.

/// `"500ms"`, `"5s"`, `"2m"` (or `"2min"`), `"1h"`, `"1d"` in milliseconds; `None` for anything
/// else, a number without its unit included, or a value past `i64::MAX` milliseconds.
pub fn parse_duration_millis(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().ok()?;
    let unit = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    number.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::parse_duration_millis;

    #[test]
    fn units() {
        assert_eq!(parse_duration_millis("250ms"), Some(250));
        assert_eq!(parse_duration_millis(" 5s "), Some(5_000));
        assert_eq!(parse_duration_millis("2m"), Some(120_000));
        assert_eq!(parse_duration_millis("2 min"), Some(120_000));
        assert_eq!(parse_duration_millis("1h"), Some(3_600_000));
        assert_eq!(parse_duration_millis("1d"), Some(86_400_000));
    }

    #[test]
    fn refused() {
        for text in [
            "",
            "5",
            "s",
            "-5s",
            "1.5s",
            "5 parsecs",
            "99999999999999999999ms",
        ] {
            assert_eq!(parse_duration_millis(text), None, "{text:?}");
        }
        assert_eq!(parse_duration_millis("9223372036854775807s"), None);
    }
}
