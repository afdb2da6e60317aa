//! The data of `WORKLOADS.md`, generated rather than stored, for examples, tests and benches.

use crate::broker::BulkProducer;
use sluice_runtime::Result;

/// W1/W2 input: the topic's partition count.
pub const PARTITIONS: i32 = 4;

/// The event time of order 0: 2026-01-01T00:00:00Z in epoch milliseconds.
pub const FIRST_TS_MILLIS: i64 = 1_767_225_600_000;

/// The `orders` table of workload W1.
pub const ORDERS_DDL: &str = "CREATE TABLE IF NOT EXISTS orders (
  id BIGINT UNSIGNED PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  amount_cents BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  ts DATETIME(3) NOT NULL
) ENGINE=InnoDB";

/// The `customer_minute` table of workload W2.
pub const CUSTOMER_MINUTE_DDL: &str = "CREATE TABLE IF NOT EXISTS customer_minute (
  customer_id INT UNSIGNED NOT NULL,
  window_start DATETIME(3) NOT NULL,
  orders BIGINT NOT NULL,
  amount_cents BIGINT NOT NULL,
  PRIMARY KEY (customer_id, window_start)
) ENGINE=InnoDB";

/// The fields of order `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct W1Order {
    /// `i`.
    pub id: u64,
    /// `(i * 7919) % 1000`.
    pub customer_id: u32,
    /// `(i * 31) % 100000`.
    pub amount_cents: i64,
    /// `1767225600000 + i`.
    pub ts_millis: i64,
}

impl W1Order {
    /// Order number `i`.
    pub fn nth(i: u64) -> Self {
        W1Order {
            id: i,
            customer_id: ((i * 7919) % 1000) as u32,
            amount_cents: ((i * 31) % 100_000) as i64,
            ts_millis: FIRST_TS_MILLIS + i as i64,
        }
    }

    /// The message key: `i` in decimal.
    pub fn key(&self) -> String {
        self.id.to_string()
    }

    /// The message value as one CSV record: `id,customer_id,amount_cents,currency,ts`.
    pub fn csv(&self) -> String {
        format!(
            "{},{},{},EUR,{}",
            self.id, self.customer_id, self.amount_cents, self.ts_millis
        )
    }

    /// The message value, in the exact JSON layout of WORKLOADS.md.
    pub fn json(&self) -> String {
        format!(
            r#"{{"id": {}, "customer_id": {}, "amount_cents": {}, "currency": "EUR", "ts": {}}}"#,
            self.id, self.customer_id, self.amount_cents, self.ts_millis
        )
    }
}

/// What a correct `orders` table holds after orders `0..n`: the count and the checksums of
/// WORKLOADS.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct W1Checksum {
    /// `COUNT(*)`.
    pub count: u64,
    /// `SUM(id)`.
    pub sum_id: u64,
    /// `SUM(amount_cents)`.
    pub sum_amount_cents: i64,
    /// `SUM(customer_id)`.
    pub sum_customer_id: u64,
}

impl W1Checksum {
    /// The expected checksum of orders `0..n`.
    pub fn expected(n: u64) -> Self {
        let mut sum = W1Checksum::default();
        for i in 0..n {
            sum.add(&W1Order::nth(i));
        }
        sum
    }

    /// Counts `order` in.
    pub fn add(&mut self, order: &W1Order) {
        self.count += 1;
        self.sum_id += order.id;
        self.sum_amount_cents += order.amount_cents;
        self.sum_customer_id += u64::from(order.customer_id);
    }

    /// Reads the checksum of the `orders` table on `conn`. MySQL's sums are `DECIMAL`, so
    /// they are read as text and parsed.
    pub async fn query(conn: &mut sqlx::MySqlConnection) -> std::result::Result<Self, sqlx::Error> {
        const SQL: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(id), 0) AS CHAR), \
             CAST(COALESCE(SUM(amount_cents), 0) AS CHAR), \
             CAST(COALESCE(SUM(customer_id), 0) AS CHAR) FROM orders";
        let (count, sum_id, sum_amount_cents, sum_customer_id) =
            sqlx::query_as::<_, (i64, String, String, String)>(SQL)
                .fetch_one(conn)
                .await?;
        let decode = |what: &str| sqlx::Error::Decode(format!("orders checksum: {what}").into());
        Ok(W1Checksum {
            count: u64::try_from(count).map_err(|_| decode("negative count"))?,
            sum_id: sum_id.parse().map_err(|_| decode("SUM(id)"))?,
            sum_amount_cents: sum_amount_cents
                .parse()
                .map_err(|_| decode("SUM(amount_cents)"))?,
            sum_customer_id: sum_customer_id
                .parse()
                .map_err(|_| decode("SUM(customer_id)"))?,
        })
    }
}

/// Produces orders `range` to `topic`, keyed by id, and waits for the broker to acknowledge.
pub fn produce_w1(brokers: &str, topic: &str, range: std::ops::Range<u64>) -> Result<()> {
    let producer = BulkProducer::new(brokers)?;
    for i in range {
        let order = W1Order::nth(i);
        producer.send(topic, order.key().as_bytes(), order.json().as_bytes())?;
    }
    producer.flush()
}
