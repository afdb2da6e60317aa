//! The `rabbitmq` workload's reference: a plain lapin consumer that takes every message of the
//! queue, decodes it with serde and acknowledges it (in batches), writing nothing.

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};

use super::database::BoxError;
use super::serde_order::SerdeOrder;

/// Messages between two acknowledgements (`multiple`), and the consumer's prefetch.
const ACK_EVERY: u64 = 1_000;
const PREFETCH: u16 = 10_000;

/// Consumes `orders` messages of `queue`, decoding each; the count read.
pub fn consume_decode(queue: &str, orders: u64) -> Result<u64, BoxError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let url = sluice_testkit::rabbitmq::AMQP_URL;
        let connection = Connection::connect(url, ConnectionProperties::default()).await?;
        let channel = connection.create_channel().await?;
        channel
            .basic_qos(PREFETCH, BasicQosOptions::default())
            .await?;
        let mut consumer = channel
            .basic_consume(
                queue.into(),
                "sluice-bench".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let mut read = 0u64;
        while read < orders {
            let delivery = consumer
                .next()
                .await
                .ok_or("the consumer was cancelled")??;
            let order: SerdeOrder = serde_json::from_slice(&delivery.data)?;
            std::hint::black_box(order);
            read += 1;
            if read.is_multiple_of(ACK_EVERY) || read == orders {
                channel
                    .basic_ack(delivery.delivery_tag, BasicAckOptions { multiple: true })
                    .await?;
            }
        }
        let _ = connection.close(200, "done".into()).await;
        Ok(read)
    })
}
