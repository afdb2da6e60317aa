//! The W1 message as a hand-written consumer decodes it: serde's derived `Deserialize`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize)]
#[allow(dead_code)]
pub struct SerdeOrder {
    pub id: u64,
    pub customer_id: u32,
    pub amount_cents: i64,
    pub currency: String,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub ts: DateTime<Utc>,
}
