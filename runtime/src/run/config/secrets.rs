//! What counts as a secret in a configuration, and how it is shown instead: `***`.

/// What a secret is shown as.
pub(crate) const REDACTED: &str = "***";

/// Parts of librdkafka property names whose values are credentials: `sasl.password`,
/// `ssl.key.password`, `ssl.keystore.password`, `sasl.oauthbearer.client.secret`, `ssl.key.pem`,
/// `sasl.oauthbearer.config` (which may hold a client secret), ...
const SECRET_KEY_PARTS: [&str; 7] = [
    "password",
    "passphrase",
    "secret",
    "token",
    "credential",
    "key.pem",
    "oauthbearer.config",
];

/// Whether the value of the librdkafka property `key` is a credential.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEY_PARTS.iter().any(|part| key.contains(part))
}

/// The value of `key` as it may be shown: itself, or `***` for a credential.
pub(crate) fn shown_value<'a>(key: &str, value: &'a str) -> &'a str {
    if is_secret_key(key) { REDACTED } else { value }
}

/// The byte range of the password in a URL `scheme://user:password@host/...`, if it has one.
///
/// The user information ends at the last `@` before the query, so that a password holding a
/// raw `/` or `@` (which should have been percent-encoded) is still covered as a whole.
fn password_range(url: &str) -> Option<std::ops::Range<usize>> {
    let start = url.find("://")? + 3;
    let end = url[start..].find('?').map_or(url.len(), |q| start + q);
    let at = start + url[start..end].rfind('@')?;
    let colon = start + url[start..at].find(':')?;
    (colon + 1 < at).then_some(colon + 1..at)
}

/// `url` with its password, if any, replaced by `***`: for messages and `Debug` output.
pub fn redact_url(url: &str) -> String {
    match password_range(url) {
        Some(range) => format!("{}{REDACTED}{}", &url[..range.start], &url[range.end..]),
        None => url.to_owned(),
    }
}

/// The password of a URL as written in it (percent-encoded or not), if it has one.
pub(crate) fn url_password(url: &str) -> Option<&str> {
    password_range(url).map(|range| &url[range])
}

/// `text` with `%XX` escapes decoded, as a driver decodes a URL's password.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_password_is_redacted_and_the_rest_kept() {
        assert_eq!(
            redact_url("mysql://app:hunter2@db.example:3306/shop?ssl-mode=REQUIRED"),
            "mysql://app:***@db.example:3306/shop?ssl-mode=REQUIRED"
        );
        assert_eq!(
            redact_url("mysql://app:p%40ss/w@rd@db/shop"),
            "mysql://app:***@db/shop"
        );
        assert_eq!(url_password("mysql://app:p%40ss@db/shop"), Some("p%40ss"));
        assert_eq!(percent_decode("p%40ss%2"), "p@ss%2");
    }

    #[test]
    fn urls_without_a_password_are_unchanged() {
        for url in [
            "mysql://root@127.0.0.1:3306/test",
            "mysql://127.0.0.1/test",
            "mysql://app:@db/shop",
            "not a url",
            "mysql://db/shop?ssl-ca=/etc/ca@x.pem",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn credential_properties_are_secret_and_tuning_is_not() {
        for key in [
            "sasl.password",
            "ssl.key.password",
            "ssl.keystore.password",
            "sasl.oauthbearer.client.secret",
            "ssl.key.pem",
            "sasl.oauthbearer.config",
            "SASL.PASSWORD",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "sasl.username",
            "security.protocol",
            "ssl.key.location",
            "ssl.ca.location",
            "fetch.wait.max.ms",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }
}
