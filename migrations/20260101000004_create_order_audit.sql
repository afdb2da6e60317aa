-- Every order received from RabbitMQ, appended (examples/rabbitmq_audit.rs). The table has no
-- key: only the acknowledgements after the commit and the stored message ids keep a
-- redelivered message from being written twice.
CREATE TABLE IF NOT EXISTS order_audit (
  order_id BIGINT UNSIGNED NOT NULL,
  customer_id INT UNSIGNED NOT NULL,
  amount_cents BIGINT NOT NULL
) ENGINE=InnoDB;
