//! No secret is ever printed, and secrets need not be on the command line: the pipeline binary
//! (`examples/ingest`, the generated `main()`) is run as a user runs it, with a database
//! password and Kafka credentials, and nothing it prints holds them. Kafka properties come from
//! a properties file, `SLUICE_KAFKA_*` variables and `-X`, in that order of precedence; the
//! properties delivery depends on are refused whatever their origin.

mod common;

use std::process::{Command, Output};

use common::*;
use sluice_testkit::workload::ORDERS_DDL;

/// What no output may contain.
const SECRET: &str = "hunter2";

/// `examples/ingest` with `DATABASE_URL` unset unless the test sets it.
fn ingest() -> Command {
    let mut command = example_command("ingest", &[]);
    command.env_remove("DATABASE_URL");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("run examples/ingest")
}

fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The process exited with status 1 after printing exactly `line` on stderr (and nothing on
/// stdout).
fn assert_fails_with(output: &Output, line: &str) {
    assert_eq!(output.status.code(), Some(1), "{}", printed(output));
    assert_eq!(String::from_utf8_lossy(&output.stderr).trim_end(), line);
    assert!(output.stdout.is_empty(), "{}", printed(output));
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn assert_no_secret(output: &Output) {
    let text = printed(output);
    assert!(!text.contains(SECRET), "a secret was printed:\n{text}");
}

#[test]
fn help_shows_no_environment_value() {
    let output = run(ingest()
        .arg("--help")
        .env(
            "DATABASE_URL",
            format!("mysql://app:{SECRET}@db.example/shop"),
        )
        .env("SLUICE_BROKERS", "broker.example:9092")
        .env("SLUICE_KAFKA_CONFIG", format!("/etc/{SECRET}.properties")));
    assert!(output.status.success());
    assert_no_secret(&output);
    let help = String::from_utf8_lossy(&output.stdout);
    for option in ["DATABASE_URL", "--kafka-config", "SLUICE_KAFKA_* variables"] {
        assert!(help.contains(option), "--help lacks {option}:\n{help}");
    }
}

#[test]
fn a_run_without_a_database_url_stops_with_one_line() {
    let output = run(ingest().args(["--brokers", "127.0.0.1:9"]));
    assert_fails_with(
        &output,
        "Error: configuration: no database: pass --database-url \
         mysql://USER:PASSWORD@HOST:PORT/DATABASE or set DATABASE_URL",
    );
}

#[test]
fn a_database_password_is_not_printed_when_the_url_is_refused_or_unreachable() {
    let output = run(ingest().args([
        "--brokers",
        "127.0.0.1:9",
        "--database-url",
        &format!("postgres://app:{SECRET}@127.0.0.1/shop"),
    ]));
    assert_fails_with(
        &output,
        "Error: configuration: --database-url must start with mysql:// (got a URL starting \
         with `postgres:`)",
    );

    // No `//`: no URL parser would find the password, so only the scheme is shown.
    let output = run(ingest().args([
        "--brokers",
        "127.0.0.1:9",
        "--database-url",
        &format!("mysql:app:{SECRET}@127.0.0.1/shop"),
    ]));
    assert_fails_with(
        &output,
        "Error: configuration: --database-url must start with mysql:// (got a URL starting \
         with `mysql:`)",
    );

    let url = format!("mysql://app:{SECRET}@127.0.0.1:{}/shop", closed_port());
    let output = run(ingest()
        .args(["--brokers", "127.0.0.1:9"])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "trace"));
    assert_eq!(output.status.code(), Some(1), "{}", printed(&output));
    assert_no_secret(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("Error: mysql: "), "{stderr}");
}

#[test]
fn debug_output_of_a_config_shows_no_secret() {
    let mut config = sluice::Config::default();
    config.brokers = "broker.example:9093".into();
    config.database_url = format!("mysql://app:{SECRET}@db.example:3306/shop");
    config.kafka_options = [
        ("security.protocol", "SASL_SSL"),
        ("sasl.username", "app"),
        ("sasl.password", SECRET),
        ("ssl.key.password", SECRET),
        ("sasl.oauthbearer.client.secret", SECRET),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec();

    let shown = format!("{config:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    for visible in [
        r#"database_url: "mysql://app:***@db.example:3306/shop""#,
        r#"("sasl.username", "app")"#,
        r#"("sasl.password", "***")"#,
        r#"("ssl.key.password", "***")"#,
        r#"("sasl.oauthbearer.client.secret", "***")"#,
        "brokers: \"broker.example:9093\"",
    ] {
        assert!(shown.contains(visible), "{visible} not in {shown}");
    }
    assert!(!format!("{config:#?}").contains(SECRET));
}

/// A database with the orders table, so that a run gets as far as Kafka.
fn orders_database(test: &str) -> String {
    let database = fresh_database(test);
    execute(&database, ORDERS_DDL);
    database
}

#[test]
fn properties_delivery_depends_on_are_refused_from_every_origin() {
    let database = orders_database("secrets_refused");
    let common = ["--brokers", "127.0.0.1:9", "--database-url", &database];
    let refused = |key: &str, instead: &str| {
        format!(
            "Error: configuration: the Kafka property `{key}` (from -X, --kafka-config or \
             SLUICE_KAFKA_*) cannot be changed: {instead}"
        )
    };

    let output = run(ingest()
        .args(common)
        .args(["-X", "enable.auto.commit=true"]));
    assert_fails_with(
        &output,
        &refused(
            "enable.auto.commit",
            "sluice stores offsets in MySQL, in the transaction of the rows they produced",
        ),
    );

    let output = run(ingest()
        .args(common)
        .env("SLUICE_KAFKA_GROUP_ID", "someone_elses_group"));
    assert_fails_with(&output, &refused("group.id", "use --pipeline-id"));

    let dir = tempdir("secrets_refused");
    let file = dir.join("kafka.properties");
    std::fs::write(
        &file,
        "# read everything\nisolation.level=read_uncommitted\n",
    )
    .expect("write");
    let output = run(ingest()
        .args(common)
        .args(["--kafka-config", &file.display().to_string()]));
    assert_fails_with(
        &output,
        &refused(
            "isolation.level",
            "sluice reads committed messages only (read_committed)",
        ),
    );

    let output = run(ingest()
        .args(common)
        .args(["-X", "auto.offset.reset=latest"]));
    assert_fails_with(
        &output,
        &refused(
            "auto.offset.reset",
            "use --from for where to start and --on-offset-out-of-range for a position that is \
             gone",
        ),
    );
    // Refused before the run began: not even the bookkeeping tables were created.
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = 'sluice_offsets'"
        ),
        0
    );
}

fn tempdir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice_{test}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

/// librdkafka refuses an unknown `security.protocol`, and says which value it got: that shows
/// which origin won.
#[test]
fn kafka_properties_come_from_the_file_then_the_environment_then_the_command_line() {
    let database = orders_database("secrets_precedence");
    let dir = tempdir("secrets_precedence");
    let file = dir.join("kafka.properties");
    std::fs::write(&file, "security.protocol = from_file\n").expect("write");
    let file = file.display().to_string();
    let common = ["--brokers", "127.0.0.1:9", "--database-url", &database];
    let refused = |value: &str| {
        format!(
            "Error: configuration: Kafka property `security.protocol`: Invalid value \"{value}\" \
             for configuration property \"security.protocol\""
        )
    };

    let output = run(ingest().args(common).args(["--kafka-config", &file]));
    assert_fails_with(&output, &refused("from_file"));

    // The file named by the environment, overridden by a variable.
    let output = run(ingest()
        .args(common)
        .env("SLUICE_KAFKA_CONFIG", &file)
        .env("SLUICE_KAFKA_SECURITY_PROTOCOL", "from_env"));
    assert_fails_with(&output, &refused("from_env"));

    let output = run(ingest()
        .args(common)
        .args(["--kafka-config", &file, "-X", "security.protocol=from_cli"])
        .env("SLUICE_KAFKA_SECURITY_PROTOCOL", "from_env"));
    assert_fails_with(&output, &refused("from_cli"));
}

/// A credential from the file or the environment reaches librdkafka, which refuses a private
/// key that is not one, and the refusal does not quote it.
#[test]
fn kafka_credentials_from_the_file_and_the_environment_reach_librdkafka_unprinted() {
    let database = orders_database("secrets_reach");
    let dir = tempdir("secrets_reach");
    let file = dir.join("kafka.properties");
    std::fs::write(
        &file,
        format!("security.protocol=SSL\nssl.key.pem={SECRET}\n"),
    )
    .expect("write");
    let common = ["--brokers", "127.0.0.1:9", "--database-url", &database];

    let from_file = run(ingest()
        .args(common)
        .args(["--kafka-config", &file.display().to_string()]));
    let from_env = run(ingest()
        .args(common)
        .env("SLUICE_KAFKA_SECURITY_PROTOCOL", "SSL")
        .env("SLUICE_KAFKA_SSL_KEY_PEM", SECRET));
    for output in [from_file, from_env] {
        assert_eq!(output.status.code(), Some(1), "{}", printed(&output));
        assert_no_secret(&output);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with(
                "Error: kafka (127.0.0.1:9): Client creation error: ssl.key.pem failed: not in \
                 PEM format?"
            ),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
