//! The RabbitMQ client the `RabbitMq` input and output share: connecting, with its errors
//! free of the password, and the pause between two attempts to reconnect.

use std::time::Duration;

use lapin::{Connection, ConnectionProperties};

use crate::error::Error;
use crate::run::config::secrets::redact_url;

/// The longest pause between two attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Where a run's RabbitMQ is, as configured (`--amqp-url`).
#[derive(Debug, Clone)]
pub(crate) struct Broker {
    url: String,
    /// The URL as errors and logs show it.
    pub shown: String,
}

impl Broker {
    pub fn new(url: &str) -> Self {
        Broker {
            url: url.to_owned(),
            shown: redact_url(url),
        }
    }

    /// Opens a connection that names itself `name` in the broker's management tools.
    pub async fn connect(&self, name: &str) -> Result<Connection, Error> {
        let properties = ConnectionProperties::default().with_connection_name(name.into());
        Connection::connect(&self.url, properties)
            .await
            .map_err(|e| self.error(format!("cannot connect: {e}")))
    }

    /// An error about this broker; the URL's password never shows.
    pub fn error(&self, reason: impl Into<String>) -> Error {
        let mut reason = reason.into();
        if let Some(password) = crate::run::config::secrets::url_password(&self.url) {
            reason = reason.replace(password, crate::run::config::secrets::REDACTED);
        }
        Error::RabbitMq {
            server: self.shown.clone(),
            reason,
        }
    }
}

/// The pause before attempt `attempt` (from 0) to reconnect: 100 ms, doubling up to 5 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100)
        .saturating_mul(1 << attempt.min(6))
        .min(MAX_BACKOFF)
}

/// The validation of `--amqp-url` before anything connects: a URL lapin can read.
pub(crate) fn validate_url(url: &str) -> Result<(), Error> {
    url.parse::<lapin::uri::AMQPUri>().map(|_| ()).map_err(|_| {
        let scheme = url.split(':').next().unwrap_or_default();
        Error::Config(format!(
            "--amqp-url must look like amqp://USER:PASSWORD@HOST:PORT/VHOST (got a URL \
             starting with `{scheme}:`)"
        ))
    })
}

/// How many messages are ready in `queue`; an error when it does not exist.
pub(crate) async fn ready_messages(broker: &Broker, name: &str, queue: &str) -> Result<u32, Error> {
    let connection = broker.connect(name).await?;
    let failed = |e: lapin::Error| broker.error(format!("queue `{queue}`: {e}"));
    let channel = connection.create_channel().await.map_err(failed)?;
    let queue_name = lapin::types::ShortString::try_new(queue)
        .map_err(|_| Error::Config(format!("queue `{queue}`: a name has at most 255 bytes")))?;
    let options = lapin::options::QueueDeclareOptions {
        passive: true,
        ..lapin::options::QueueDeclareOptions::default()
    };
    let declared = channel
        .queue_declare(queue_name, options, lapin::types::FieldTable::default())
        .await
        .map_err(failed)?;
    let _ = connection.close(200, "checked".into()).await;
    Ok(declared.message_count())
}
