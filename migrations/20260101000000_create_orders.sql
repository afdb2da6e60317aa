-- W1 (shared/bench/WORKLOADS.md): one row per order.
CREATE TABLE IF NOT EXISTS orders (
  id BIGINT UNSIGNED PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  amount_cents BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  ts DATETIME(3) NOT NULL
) ENGINE=InnoDB;
