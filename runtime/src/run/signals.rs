//! Graceful shutdown on SIGINT and SIGTERM: the first asks the run to stop at the end of its
//! current epoch and commit; a second one exits at once (status 130), as a terminal user
//! pressing Ctrl-C twice expects.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use signal_hook::SigId;
use signal_hook::consts::{SIGINT, SIGTERM};

use crate::error::{Error, Result};

/// The handlers installed for one run; removed when dropped.
#[derive(Debug)]
pub(crate) struct StopOnSignals {
    ids: Vec<SigId>,
}

impl StopOnSignals {
    /// Sets `flag` on the first SIGINT/SIGTERM; exits the process on the second.
    pub fn install(flag: &Arc<AtomicBool>) -> Result<Self> {
        let mut ids = Vec::new();
        for signal in [SIGINT, SIGTERM] {
            // Registered first, so it sees the flag as the previous signal left it.
            let exit_on_second =
                signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(flag));
            let set_flag = signal_hook::flag::register(signal, Arc::clone(flag));
            for id in [exit_on_second, set_flag] {
                ids.push(id.map_err(|e| {
                    Error::Worker(format!("cannot install a handler for signal {signal}: {e}"))
                })?);
            }
        }
        Ok(StopOnSignals { ids })
    }
}

impl Drop for StopOnSignals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
