use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "json")]
pub struct Order {
    pub id: u64,
    #[message(rename = "customer")]
    pub customer_id: u32,
    pub note: Option<String>,
    pub price: f64,
    pub paid: bool,
    #[message(event_time, with = "epoch_millis")]
    pub ts: DateTime<Utc>,
    #[message(with = "epoch_seconds")]
    pub shipped: Option<NaiveDateTime>,
    pub day: NaiveDate,
}

#[derive(Message)]
#[message(topic = "clicks")]
pub struct Click {
    #[message(event_time, max_delay = "5s", max_future = "2h")]
    pub at: DateTime<Utc>,
}

// The bounds reach the trait: `max_future` as given, the runtime's one hour without it.
const _: () = assert!(<Click as sluice::Message>::MAX_DELAY_MILLIS == 5_000);
const _: () = assert!(<Click as sluice::Message>::MAX_FUTURE_MILLIS == 7_200_000);
const _: () = assert!(<Order as sluice::Message>::MAX_FUTURE_MILLIS == 3_600_000);

fn main() {
    let _ = <Order as sluice::Message>::decode(b"{}");
}
