-- The table-copy example: one row per order, its day instead of its time.
CREATE TABLE IF NOT EXISTS order_summaries (
  id BIGINT UNSIGNED PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  amount_cents BIGINT NOT NULL,
  day DATE NOT NULL
) ENGINE=InnoDB;
