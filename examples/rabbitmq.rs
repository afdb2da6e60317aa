//! RabbitMQ to MySQL: W1's orders from a queue into the `orders` table, behind the command line
//! `#[pipeline]` generates. A message is acknowledged once its row is committed; a redelivered
//! one (after a crash or a lost connection) whose row is already written is skipped by its
//! `message_id`. `--publish N` first publishes W1's first N orders to the queue (declared if
//! missing), so the example runs on its own:
//!
//! ```text
//! cargo run --release --example rabbitmq -- --publish 100000 --until-end --migrate
//! cargo run --release --example rabbitmq -- --queue orders --amqp-url amqp://user:pass@host:5672/%2f
//! ```
//!
//! `--audit` runs the append-only pipeline instead (every order appended to `order_audit`,
//! which has no key); `--stream` reads a stream queue by offset. `DATABASE_URL` defaults to the
//! local test database here.

#[path = "shared/queue.rs"]
mod queue;
#[path = "shared/w1.rs"]
mod w1;

use sluice_testkit::rabbitmq::{QueueKind, Rabbit};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args: Vec<String> = std::env::args().collect();
    let mut take_flag = |flag: &str| match args.iter().position(|a| a == flag) {
        Some(at) => {
            args.remove(at);
            true
        }
        None => false,
    };
    let (audit, stream) = (take_flag("--audit"), take_flag("--stream"));
    if let Some(at) = args.iter().position(|a| a == "--publish") {
        let count: u64 = args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .ok_or("--publish needs a number of orders")?;
        args.drain(at..at + 2);
        let queue = match args.iter().position(|a| a == "--queue") {
            Some(at) => args.get(at + 1).cloned().ok_or("--queue needs a name")?,
            None => "orders".to_owned(),
        };
        let rabbit = Rabbit::connect()?;
        let kind = if stream {
            QueueKind::Stream
        } else {
            QueueKind::Classic
        };
        rabbit.fresh_queue(&queue, kind)?;
        rabbit.publish_w1(&queue, 0..count)?;
        eprintln!("published {count} orders to the queue `{queue}`");
    }
    if std::env::var_os("DATABASE_URL").is_none() && !args.iter().any(|a| a == "--database-url") {
        args.extend([
            "--database-url".to_owned(),
            sluice::DEFAULT_DATABASE_URL.to_owned(),
        ]);
    }
    let result = match (audit, stream) {
        (true, _) => queue::queue_audit::main_from(args),
        (false, true) => queue::stream_ingest::main_from(args),
        (false, false) => queue::queue_ingest::main_from(args),
    };
    result.map_err(Into::into)
}
