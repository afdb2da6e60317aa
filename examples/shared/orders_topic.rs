//! What the W1 and W2 examples share: their command line, and a topic filled with the orders
//! of `shared/bench/WORKLOADS.md` on an embedded or a given broker.

use std::time::Instant;

use sluice_testkit::broker::EmbeddedKafka;
use sluice_testkit::workload;

/// `--orders N`, `--brokers HOST:PORT`, `--workers N`; everything else has a default.
pub struct Args {
    pub orders: u64,
    pub brokers: Option<String>,
    pub workers: Option<usize>,
}

pub fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        orders: 100_000,
        brokers: std::env::var("SLUICE_BROKERS").ok(),
        workers: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--orders" => args.orders = value()?.parse().map_err(|e| format!("--orders: {e}"))?,
            "--brokers" => args.brokers = Some(value()?),
            "--workers" => {
                args.workers = Some(value()?.parse().map_err(|e| format!("--workers: {e}"))?)
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}` (expected --orders, --brokers, --workers)"
                ));
            }
        }
    }
    Ok(args)
}

/// `DATABASE_URL`, or the local test database: a default only the examples have (a pipeline's
/// generated `main()` requires the URL).
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| sluice::DEFAULT_DATABASE_URL.to_owned())
}

/// A fresh topic holding orders `0..args.orders`.
pub struct OrdersTopic {
    /// Keeps the embedded broker running, when there is one.
    embedded: Option<EmbeddedKafka>,
    pub brokers: String,
    pub topic: String,
}

impl OrdersTopic {
    pub fn produce(args: &Args, name: &str) -> Result<OrdersTopic, Box<dyn std::error::Error>> {
        // Without --brokers, a Kafka-protocol broker runs inside this process.
        let embedded = match args.brokers {
            Some(_) => None,
            None => Some(EmbeddedKafka::start()?),
        };
        let brokers = match (&args.brokers, &embedded) {
            (Some(brokers), _) => brokers.clone(),
            (None, Some(kafka)) => kafka.bootstrap_servers(),
            (None, None) => return Err("no broker".into()),
        };
        let topic = format!("orders_{name}_{}", std::process::id());
        let created = OrdersTopic {
            embedded,
            brokers: brokers.clone(),
            topic: topic.clone(),
        };
        created.create_topic(&topic)?;

        println!(
            "producing {} orders to topic {topic} on {brokers}",
            args.orders
        );
        let produced = Instant::now();
        workload::produce_w1(&brokers, &topic, 0..args.orders)?;
        println!("produced in {:.2} s", produced.elapsed().as_secs_f64());
        let truncated = sluice_testkit::broker::watermarks(&brokers, &topic, workload::PARTITIONS)?
            .iter()
            .any(|w| w.low > 0);
        if truncated {
            return Err(format!(
                "the broker no longer holds all {} orders (the embedded broker keeps a few MB per \
                 partition): use fewer --orders or a real broker with --brokers",
                args.orders
            )
            .into());
        }
        Ok(created)
    }

    /// Creates another topic with W1's partitions on the same broker.
    pub fn create_topic(&self, topic: &str) -> Result<(), Box<dyn std::error::Error>> {
        self.create_topic_of(topic, workload::PARTITIONS)
    }

    /// `topic` with `partitions` partitions on the same broker.
    pub fn create_topic_of(
        &self,
        topic: &str,
        partitions: i32,
    ) -> Result<(), Box<dyn std::error::Error>> {
        match &self.embedded {
            Some(kafka) => kafka.create_topic(topic, partitions)?,
            None => sluice_testkit::broker::create_topic(&self.brokers, topic, partitions)?,
        }
        Ok(())
    }

    /// A configuration that reads the whole topic once.
    pub fn config(&self, args: &Args, database_url: &str) -> sluice::Config {
        let mut config = sluice::Config::default();
        config.brokers = self.brokers.clone();
        config.database_url = database_url.to_owned();
        config.topic = Some(self.topic.clone());
        // The topic is new each run; so is the pipeline reading it. Under one id, a second run
        // would be refused: sluice keeps an id's offsets for the topic it first read.
        config.pipeline_id = Some(self.topic.clone());
        config.until_end = true;
        if let Some(workers) = args.workers {
            config.workers = workers;
        }
        config
    }
}
