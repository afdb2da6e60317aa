//! A cluster run's processes going away: a process killed without a word is seen by timely's
//! connections, whose threads panic, and the workers then find their queues poisoned. The run
//! reports that cascade as one error.

use crate::dataflow::operators::guard::panic_text;
use crate::error::Error;

/// The error of a worker that panicked because another process of the cluster went away
/// without a word (killed, or its machine lost): timely's connections panic then.
fn lost_process(panic: &str) -> Option<Error> {
    is_lost_connection(panic).then(|| {
        Error::Cluster(
            "the connection to another process of the cluster was lost (it was killed or its \
             machine is gone); every process stops: start them all again to resume from the \
             stored positions"
                .into(),
        )
    })
}

/// Whether a panic's text is timely's reaction to a lost connection: its network threads
/// panic, the workers then find their queues poisoned, and joining the threads panics.
fn is_lost_connection(panic: &str) -> bool {
    [
        "timely communication error",
        "MergeQueue poisoned",
        "Send thread panic",
        "Recv thread panic",
    ]
    .iter()
    .any(|text| panic.contains(text))
}

/// From now on, the cascade of panics a lost connection sets off in timely's threads is logged
/// at `debug` instead of printed: the run reports it as one error.
pub(crate) fn quiet_lost_connection_panics() {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = panic_text(info.payload());
            if is_lost_connection(&text) {
                tracing::debug!("{text}");
            } else {
                previous(info);
            }
        }));
    });
}

/// Waits for the workers of a run; in a cluster, a lost connection is one error, not a panic
/// of the caller.
pub(crate) fn join_all(
    guards: timely::communication::WorkerGuards<()>,
    in_cluster: bool,
) -> crate::error::Result<()> {
    if !in_cluster {
        return crate::dataflow::worker::join_workers(guards);
    }
    let joined = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::dataflow::worker::join_workers(guards)
    }));
    match joined {
        Ok(result) => result.map_err(|error| lost_process(&error.to_string()).unwrap_or(error)),
        Err(payload) => {
            let text = panic_text(&*payload);
            Err(lost_process(&text)
                .unwrap_or_else(|| Error::Worker(format!("the cluster's connections: {text}"))))
        }
    }
}

/// The error of a worker that panicked with `payload`: another process going away, or a
/// worker's own panic.
pub(crate) fn worker_panicked(payload: &(dyn std::any::Any + Send)) -> Error {
    let text = panic_text(payload);
    lost_process(&text).unwrap_or_else(|| Error::Worker(format!("a worker panicked: {text}")))
}
