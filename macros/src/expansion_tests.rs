//! Snapshots of what each macro generates for a typical input, pretty-printed.

use proc_macro2::TokenStream;
use quote::quote;

fn pretty(tokens: TokenStream) -> String {
    let file = syn::parse2::<syn::File>(tokens).expect("the expansion is valid Rust");
    prettyplease::unparse(&file)
}

#[test]
fn message_w1_order() {
    let input = syn::parse_quote! {
        #[message(topic = "orders", format = "json")]
        struct Order {
            id: u64,
            #[message(rename = "customer")]
            customer_id: u32,
            note: Option<String>,
            #[message(event_time, with = "epoch_millis", max_delay = "5s", max_future = "30m")]
            ts: DateTime<Utc>,
        }
    };
    let expanded = crate::message::expand(&input);
    insta::assert_snapshot!(pretty(expanded));
}

#[test]
fn message_csv_with_header() {
    let input = syn::parse_quote! {
        #[message(topic = "people", format = "csv", delimiter = ";", header = true)]
        struct Person {
            #[message(rename = "Full Name")]
            name: String,
            age: Option<u8>,
            #[message(event_time, with = "epoch_millis")]
            ts: DateTime<Utc>,
        }
    };
    let expanded = crate::message::expand(&input);
    insta::assert_snapshot!(pretty(expanded));
}

#[test]
fn message_debezium() {
    let input = syn::parse_quote! {
        #[message(topic = "shop.customers", format = "debezium")]
        struct Customer {
            #[message(key)]
            id: u32,
            name: String,
        }
    };
    let expanded = crate::message::expand(&input);
    insta::assert_snapshot!(pretty(expanded));
}

#[test]
fn row_customer_minute() {
    let input = syn::parse_quote! {
        #[row(table = "customer_minute")]
        struct CustomerMinute {
            #[row(key)]
            customer_id: u32,
            #[row(key)]
            window_start: DateTime<Utc>,
            orders: i64,
            #[row(column = "amount_cents")]
            amount: i64,
            #[row(skip)]
            note: String,
        }
    };
    let expanded = crate::row::expand(&input);
    insta::assert_snapshot!(pretty(expanded));
}

#[test]
fn pipeline_ingest() {
    let expanded = crate::pipeline::expand(
        TokenStream::new(),
        quote! {
            /// Every order, as a row.
            #[allow(unused_variables)]
            pub fn ingest(orders: Kafka<Order>) -> MySql<OrderRow> {
                orders.map(|o| OrderRow { id: o.id })
            }
        },
    );
    insta::assert_snapshot!(pretty(expanded));
}

#[test]
fn a_message_with_mistakes_still_implements_message() {
    let input = syn::parse_quote! {
        #[message(topic = "orders", topic = "returns")]
        struct Order {
            id: u64,
        }
    };
    insta::assert_snapshot!(pretty(crate::message::expand(&input)));
}

#[test]
fn a_row_with_mistakes_still_implements_row() {
    let input = syn::parse_quote! {
        #[row(tabel = "orders")]
        struct OrderRow<T> {
            id: T,
        }
    };
    insta::assert_snapshot!(pretty(crate::row::expand(&input)));
}

#[test]
fn a_pipeline_with_errors_still_defines_its_module() {
    let expanded = crate::pipeline::expand(
        TokenStream::new(),
        quote! {
            fn ingest(orders: Vec<Order>) {}
        },
    );
    let text = expanded.to_string();
    assert!(text.contains("compile_error"), "{text}");
    assert!(text.contains("mod ingest"), "{text}");
}
