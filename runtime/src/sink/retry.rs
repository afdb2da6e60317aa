//! Which MySQL failures are worth trying again, and how long to wait between tries.

use std::time::Duration;

use super::isolate::database_number;

/// How long a transaction that keeps failing for a transient reason (the server restarting,
/// the connection killed) is tried again before the run gives up.
pub(crate) const RETRY_FOR: Duration = Duration::from_secs(300);

/// 100 ms doubling up to 10 s, with up to 25% jitter so that workers do not retry in step.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(100).saturating_mul(1 << attempt.min(7));
    let base = base.min(Duration::from_secs(10));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    base + base.mul_f64(f64::from(nanos % 250) / 1000.0)
}

/// Errors after which the same transaction can succeed: lost connections, deadlocks, a server
/// shutting down or not yet accepting connections. Data errors are not.
pub(crate) fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(_) => database_number(error).is_some_and(|number| {
            matches!(
                number,
                1040 | 1053 | 1158..=1161 | 1205 | 1213 | 1927 | 2006 | 2013
            )
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_ten_seconds_plus_jitter() {
        assert!(backoff(0) >= Duration::from_millis(100));
        assert!(backoff(0) < Duration::from_millis(126));
        assert!(backoff(3) >= Duration::from_millis(800));
        assert!(backoff(30) >= Duration::from_secs(10));
        assert!(backoff(30) <= Duration::from_millis(12_500));
    }
}
