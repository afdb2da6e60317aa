//! `--check`: everything a job uses is verified without moving data, and every problem is
//! listed at once.

mod common;

use std::process::Output;

use common::*;
use sluice_testkit::broker::group_offsets;
use sluice_testkit::workload::{self, ORDERS_DDL, PARTITIONS};

fn check(brokers: &str, database: &str, topic: &str) -> Output {
    pipeline_command("ingest", (brokers, database, topic), &["--check"])
        .output()
        .expect("run examples/ingest --check")
}

fn lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_ready_job_passes_and_nothing_moves() {
    let topic = "orders_preflight";
    let (database, tansu) =
        database_and_tansu_topic("preflight_ready", &[ORDERS_DDL], topic, PARTITIONS);
    workload::produce_w1(&tansu.brokers, topic, 0..500).expect("produce");

    let output = check(&tansu.brokers, &database, topic);
    let lines = lines(&output);
    assert!(output.status.success(), "{lines:#?}");
    assert!(lines.iter().all(|l| l.starts_with("ok ")), "{lines:#?}");
    for expected in [
        format!("Kafka topic `{topic}` on {}: 4 partitions", tansu.brokers),
        "table `orders` matches the row struct".to_owned(),
        "privileges on `orders`: INSERT, UPDATE".to_owned(),
        "`sluice_offsets` does not exist yet: the run creates it".to_owned(),
    ] {
        assert!(
            lines.iter().any(|l| l.ends_with(&expected)),
            "{expected}: {lines:#?}"
        );
    }
    // Nothing read, written or created.
    assert_eq!(count(&database, "SELECT COUNT(*) FROM orders"), 0);
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(*) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'sluice\\_%'"
        ),
        0
    );
    assert_eq!(
        group_offsets(&tansu.brokers, "ingest.orders", topic, PARTITIONS).expect("group"),
        vec![]
    );
}

#[test]
fn every_problem_is_listed_at_once_and_the_check_fails() {
    let (database, tansu) = database_and_tansu_topic(
        "preflight_problems",
        &[
            ORDERS_DDL,
            "ALTER TABLE orders MODIFY currency VARCHAR(8) NOT NULL",
        ],
        "orders_preflight_other",
        1,
    );
    // A user that may only read the database.
    let schema = database
        .rsplit('/')
        .next()
        .expect("database name")
        .to_owned();
    let user = "sluice_preflight";
    execute(&database, &format!("DROP USER IF EXISTS '{user}'@'%'"));
    execute(
        &database,
        &format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'hunter2-secret'"),
    );
    execute(
        &database,
        &format!("GRANT SELECT ON `{schema}`.* TO '{user}'@'%'"),
    );
    let (server, _) = database.rsplit_once('/').expect("URL");
    let restricted = server.replacen("root@", &format!("{user}:hunter2-secret@"), 1);
    let restricted = format!("{restricted}/{schema}");

    let output = check(&tansu.brokers, &restricted, "no_such_topic");
    let lines = lines(&output);
    assert_eq!(output.status.code(), Some(1), "{lines:#?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "Error: configuration: --check found 11 problems"
    );
    let problems: Vec<&String> = lines.iter().filter(|l| l.starts_with("PROBLEM")).collect();
    for expected in [
        "kafka topic `no_such_topic`",
        "table `orders` does not match the row struct: column `currency` was compiled as CHAR(3)",
        "the database user lacks INSERT, UPDATE on `orders`",
        "`sluice_offsets` does not exist and the database user may not CREATE it",
        "`sluice_dead_letters` does not exist and the database user may not CREATE it",
        "`sluice_keyed_state` does not exist and the database user may not CREATE it",
        "`sluice_message_ids` does not exist and the database user may not CREATE it",
    ] {
        assert!(
            problems.iter().any(|l| l.contains(expected)),
            "{expected}: {lines:#?}"
        );
    }
    assert_eq!(problems.len(), 11, "{lines:#?}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("hunter2"));
    assert!(!stderr.contains("hunter2"));
    execute(&database, &format!("DROP USER '{user}'@'%'"));
}
