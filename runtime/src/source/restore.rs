//! What an earlier run left for the windows of a source that replays in order (a Kafka topic,
//! a RabbitMQ stream).

use crate::contract::startup::Startup;
use crate::dataflow::worker::Restored;
use crate::delivery::{load_read_until, load_watermark};
use crate::error::Result;
use crate::run::config::StartFrom;

/// Windows resume from the watermark stored with the positions they resume from; starting
/// elsewhere rebuilds every window from what is read. Without stored positions there is no
/// telling where an earlier run started reading, so the windows are rebuilt too (exact for
/// keyed rows, which is what windows write).
pub(crate) fn restored_windows(startup: &Startup<'_>, positions_stored: bool) -> Result<Restored> {
    let Some(pool) = startup.database.as_ref() else {
        return Ok(Restored::default());
    };
    if startup.config.from != StartFrom::Committed || !positions_stored {
        return Ok(Restored::default());
    }
    let pipeline = &startup.pipeline;
    Ok(Restored {
        watermark: startup
            .runtime
            .block_on(load_watermark(pool, pipeline))?
            .unwrap_or(i64::MIN),
        read_until: startup
            .runtime
            .block_on(load_read_until(pool, pipeline, &startup.input))?,
    })
}
