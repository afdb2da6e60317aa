//! librdkafka properties from outside the command line: a properties file and `SLUICE_KAFKA_*`
//! environment variables, so that credentials need not appear in a process listing.

use std::path::Path;

use crate::error::{Error, Result};

/// Environment variables `SLUICE_KAFKA_<KEY>` set the property `<key>`: lower case, `_` → `.`
/// (`SLUICE_KAFKA_SASL_PASSWORD` → `sasl.password`).
pub const ENV_PREFIX: &str = "SLUICE_KAFKA_";

/// The variable naming the properties file (`--kafka-config`): not a property itself.
pub const FILE_ENV: &str = "SLUICE_KAFKA_CONFIG";

/// The properties of a librdkafka properties file: `key=value` lines; blank lines and lines
/// starting with `#` or `!` are skipped; spaces around the key and the value are trimmed.
pub fn read_properties_file(path: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("--kafka-config {}: {e}", path.display())))?;
    parse_properties(&text)
        .map_err(|e| Error::Config(format!("--kafka-config {}: {e}", path.display())))
}

/// A librdkafka client for `brokers` with the user's `options` (`-X`, `--kafka-config`,
/// `SLUICE_KAFKA_*`): the base every client sluice creates adds its own settings to.
pub(crate) fn client_config(brokers: &str, options: &[(String, String)]) -> rdkafka::ClientConfig {
    let mut config = rdkafka::ClientConfig::new();
    config.set("bootstrap.servers", brokers);
    for (key, value) in options {
        config.set(key, value);
    }
    config
}

/// `key=value` as a trimmed pair; `None` without `=` or with an empty key.
pub(crate) fn property(text: &str) -> Option<(String, String)> {
    let (key, value) = text.split_once('=')?;
    let key = key.trim();
    (!key.is_empty()).then(|| (key.to_owned(), value.trim().to_owned()))
}

/// The lines of a properties file, in order. A malformed line is reported by its number only:
/// it may hold a secret.
fn parse_properties(text: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut properties = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        match property(line) {
            Some(pair) => properties.push(pair),
            None => return Err(format!("line {} is not `key=value`", index + 1)),
        }
    }
    Ok(properties)
}

/// The properties set by `SLUICE_KAFKA_*` variables among `vars`, sorted by key.
pub(crate) fn properties_from_env(
    vars: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Result<Vec<(String, String)>> {
    let mut properties = Vec::new();
    for (name, value) in vars {
        let Some(name) = name.to_str() else { continue };
        let Some(key) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if name == FILE_ENV || key.is_empty() {
            continue;
        }
        let value = value.into_string().map_err(|_| {
            Error::Config(format!("environment variable {name} is not valid UTF-8"))
        })?;
        properties.push((key.to_ascii_lowercase().replace('_', "."), value));
    }
    properties.sort();
    Ok(properties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_properties_file_is_key_value_lines_with_comments() {
        let text = "# credentials\n\nsecurity.protocol = SASL_SSL\n! also a comment\n\
                    sasl.password=a=b c\n";
        assert_eq!(
            parse_properties(text),
            Ok(vec![
                ("security.protocol".into(), "SASL_SSL".into()),
                ("sasl.password".into(), "a=b c".into()),
            ])
        );
    }

    #[test]
    fn a_malformed_line_is_named_by_its_number_not_its_text() {
        let error = parse_properties("a=1\nhunter2\n").expect_err("malformed");
        assert_eq!(error, "line 2 is not `key=value`");
    }

    #[test]
    fn environment_variables_map_to_property_names() {
        let vars = [
            ("SLUICE_KAFKA_SASL_PASSWORD", "hunter2"),
            ("SLUICE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
            ("SLUICE_KAFKA_CONFIG", "/etc/sluice/kafka.properties"),
            ("SLUICE_BROKERS", "b:9092"),
            ("PATH", "/bin"),
        ]
        .map(|(k, v)| (k.into(), v.into()));
        assert_eq!(
            properties_from_env(vars).expect("valid"),
            vec![
                ("sasl.password".to_owned(), "hunter2".to_owned()),
                ("security.protocol".to_owned(), "SASL_SSL".to_owned()),
            ]
        );
    }
}
