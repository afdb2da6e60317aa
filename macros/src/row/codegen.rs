//! The generated `impl Row`: statement text fixed at expansion, values bound one by one.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::model::Row;

/// `name` as a MySQL identifier; `db.table` becomes `` `db`.`table` ``.
fn quote_identifier(name: &str) -> String {
    name.split('.')
        .map(|part| format!("`{}`", part.replace('`', "``")))
        .collect::<Vec<_>>()
        .join(".")
}

pub(crate) fn generate(row: &Row<'_>) -> TokenStream {
    let ident = row.ident;
    let table = row.table.value();
    let p = quote!(::sluice::__private);
    let names: Vec<&str> = row.columns.iter().map(|c| c.name.as_str()).collect();
    let keys: Vec<&str> = row
        .columns
        .iter()
        .filter(|c| c.key)
        .map(|c| c.name.as_str())
        .collect();

    let column_list = names
        .iter()
        .map(|n| quote_identifier(n))
        .collect::<Vec<_>>()
        .join(", ");
    let insert = format!(
        "INSERT INTO {} ({column_list}) VALUES ",
        quote_identifier(&table)
    );
    let placeholders = format!("({})", vec!["?"; names.len()].join(","));
    let on_duplicate_key = on_duplicate_key(row);

    let binds = row.columns.iter().map(|column| {
        let field = column.ident;
        quote_spanned! {column.ty.span()=>
            #p::ColumnValue::bind(&self.#field, arguments)?;
        }
    });

    quote! {
        #[automatically_derived]
        impl #p::Row for #ident {
            const TABLE: &'static str = #table;
            const COLUMNS: &'static [&'static str] = &[#(#names),*];
            const KEY: &'static [&'static str] = &[#(#keys),*];
            const INSERT: &'static str = #insert;
            const ROW_PLACEHOLDERS: &'static str = #placeholders;
            const ON_DUPLICATE_KEY: &'static str = #on_duplicate_key;

            fn bind(
                &self,
                arguments: &mut #p::MySqlArguments,
            ) -> ::core::result::Result<(), #p::EncodeError> {
                #(#binds)*
                ::core::result::Result::Ok(())
            }
        }
    }
}

/// A keyed row is an upsert: replaying it rewrites the same values. A row of key columns only
/// has nothing to update, so the first key column is assigned to itself.
fn on_duplicate_key(row: &Row<'_>) -> String {
    let Some(first_key) = row.columns.iter().find(|c| c.key) else {
        return String::new();
    };
    let updates: Vec<String> = row
        .columns
        .iter()
        .filter(|c| !c.key)
        .map(|c| {
            let column = quote_identifier(&c.name);
            format!("{column} = VALUES({column})")
        })
        .collect();
    let updates = if updates.is_empty() {
        let column = quote_identifier(&first_key.name);
        format!("{column} = {column}")
    } else {
        updates.join(", ")
    };
    format!(" ON DUPLICATE KEY UPDATE {updates}")
}
