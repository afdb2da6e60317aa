-- The tables the trybuild cases check their rows against. trybuild compiles each case in
-- target/tests/trybuild/sluice, which is the CARGO_MANIFEST_DIR the cases' paths start from.
/*!40101 SET NAMES utf8mb4 */;

CREATE TABLE orders (
  id BIGINT UNSIGNED PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  amount_cents BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  note VARCHAR(200) NULL,
  ts DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  source VARCHAR(32) NOT NULL,
  seq BIGINT UNSIGNED NOT NULL,
  external_ref VARCHAR(64) NOT NULL,
  seen_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  price DECIMAL(10,2) NOT NULL DEFAULT 0,
  ratio FLOAT NULL,
  payload BLOB NULL,
  doubled BIGINT AS (seq * 2) STORED,
  PRIMARY KEY (id),
  UNIQUE KEY events_source_seq (source, seq),
  UNIQUE KEY events_external_ref (external_ref),
  KEY events_seen_at (seen_at)
) ENGINE=InnoDB;

CREATE TABLE audit_log (
  at DATETIME NOT NULL,
  message TEXT NOT NULL
);

CREATE TABLE everything (
  id INT NOT NULL,
  small SMALLINT UNSIGNED NOT NULL,
  medium MEDIUMINT NOT NULL,
  flag TINYINT(1) NOT NULL,
  born YEAR NULL,
  price DECIMAL(12,2) NOT NULL,
  approx DECIMAL(8,3) NULL,
  ratio DOUBLE NOT NULL,
  code CHAR(2) NOT NULL,
  kind ENUM('new','paid','shipped') NOT NULL,
  body MEDIUMTEXT NULL,
  digest BINARY(32) NOT NULL,
  attrs JSON NULL,
  day DATE NOT NULL,
  at_time TIME NULL,
  created TIMESTAMP(6) NOT NULL,
  updated DATETIME NOT NULL,
  PRIMARY KEY (id)
);
