//! Time from a child's spawn to the first row of a table being committed: the parent polls
//! the (empty) table on a connection of its own every few milliseconds while the child runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::database::{self, BoxError};

/// How often the table is polled: also the resolution of what is reported.
const POLL: Duration = Duration::from_millis(5);

/// A thread polling a table until a row shows or it is stopped.
pub struct FirstRowWatch {
    stop: Arc<AtomicBool>,
    poller: Option<JoinHandle<Result<Option<Instant>, String>>>,
}

impl FirstRowWatch {
    /// Connects and checks that `table` is empty; returns once polling can start.
    pub fn start(table: &'static str) -> Result<FirstRowWatch, BoxError> {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready, is_ready) = std::sync::mpsc::channel::<Result<(), String>>();
        let stopped = Arc::clone(&stop);
        let poller = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(poll(table, &stopped, &ready))
        });
        let mut watch = FirstRowWatch {
            stop,
            poller: Some(poller),
        };
        match is_ready.recv() {
            Ok(Ok(())) => Ok(watch),
            Ok(Err(error)) => Err(error.into()),
            Err(_) => Err(watch
                .join()
                .err()
                .unwrap_or_else(|| "first-row watch ended".into())),
        }
    }

    /// Stops polling; the time from `spawned` to the first row seen, if one was.
    pub fn finish(mut self, spawned: Instant) -> Result<Option<Duration>, BoxError> {
        Ok(self
            .join()?
            .map(|seen| seen.saturating_duration_since(spawned)))
    }

    fn join(&mut self) -> Result<Option<Instant>, BoxError> {
        self.stop.store(true, Ordering::Relaxed);
        match self.poller.take() {
            Some(poller) => poller
                .join()
                .map_err(|_| "first-row watch panicked")?
                .map_err(BoxError::from),
            None => Ok(None),
        }
    }
}

impl Drop for FirstRowWatch {
    fn drop(&mut self) {
        let _ = self.join();
    }
}

async fn poll(
    table: &str,
    stop: &AtomicBool,
    ready: &std::sync::mpsc::Sender<Result<(), String>>,
) -> Result<Option<Instant>, String> {
    let sql = format!("SELECT 1 FROM `{table}` LIMIT 1");
    let connected = async {
        let mut db = database::connect().await?;
        if any_row(&mut db, &sql).await? {
            return Err(format!("`{table}` is not empty before the run").into());
        }
        Ok::<_, BoxError>(db)
    };
    let mut db = match connected.await {
        Ok(db) => db,
        Err(error) => {
            let _ = ready.send(Err(error.to_string()));
            return Err(error.to_string());
        }
    };
    let _ = ready.send(Ok(()));
    while !stop.load(Ordering::Relaxed) {
        if any_row(&mut db, &sql).await.map_err(|e| e.to_string())? {
            return Ok(Some(Instant::now()));
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(None)
}

async fn any_row(db: &mut sqlx::MySqlConnection, sql: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query_scalar::<_, i32>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_optional(db)
        .await?;
    Ok(row.is_some())
}
