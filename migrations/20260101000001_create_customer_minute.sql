-- W2 (shared/bench/WORKLOADS.md): orders and amount per customer and minute.
CREATE TABLE IF NOT EXISTS customer_minute (
  customer_id INT UNSIGNED NOT NULL,
  window_start DATETIME(3) NOT NULL,
  orders BIGINT NOT NULL,
  amount_cents BIGINT NOT NULL,
  PRIMARY KEY (customer_id, window_start)
) ENGINE=InnoDB;
