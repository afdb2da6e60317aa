-- Running totals per customer (examples/running_totals.rs): kept by map_with_state.
CREATE TABLE IF NOT EXISTS customer_totals (
  customer_id INT UNSIGNED NOT NULL PRIMARY KEY,
  orders BIGINT NOT NULL,
  amount_cents BIGINT NOT NULL
) ENGINE=InnoDB;
