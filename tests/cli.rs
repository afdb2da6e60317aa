//! The command line that `#[pipeline]` generates, run as a separate process (`examples/ingest`).

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::*;
use sluice_testkit::broker::EmbeddedKafka;
use sluice_testkit::workload::{self, ORDERS_DDL, PARTITIONS, W1Checksum};

fn ingest(args: &[&str]) -> Output {
    example_command("ingest", args)
        .output()
        .expect("run examples/ingest")
}

fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The process failed and said why in exactly one line, which contains `needle`.
fn assert_fails_with_one_line(output: &Output, needle: &str) {
    assert!(!output.status.success());
    let lines = stderr_lines(output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(needle), "{lines:?}");
}

#[test]
fn runs_to_the_end_of_the_topic_from_the_command_line() {
    let database = fresh_database("cli_run");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders_cli", PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders_cli", 0..2_000).expect("produce");

    let output = ingest(&[
        "--brokers",
        &brokers,
        "--database-url",
        &database,
        "--topic",
        "orders_cli",
        "--until-end",
        "--workers",
        "3",
    ]);
    assert!(output.status.success(), "{:?}", stderr_lines(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "consumed 2000 = 2000 written + 0 aggregated + 0 filtered + 0 dead-lettered + 0 replayed (reconciled)"
        ),
        "{stdout}"
    );
    assert_eq!(w1_checksum(&database), W1Checksum::expected(2_000));
}

#[test]
fn missing_brokers_is_one_clear_line_and_a_failure() {
    let output = ingest(&["--until-end"]);
    assert_fails_with_one_line(&output, "no Kafka brokers: pass --brokers");
}

#[test]
fn an_unreachable_database_is_one_clear_line_and_a_failure() {
    let output = ingest(&[
        "--brokers",
        "127.0.0.1:9",
        "--database-url",
        "mysql://root@127.0.0.1:9/test",
    ]);
    assert_fails_with_one_line(&output, "Error: mysql: ");
}

#[test]
fn help_lists_the_options() {
    let output = ingest(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--brokers",
        "--database-url",
        "--workers",
        "--from",
        "--pipeline-id",
        "--until-end",
        "SLUICE_BROKERS",
        "DATABASE_URL",
    ] {
        assert!(
            help.contains(option),
            "--help does not mention {option}:\n{help}"
        );
    }
}

#[test]
fn an_unknown_topic_is_one_clear_line_and_a_failure() {
    let database = fresh_database("cli_unknown_topic");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    let output = ingest(&[
        "--brokers",
        &kafka.bootstrap_servers(),
        "--database-url",
        &database,
        "--topic",
        "no_such_topic",
    ]);
    assert_fails_with_one_line(&output, "kafka topic `no_such_topic`");
}

#[test]
fn an_unreachable_broker_is_one_clear_line_after_a_bounded_wait() {
    let database = fresh_database("cli_no_broker");
    execute(&database, ORDERS_DDL);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let started = std::time::Instant::now();
    let output = ingest(&[
        "--brokers",
        &closed.to_string(),
        "--database-url",
        &database,
    ]);
    assert_fails_with_one_line(&output, &format!("kafka topic `orders` on {closed}"));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn a_malformed_database_url_is_one_clear_line() {
    for (url, needle) in [
        (
            "postgres://localhost/test",
            "--database-url must start with mysql://",
        ),
        ("mysql://root@127.0.0.1:notaport/test", "--database-url"),
    ] {
        let output = ingest(&["--brokers", "127.0.0.1:9092", "--database-url", url]);
        assert_fails_with_one_line(&output, needle);
    }
}

/// A fresh database and a topic `orders` of W1 orders, for the schema tests.
struct OrdersTopic {
    _kafka: EmbeddedKafka,
    brokers: String,
    database: String,
}

impl OrdersTopic {
    fn new(test: &str, orders: u64) -> Self {
        let database = fresh_database(test);
        let kafka = EmbeddedKafka::start().expect("mock cluster");
        kafka.create_topic("orders", PARTITIONS).expect("topic");
        let brokers = kafka.bootstrap_servers();
        workload::produce_w1(&brokers, "orders", 0..orders).expect("produce");
        OrdersTopic {
            _kafka: kafka,
            brokers,
            database,
        }
    }

    /// Runs `ingest` to the end of the topic, with `extra` arguments.
    fn ingest(&self, extra: &[&str]) -> Output {
        let common = [
            "--brokers",
            &self.brokers,
            "--database-url",
            &self.database,
            "--until-end",
        ];
        ingest(&[&common[..], extra].concat())
    }
}

fn assert_succeeds(output: &Output) {
    assert!(output.status.success(), "{:?}", stderr_lines(output));
}

#[test]
fn a_table_altered_behind_the_binary_stops_it_before_any_message_is_read() {
    let topic = OrdersTopic::new("cli_drift", 500);
    let database = &topic.database;
    execute(database, ORDERS_DDL);
    execute(
        database,
        "ALTER TABLE orders MODIFY currency VARCHAR(8) NOT NULL",
    );

    assert_fails_with_one_line(
        &topic.ingest(&[]),
        "table `orders` does not match the row struct: column `currency` was compiled as \
         CHAR(3) (from `migrations`) but is VARCHAR(8) in the live table",
    );
    assert!(stored_offsets(database, "ingest.orders").is_empty());
    assert_eq!(w1_checksum(database).count, 0);

    // Put the column back as the migrations declare it: the same binary now runs.
    execute(
        database,
        "ALTER TABLE orders MODIFY currency CHAR(3) NOT NULL",
    );
    assert_succeeds(&topic.ingest(&[]));
    assert_eq!(w1_checksum(database), W1Checksum::expected(500));
}

#[test]
fn a_new_nullable_column_is_not_drift_but_a_new_required_column_is() {
    let topic = OrdersTopic::new("cli_drift_columns", 100);
    execute(&topic.database, ORDERS_DDL);
    execute(
        &topic.database,
        "ALTER TABLE orders ADD COLUMN note VARCHAR(20) NULL",
    );
    assert_succeeds(&topic.ingest(&[]));

    execute(
        &topic.database,
        "ALTER TABLE orders ADD COLUMN region INT NOT NULL",
    );
    assert_fails_with_one_line(
        &topic.ingest(&[]),
        "column `region` of `orders` is INT NOT NULL without a DEFAULT, and no field writes it",
    );
}

#[test]
fn a_missing_table_says_to_migrate_and_migrate_creates_it() {
    let topic = OrdersTopic::new("cli_migrate", 1_000);
    assert_fails_with_one_line(
        &topic.ingest(&[]),
        "table `orders` does not match the row struct: the table does not exist in the \
         database; run with --migrate to apply the migrations in `migrations`",
    );

    assert_succeeds(&topic.ingest(&["--migrate"]));
    assert_eq!(w1_checksum(&topic.database), W1Checksum::expected(1_000));
    let applied = query_strings(
        &topic.database,
        "SELECT CAST(version AS CHAR) FROM _sqlx_migrations ORDER BY version",
    );
    assert_eq!(
        applied,
        [
            "20260101000000",
            "20260101000001",
            "20260101000002",
            "20260101000003",
            "20260101000004"
        ]
    );

    // Already applied: --migrate again is a no-op.
    assert_succeeds(&topic.ingest(&["--migrate"]));
}

#[test]
fn version_names_the_binary_and_sluice() {
    let output = ingest(&["--version"]);
    assert!(output.status.success());
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("ingest {version} (sluice {version})")
    );
}

#[test]
fn every_option_has_an_environment_variable() {
    let output = ingest(&["--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    // Every long option but --help, --version and -X (SLUICE_KAFKA_* are its variables).
    let options = help
        .lines()
        .filter_map(|line| line.strip_prefix("      --"))
        .filter_map(|rest| rest.split([' ', '=', '<']).next())
        .filter(|name| !["help", "version"].contains(name))
        .count();
    let variables = help.matches("[env: ").count();
    assert!(options >= 19, "{help}");
    assert_eq!(variables, options, "{help}");
}

/// A job file with `[kafka]` properties (one key unquoted: TOML reads it as nested tables),
/// and `extra` lines.
fn job_file(dir: &std::path::Path, brokers: &str, database: &str, extra: &str) -> PathBuf {
    let path = dir.join("job.toml");
    std::fs::write(
        &path,
        format!(
            "brokers = \"{brokers}\"\ndatabase-url = \"{database}\"\ntopic = \"orders_job\"\n\
             until_end = true\nepoch = \"50ms\"\nworkers = 3\nfrom = \"earliest\"\n{extra}\n\
             [kafka]\nfetch.wait.max.ms = 10\n\"statistics.interval.ms\" = 1000\n"
        ),
    )
    .expect("write the job file");
    path
}

/// `ingest` with `args`, the environment variables `env` and no other SLUICE_* or
/// DATABASE_URL from the test's environment.
fn ingest_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = example_command("ingest", args);
    for (key, _) in std::env::vars() {
        if key.starts_with("SLUICE_") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied());
    command.output().expect("run examples/ingest")
}

#[test]
fn a_job_file_sets_options_that_the_environment_and_flags_override() {
    let database = fresh_database("cli_job_file");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders_job", PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders_job", 0..2_000).expect("produce");
    let dir = tempfile_dir("cli_job_file");
    let path = job_file(&dir, &brokers, &database, "limit = 100");
    let path = path.to_str().expect("a UTF-8 path");

    // Every run reads from the beginning (`from` in the file): `--limit` decides what it reads.
    let from_file = ingest_with_env(&["--config", path], &[]);
    assert!(from_file.status.success(), "{:?}", stderr_lines(&from_file));
    assert_eq!(consumed_in(&from_file.stdout), 100);

    let env = [("SLUICE_LIMIT", "500")];
    let from_env = ingest_with_env(&["--config", path], &env);
    assert_eq!(consumed_in(&from_env.stdout), 500);

    let from_flag = ingest_with_env(&["--config", path, "--limit", "1000"], &env);
    assert_eq!(consumed_in(&from_flag.stdout), 1_000);

    // Named by the environment, without a limit: the whole topic.
    std::fs::write(
        path,
        std::fs::read_to_string(path)
            .expect("read")
            .replace("limit = 100\n", ""),
    )
    .expect("rewrite");
    let whole = ingest_with_env(&[], &[("SLUICE_CONFIG", path)]);
    assert!(whole.status.success(), "{:?}", stderr_lines(&whole));
    assert_eq!(consumed_in(&whole.stdout), 2_000);
    assert_eq!(w1_checksum(&database), W1Checksum::expected(2_000));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_mistake_in_the_job_file_is_one_line_naming_the_file_and_the_key() {
    let dir = tempfile_dir("cli_job_mistakes");
    let database = "mysql://root:hunter2@127.0.0.1:9/test";
    for (extra, needle) in [
        (
            "worker = 2",
            "`worker` is not an option (did you mean `workers`?)",
        ),
        ("limit = [1, 2", "line 8 is not valid TOML"),
        ("until-end = \"yes\"", "`until-end` is a switch"),
        (
            "idle-timeout = \"5 parsecs\"",
            "is not a duration: write it as 250ms, 5s, 2m, 1h or 1d",
        ),
        ("kafka = 3", "`kafka` must be a table"),
    ] {
        let path = job_file(&dir, "127.0.0.1:9", database, extra);
        let text = std::fs::read_to_string(&path).expect("read");
        // `kafka = 3` must come before the [kafka] table to be a key of its own.
        let text = text.replace(
            "[kafka]\nfetch.wait.max.ms = 10\n\"statistics.interval.ms\" = 1000\n",
            "",
        );
        std::fs::write(&path, text).expect("rewrite");
        let output = ingest_with_env(&["--config", path.to_str().expect("UTF-8")], &[]);
        assert_fails_with_one_line(&output, needle);
        assert!(stderr_lines(&output)[0].contains("job.toml"), "{needle}");
        assert!(!String::from_utf8_lossy(&output.stderr).contains("hunter2"));
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn durations_are_written_with_their_unit() {
    let output = ingest(&["--epoch", "5 parsecs"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`5 parsecs` is not a duration: write it as 250ms, 5s, 2m, 1h or 1d"),
        "{stderr}"
    );
}

/// An empty directory of the test's own under the system's temporary directory.
fn tempfile_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}
