//! A Confluent Schema Registry client: the writer schema of an Avro payload written with
//! another schema id than the compiled one, fetched once per id, and the payload resolved
//! against the compiled (reader) schema by Avro's resolution rules.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use apache_avro::{Schema, from_avro_datum, to_avro_datum};

use crate::codec::avro::write_confluent_header;
use crate::contract::message::AvroSchema;
use crate::error::{Error, Result};
use crate::run::config::secrets::{percent_decode, redact_url};

/// The most apache-avro may allocate for one value (a string's bytes, an array's items) while
/// reading a writer's record: a few bytes of a hostile payload must not reserve gigabytes.
const MAX_ALLOCATION: usize = 4 << 20;
/// How long an id the registry did not have is remembered before it is asked again.
const FORGET_MISSING: Duration = Duration::from_secs(30);

/// How often a failed request is tried again, and the first pause (it doubles).
const ATTEMPTS: u32 = 4;
const FIRST_PAUSE: Duration = Duration::from_millis(250);

pub(crate) struct SchemaRegistry {
    /// Without a final `/` and without credentials.
    base: String,
    /// The URL as logs may show it.
    shown: String,
    authorization: Option<String>,
    agent: ureq::Agent,
    /// Schemas by id: the writers' as the registry has them (a missing id stays missing), the
    /// compiled readers' parsed once.
    schemas: Mutex<HashMap<u32, Known>>,
    readers: Mutex<HashMap<u32, Arc<Schema>>>,
}

/// Why a payload could not be resolved.
#[derive(Debug)]
pub(crate) enum Unresolved {
    /// Because of the payload (an id the registry does not have, a schema that does not
    /// resolve against the compiled one): the message is a dead letter.
    Message(String),
    /// Because the registry did not answer, or refused the credentials: no message that needs
    /// it can be decoded, and the run stops (a restart resumes from the stored positions).
    Registry(Error),
}

/// What the registry said of an id: its schema, or why not (remembered for a while).
#[derive(Clone)]
enum Known {
    Schema(Arc<Schema>),
    Missing(String, Instant),
}

impl std::fmt::Debug for SchemaRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaRegistry")
            .field("url", &self.shown)
            .finish()
    }
}

impl SchemaRegistry {
    /// A client of the registry at `url`, `http(s)://[user:password@]host[:port][/path]`.
    pub fn new(url: &str) -> Result<Self> {
        let bad = || {
            Error::Config(format!(
                "--schema-registry-url must be http(s)://[USER:PASSWORD@]HOST[:PORT] (got {})",
                redact_url(url)
            ))
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        if scheme != "http" && scheme != "https" {
            return Err(bad());
        }
        // The user information ends at the last `@` (a secret may hold a raw `/`).
        let (credentials, location) = match rest.rsplit_once('@') {
            Some((credentials, location)) => (Some(credentials), location),
            None => (None, rest),
        };
        let host = location.split('/').next().unwrap_or_default();
        if host.is_empty() {
            return Err(bad());
        }
        let authorization = credentials.map(|c| {
            let (user, password) = c.split_once(':').unwrap_or((c, ""));
            let pair = format!("{}:{}", percent_decode(user), percent_decode(password));
            format!("Basic {}", base64(pair.as_bytes()))
        });
        apache_avro::util::max_allocation_bytes(MAX_ALLOCATION);
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .build();
        Ok(SchemaRegistry {
            base: format!("{scheme}://{}", location.trim_end_matches('/')),
            shown: redact_url(url),
            authorization,
            agent: config.into(),
            schemas: Mutex::default(),
            readers: Mutex::default(),
        })
    }

    /// `payload`, in Confluent's wire format with a writer schema id other than `reader`'s,
    /// as a payload of `reader`: its record read with the writer's schema and resolved against
    /// `reader`'s. The error says why it cannot be.
    pub fn resolve(
        &self,
        payload: &[u8],
        reader: AvroSchema,
    ) -> std::result::Result<Vec<u8>, Unresolved> {
        self.resolve_payload(payload, reader)
            .map_err(|failure| match failure {
                Failure::Payload(why) => Unresolved::Message(why),
                Failure::Registry(reason) => Unresolved::Registry(Error::SchemaRegistry {
                    server: self.shown.clone(),
                    reason,
                }),
            })
    }

    fn resolve_payload(
        &self,
        payload: &[u8],
        reader: AvroSchema,
    ) -> std::result::Result<Vec<u8>, Failure> {
        let header = payload
            .get(1..5)
            .ok_or_else(|| Failure::Payload("the payload ends inside the schema id".into()))?;
        let writer_id = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let writer = self.writer(writer_id)?;
        let reader_schema = self.reader(reader).map_err(Failure::Payload)?;
        let mut datum = &payload[5..];
        let value = from_avro_datum(&writer, &mut datum, Some(&reader_schema)).map_err(|e| {
            Failure::Payload(format!(
                "written with schema id {writer_id}, which does not resolve against the compiled \
                 schema (id {}): {e}",
                reader.id
            ))
        })?;
        if !datum.is_empty() {
            return Err(Failure::Payload(format!(
                "bytes after the end of the record written with schema id {writer_id}"
            )));
        }
        let mut resolved = Vec::with_capacity(payload.len());
        write_confluent_header(reader.id, &mut resolved);
        let record = to_avro_datum(&reader_schema, value).map_err(|e| {
            Failure::Payload(format!(
                "the resolved record does not fit the compiled schema: {e}"
            ))
        })?;
        resolved.extend_from_slice(&record);
        Ok(resolved)
    }

    fn reader(&self, reader: AvroSchema) -> std::result::Result<Arc<Schema>, String> {
        let mut readers = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(schema) = readers.get(&reader.id) {
            return Ok(Arc::clone(schema));
        }
        let schema = Arc::new(
            Schema::parse_str(reader.text).map_err(|e| format!("the compiled schema: {e}"))?,
        );
        readers.insert(reader.id, Arc::clone(&schema));
        Ok(schema)
    }

    /// Schema `id` from the registry, fetched once; an id the registry does not have is an
    /// error each time, an unreachable registry is retried first.
    fn writer(&self, id: u32) -> std::result::Result<Arc<Schema>, Failure> {
        // Held while fetching: the workers that meet a new id wait for one request.
        let mut schemas = self.schemas.lock().unwrap_or_else(PoisonError::into_inner);
        match schemas.get(&id) {
            Some(Known::Schema(schema)) => return Ok(Arc::clone(schema)),
            Some(Known::Missing(why, since)) if since.elapsed() < FORGET_MISSING => {
                return Err(Failure::Payload(why.clone()));
            }
            _ => {}
        }
        let known = match self.fetch(id) {
            Fetched::Schema(text) => match Schema::parse_str(&text) {
                Ok(schema) => Known::Schema(Arc::new(schema)),
                Err(e) => Known::Missing(
                    format!("schema id {id} from {} does not parse: {e}", self.shown),
                    Instant::now(),
                ),
            },
            Fetched::Missing(why) => Known::Missing(why, Instant::now()),
            Fetched::Unreachable(why) => return Err(Failure::Registry(why)),
        };
        schemas.insert(id, known.clone());
        match known {
            Known::Schema(schema) => Ok(schema),
            Known::Missing(why, _) => Err(Failure::Payload(why)),
        }
    }

    fn fetch(&self, id: u32) -> Fetched {
        let url = format!("{}/schemas/ids/{id}", self.base);
        let mut pause = FIRST_PAUSE;
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let mut request = self
                .agent
                .get(&url)
                .header("Accept", "application/vnd.schemaregistry.v1+json");
            if let Some(authorization) = &self.authorization {
                request = request.header("Authorization", authorization);
            }
            match request.call() {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let body = response.body_mut().read_to_string().unwrap_or_default();
                    match status {
                        200 => return parse_schema_response(id, &body),
                        404 => {
                            return Fetched::Missing(format!(
                                "written with schema id {id}, which the Schema Registry at {} \
                                 does not have",
                                self.shown
                            ));
                        }
                        401 | 403 => {
                            return Fetched::Unreachable(format!(
                                "it refused the credentials (HTTP {status}) for schema id {id}"
                            ));
                        }
                        _ => last = format!("HTTP {status}: {}", body.trim()),
                    }
                }
                Err(e) => last = e.to_string(),
            }
            if attempt < ATTEMPTS {
                std::thread::sleep(pause);
                pause *= 2;
            }
        }
        Fetched::Unreachable(format!(
            "it did not give schema id {id} in {ATTEMPTS} attempts: {last}"
        ))
    }
}

/// Why a payload was not resolved, before the registry's URL is added.
enum Failure {
    Payload(String),
    Registry(String),
}

enum Fetched {
    Schema(String),
    Missing(String),
    Unreachable(String),
}

/// `{"schema": "..."}`, Confluent's answer to `GET /schemas/ids/{id}`.
fn parse_schema_response(id: u32, body: &str) -> Fetched {
    let json: serde_json::Value = match serde_json::from_str(body) {
        Ok(json) => json,
        Err(e) => {
            return Fetched::Missing(format!(
                "schema id {id}: the registry's answer is not JSON: {e}"
            ));
        }
    };
    if let Some(kind) = json.get("schemaType").and_then(|t| t.as_str())
        && kind != "AVRO"
    {
        return Fetched::Missing(format!("schema id {id} is a {kind} schema, not Avro"));
    }
    match json.get("schema").and_then(|s| s.as_str()) {
        Some(schema) => Fetched::Schema(schema.to_owned()),
        None => Fetched::Missing(format!(
            "schema id {id}: the registry's answer has no `schema`"
        )),
    }
}

/// Standard base64 with padding, for HTTP basic authentication.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> shift) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_base64() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
    }

    #[test]
    fn urls_are_checked_and_credentials_kept_out_of_the_base() {
        let registry = SchemaRegistry::new("https://u:secret@registry:8081/api/").expect("valid");
        assert_eq!(registry.base, "https://registry:8081/api");
        assert_eq!(
            registry.authorization.as_deref(),
            Some("Basic dTpzZWNyZXQ=")
        );
        assert!(!format!("{registry:?}").contains("secret"));
        assert!(SchemaRegistry::new("registry:8081").is_err());
        assert!(SchemaRegistry::new("ftp://registry").is_err());
    }
}
