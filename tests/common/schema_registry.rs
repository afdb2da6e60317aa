//! A Schema Registry for the tests: the part of Confluent's REST API a consumer uses
//! (`GET /schemas/ids/{id}`), over HTTP/1.1 on a free port, with the requests it answered.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A request's path and its `Authorization` header.
pub type Request = (String, Option<String>);

/// A registry serving `schemas` (id → `.avsc` text) until the test ends.
pub struct TestRegistry {
    pub url: String,
    /// Every request answered.
    pub requests: Arc<Mutex<Vec<Request>>>,
}

impl TestRegistry {
    pub fn start(schemas: BTreeMap<u32, String>) -> TestRegistry {
        TestRegistry::requiring(schemas, None)
    }

    /// A registry that answers 401 to a request without the `Authorization` header `required`.
    pub fn requiring(schemas: BTreeMap<u32, String>, required: Option<String>) -> TestRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut authorization = None;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = header.split_once(':')
                        && name.eq_ignore_ascii_case("authorization")
                    {
                        authorization = Some(value.trim().to_owned());
                    }
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .to_owned();
                let schema = path
                    .strip_prefix("/schemas/ids/")
                    .and_then(|id| id.parse::<u32>().ok())
                    .and_then(|id| schemas.get(&id));
                let refused = required.is_some() && authorization != required;
                seen.lock()
                    .expect("requests")
                    .push((path.clone(), authorization));
                let (status, body) = match schema {
                    _ if refused => (
                        "401 Unauthorized",
                        r#"{"error_code":401,"message":"Unauthorized"}"#.to_owned(),
                    ),
                    Some(schema) => (
                        "200 OK",
                        serde_json::json!({ "schema": schema }).to_string(),
                    ),
                    None => (
                        "404 Not Found",
                        r#"{"error_code":40403,"message":"Schema not found"}"#.to_owned(),
                    ),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        TestRegistry { url, requests }
    }

    /// The paths requested, in order.
    pub fn paths(&self) -> Vec<String> {
        self.requests
            .lock()
            .expect("requests")
            .iter()
            .map(|(path, _)| path.clone())
            .collect()
    }
}
