//! What sluice's examples, tests and benches use and pipelines never need: an embedded Kafka
//! broker, topic creation, a fast producer, and the data of the workloads
//! (`shared/bench/WORKLOADS.md`).

pub mod broker;
pub mod rabbitmq;
pub mod workload;
