//! The bench's command line: `cargo bench --bench e2e -- [--brokers H:P] [--orders N] ...`.

/// What to run and how big.
pub struct Args {
    /// A Kafka-protocol broker; `None` starts librdkafka's embedded mock cluster.
    pub brokers: Option<String>,
    /// Orders in the W1/W2 topic.
    pub orders: u64,
    /// Events of W3.
    pub events: u64,
    /// Timely workers of the sluice runs, and connections of the references.
    pub workers: usize,
    /// Orders of the `rabbitmq` workload, published to the queue before each run.
    pub queue_orders: u64,
    /// Which workloads: any of `w1`, `w2`, `w3`, `scan`, `k2k`, `cluster`, `rabbitmq`.
    pub only: Vec<String>,
    /// Rounds of every measurement; the table shows each run's median.
    pub repeat: usize,
    /// Orders a second of the `latency` workload, one run each.
    pub latency_rates: Vec<u64>,
    /// Epoch lengths of the `latency` workload's job in ms, 0 for sluice's default.
    pub latency_epochs_ms: Vec<u64>,
    /// Seconds of each `latency` run measured, after the warm-up.
    pub latency_duration_s: u64,
    /// Seconds at the start of each `latency` run left out of its figures.
    pub latency_warm_up_s: u64,
}

/// The embedded broker keeps about 5 MB per partition, so about 180,000 W1 orders in 4
/// partitions; with it the bench uses fewer orders than WORKLOADS.md's 1,000,000.
const EMBEDDED_ORDERS: u64 = 150_000;
const FULL_ORDERS: u64 = 1_000_000;
const W3_EVENTS: u64 = 10_000_000;
/// RabbitMQ takes some 30,000 persistent messages a second here: each run's queue is filled
/// anew, so its size is kept smaller than W1's.
const QUEUE_ORDERS: u64 = 200_000;

const LATENCY_RATES: [u64; 5] = [10_000, 20_000, 40_000, 60_000, 80_000];
/// sluice's default epoch, then 50 ms.
const LATENCY_EPOCHS_MS: [u64; 2] = [0, 50];

const USAGE: &str = "cargo bench --bench e2e -- [--brokers HOST:PORT] [--orders N] \
                     [--events N] [--queue-orders N] [--workers N] [--repeat N] \
                     [--rates N,N,...] [--epochs default,50ms,...] [--duration S] [--warm-up S] \
                     [--only w1,w2,w3,scan,k2k,cluster,rabbitmq,avro,debezium,latency]";

pub fn parse() -> Result<Args, String> {
    let mut brokers = std::env::var("SLUICE_BROKERS").ok();
    let (mut orders, mut events, mut workers, mut only) = (None, W3_EVENTS, 2, Vec::new());
    let mut repeat = 3;
    let mut queue_orders = QUEUE_ORDERS;
    let mut latency_rates = LATENCY_RATES.to_vec();
    let mut latency_epochs_ms = LATENCY_EPOCHS_MS.to_vec();
    let (mut latency_duration_s, mut latency_warm_up_s) = (10, 2);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or(format!("{flag} needs a value; usage: {USAGE}"))
        };
        let number = |v: String| {
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|e| format!("{flag}: {e}"))
        };
        match flag.as_str() {
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => {}
            "--brokers" => brokers = Some(value()?),
            "--orders" => orders = Some(number(value()?)?),
            "--events" => events = number(value()?)?,
            "--queue-orders" => queue_orders = number(value()?)?,
            "--workers" => workers = number(value()?)? as usize,
            "--repeat" => repeat = number(value()?)? as usize,
            "--rates" => {
                latency_rates = value()?
                    .split(',')
                    .map(|rate| number(rate.trim().to_owned()))
                    .collect::<Result<_, _>>()?
            }
            "--epochs" => {
                latency_epochs_ms = value()?
                    .split(',')
                    .map(|epoch| epoch_ms(epoch.trim()))
                    .collect::<Result<_, _>>()?
            }
            "--duration" => latency_duration_s = number(value()?)?,
            "--warm-up" => latency_warm_up_s = number(value()?)?,
            "--only" => {
                only = value()?
                    .split(',')
                    .map(|w| w.trim().to_lowercase())
                    .collect()
            }
            other => return Err(format!("unknown argument `{other}`; usage: {USAGE}")),
        }
    }
    let orders = orders.unwrap_or(if brokers.is_some() {
        FULL_ORDERS
    } else {
        EMBEDDED_ORDERS
    });
    Ok(Args {
        brokers,
        orders,
        events,
        queue_orders,
        workers: workers.max(1),
        only,
        repeat: repeat.max(1),
        latency_rates,
        latency_epochs_ms,
        latency_duration_s: latency_duration_s.max(1),
        latency_warm_up_s,
    })
}

/// `default` (0: sluice's default epoch) or a length in `ms` or `s`.
fn epoch_ms(text: &str) -> Result<u64, String> {
    let number = |n: &str| {
        n.trim()
            .parse::<u64>()
            .map_err(|e| format!("--epochs {text}: {e}"))
    };
    let ms = match text {
        "default" => 0,
        _ => match text.strip_suffix("ms") {
            Some(ms) => number(ms)?,
            None => {
                number(
                    text.strip_suffix('s')
                        .ok_or(format!("--epochs {text}: a length needs a unit, ms or s"))?,
                )? * 1000
            }
        },
    };
    Ok(ms)
}

impl Args {
    pub fn runs(&self, workload: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|w| w == workload)
    }
}
