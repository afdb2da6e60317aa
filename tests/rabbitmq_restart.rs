//! A RabbitMQ broker restarted under a running job (`rabbitmqctl stop_app`, `start_app`): the
//! job reconnects with backoff, and the appended table ends with every order once. In a binary
//! of its own, so that no other RabbitMQ test runs while the broker is down.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use sluice_testkit::rabbitmq::{QueueKind, Rabbit};

const N: u64 = 10_000;

fn rabbitmqctl(command: &str) {
    let status = Command::new("rabbitmqctl")
        .arg(command)
        .stdout(Stdio::null())
        .status()
        .expect("rabbitmqctl");
    assert!(status.success(), "rabbitmqctl {command}: {status}");
}

#[test]
fn a_broker_restarted_mid_run_loses_and_doubles_nothing() {
    let test = "rmq_restart";
    let (database, queue, rabbit) = database_and_queue(test, QueueKind::Classic);
    rabbit.publish_w1(&queue, 0..N).expect("publish");
    drop(rabbit);
    // About 10 s for the whole queue: the broker goes down while most of it waits.
    slow_order_audit(&database);
    let child = rabbitmq_job(
        &queue,
        &database,
        test,
        &["--audit", "--until-end", "--max-rows-in-flight", "300"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start the job");
    wait_for_progress(&database, "SELECT COUNT(*) > 1000 FROM order_audit");
    rabbitmqctl("stop_app");
    std::thread::sleep(Duration::from_secs(2));
    rabbitmqctl("start_app");
    let output = child.wait_with_output().expect("reap the job");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the job failed: {stderr}");
    assert!(
        stderr.contains("RabbitMQ connection lost"),
        "the job never noticed: {stderr}"
    );
    let line = query_strings(
        &database,
        "SELECT CONCAT_WS(' ', COUNT(*), COUNT(DISTINCT order_id)) FROM order_audit",
    );
    assert_eq!(line, [format!("{N} {N}")], "each order once");
    let rabbit = Rabbit::connect().expect("RabbitMQ is back");
    assert_eq!(rabbit.ready(&queue).expect("count"), 0, "messages left");
    rabbit.delete_queue(&queue).expect("delete the queue");
}
