//! The generated `impl Row`: statement text fixed at expansion, values bound one by one.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use sluice_schema::Limit;

use super::model::Row;
use super::schema_check::{Checked, shape_fields};

/// `name` as a MySQL identifier; `db.table` becomes `` `db`.`table` ``.
fn quote_identifier(name: &str) -> String {
    name.split('.')
        .map(|part| format!("`{}`", part.replace('`', "``")))
        .collect::<Vec<_>>()
        .join(".")
}

pub(crate) fn generate(row: &Row<'_>, checked: Option<&Checked>) -> TokenStream {
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

    let lengths = row.columns.iter().map(|column| {
        let field = column.ident;
        quote_spanned! {column.ty.span()=>
            + #p::ColumnValue::encoded_len(&self.#field)
        }
    });

    let deletes = deletes(row, &table);
    let schema = schema(row, checked);
    let validate = validate(row, checked);
    let reads = row.columns.iter().map(|column| {
        let field = column.ident;
        let ty = column.ty;
        let name = &column.name;
        quote_spanned! {ty.span()=>
            #field: (&#p::ColumnOf::<#ty>::new()).read_column(row, #name)?,
        }
    });
    let event_time = row.columns.iter().find(|c| c.event_time).map(|column| {
        let field = column.ident;
        quote_spanned! {column.ty.span()=>
            const HAS_EVENT_TIME: bool = true;

            fn event_time_millis(&self) -> ::core::option::Option<i64> {
                #p::EventTime::event_time_millis(&self.#field)
            }
        }
    });
    let defaults = row.skipped.iter().map(|(field, ty)| {
        let field_name = field.to_string();
        quote_spanned! {ty.span()=>
            #field: (&#p::DefaultOf::<#ty>::new()).default_value(#field_name)?,
        }
    });

    quote! {
        #[automatically_derived]
        impl #p::Row for #ident {
            const SCHEMA: #p::RowSchema = #schema;

            const TABLE: &'static str = #table;
            const COLUMNS: &'static [&'static str] = &[#(#names),*];
            const KEY: &'static [&'static str] = &[#(#keys),*];
            const INSERT: &'static str = #insert;
            const ROW_PLACEHOLDERS: &'static str = #placeholders;
            const ON_DUPLICATE_KEY: &'static str = #on_duplicate_key;
            #deletes

            fn bind(
                &self,
                arguments: &mut #p::MySqlArguments,
            ) -> ::core::result::Result<(), #p::EncodeError> {
                #(#binds)*
                ::core::result::Result::Ok(())
            }

            fn validate(&self) -> ::core::result::Result<(), #p::ValueError> {
                #validate
                ::core::result::Result::Ok(())
            }

            fn encoded_len(&self) -> usize {
                0 #(#lengths)*
            }

            #event_time

            fn read(row: &#p::MySqlRow) -> ::core::result::Result<Self, ::std::string::String> {
                #[allow(unused_imports)]
                use #p::{CannotDefault as _, CannotRead as _, ReadWithDefault as _, ReadWithSqlx as _};
                ::core::result::Result::Ok(#ident {
                    #(#reads)*
                    #(#defaults)*
                })
            }
        }
    }
}

/// For a keyed row, how a change stream's delete removes it: the statement's head, the
/// condition on one row's key, the key's values and their hash.
fn deletes(row: &Row<'_>, table: &str) -> Option<TokenStream> {
    let p = quote!(::sluice::__private);
    let keys: Vec<_> = row.columns.iter().filter(|c| c.key).collect();
    if keys.is_empty() {
        return None;
    }
    let delete = format!("DELETE FROM {} WHERE ", quote_identifier(table));
    let conditions: Vec<String> = keys
        .iter()
        .map(|c| format!("{} = ?", quote_identifier(&c.name)))
        .collect();
    let key_match = match conditions.as_slice() {
        [one] => one.clone(),
        several => format!("({})", several.join(" AND ")),
    };
    let binds = keys.iter().map(|column| {
        let field = column.ident;
        quote_spanned! {column.ty.span()=>
            #p::ColumnValue::bind(&self.#field, arguments)?;
        }
    });
    let lengths = keys.iter().map(|column| {
        let field = column.ident;
        quote_spanned! {column.ty.span()=>
            + #p::ColumnValue::encoded_len(&self.#field)
        }
    });
    let hashes = keys.iter().map(|column| {
        let field = column.ident;
        quote_spanned! {column.ty.span()=>
            #p::ColumnValue::hash_value(&self.#field, state);
        }
    });
    Some(quote! {
        const DELETE: &'static str = #delete;
        const KEY_MATCH: &'static str = #key_match;

        fn bind_key(
            &self,
            arguments: &mut #p::MySqlArguments,
        ) -> ::core::result::Result<(), #p::EncodeError> {
            #(#binds)*
            ::core::result::Result::Ok(())
        }

        fn encoded_key_len(&self) -> usize {
            0 #(#lengths)*
        }

        fn hash_key(&self, state: &mut dyn ::core::hash::Hasher) {
            #(#hashes)*
        }
    })
}

/// `Row::SCHEMA`: what the start-up check compares with the live table.
fn schema(row: &Row<'_>, checked: Option<&Checked>) -> TokenStream {
    let p = quote!(::sluice::__private);
    let fields = shape_fields(row).into_iter().map(|(field, f)| {
        let column = f.column;
        let rust = match f.rust {
            Some(rust) => {
                let variant = syn::Ident::new(rust.variant(), proc_macro2::Span::call_site());
                quote!(::core::option::Option::Some(#p::RustType::#variant))
            }
            None => quote!(::core::option::Option::None),
        };
        let (optional, key, decimal_as_float) = (f.optional, f.key, f.decimal_as_float);
        quote! {
            #p::RowField {
                field: #field,
                column: #column,
                rust: #rust,
                optional: #optional,
                key: #key,
                decimal_as_float: #decimal_as_float,
            }
        }
    });
    let (append_only, allow_other) = (row.append_only, row.allow_other_unique_keys);
    let declared =
        match checked {
            None => quote!(::core::option::Option::None),
            Some(checked) => {
                let source = row
                    .ddl
                    .as_ref()
                    .map(|(_, path)| path.value())
                    .unwrap_or_default();
                let columns = row.columns.iter().zip(&checked.columns).map(|(c, (ty, nullable))| {
                let (name, ty) = (&c.name, ty.to_string());
                quote!(#p::DeclaredColumn { column: #name, sql_type: #ty, nullable: #nullable })
            });
                let migrations = migrations(row, checked);
                quote! {
                    ::core::option::Option::Some(#p::Declared {
                        source: #source,
                        columns: &[#(#columns),*],
                        migrations: #migrations,
                    })
                }
            }
        };
    quote! {
        #p::RowSchema {
            shape: #p::RowShape {
                fields: &[#(#fields),*],
                append_only: #append_only,
                allow_other_unique_keys: #allow_other,
            },
            declared: #declared,
        }
    }
}

/// The DDL files, embedded with `include_str!` so that editing one rebuilds the crate and
/// `--migrate` applies exactly what was checked. Only a migrations folder is applied.
fn migrations(row: &Row<'_>, checked: &Checked) -> TokenStream {
    let p = quote!(::sluice::__private);
    let is_folder = matches!(
        row.ddl,
        Some((sluice_schema::ddl::DdlSource::Migrations(_), _))
    );
    let files = checked.files.iter().map(|file| {
        let path = file.path.to_string_lossy().into_owned();
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        quote!(#p::MigrationFile { name: #name, sql: ::core::include_str!(#path) })
    });
    if is_folder {
        quote!(&[#(#files),*])
    } else {
        quote! {{
            const _: &[#p::MigrationFile] = &[#(#files),*];
            &[]
        }}
    }
}

/// `Row::validate`: the column limits the DDL implies, checked before a row is written.
fn validate(row: &Row<'_>, checked: Option<&Checked>) -> TokenStream {
    let Some(checked) = checked else {
        return TokenStream::new();
    };
    let checks = row
        .columns
        .iter()
        .zip(&checked.limits)
        .flat_map(|(column, limits)| {
            let field = column.ident;
            let name = &column.name;
            limits.iter().map(move |limit| {
                let p = quote!(::sluice::__private);
                let limit = limit_tokens(limit);
                quote! {
                    #p::CheckValue::check(&self.#field, &#limit)
                        .map_err(|reason| #p::ValueError::new(#name, reason))?;
                }
            })
        });
    quote!(#(#checks)*)
}

fn limit_tokens(limit: &Limit) -> TokenStream {
    let l = quote!(::sluice::__private::ValueLimit);
    match limit {
        Limit::Chars(n) => quote!(#l::Chars(#n)),
        Limit::Bytes(n) => quote!(#l::Bytes(#n)),
        Limit::Integer { min, max } => quote!(#l::Integer { min: #min, max: #max }),
        Limit::Finite => quote!(#l::Finite),
        Limit::OneOf(values) => quote!(#l::OneOf(&[#(#values),*])),
        Limit::Years => quote!(#l::Years),
        Limit::Timestamp => quote!(#l::Timestamp),
        Limit::Decimal {
            precision,
            scale,
            unsigned,
        } => quote!(#l::Decimal { precision: #precision, scale: #scale, unsigned: #unsigned }),
        _ => TokenStream::new(),
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

/// The `impl Row` of a struct with mistakes: it lets the pipeline that writes the struct
/// compile, so that the user sees only the mistakes themselves. It never runs, since the
/// errors beside it stop the build.
pub(crate) fn stub(input: &syn::DeriveInput) -> TokenStream {
    let p = quote!(::sluice::__private);
    let header = crate::stub::impl_header(
        input,
        quote!(#p::Row),
        quote!(::core::marker::Send + ::core::marker::Sync + 'static),
    );
    let unreachable = quote!(::core::unreachable!(
        "a row with compile errors is never written"
    ));
    quote! {
        #header {
            const SCHEMA: #p::RowSchema = #p::RowSchema {
                shape: #p::RowShape {
                    fields: &[],
                    append_only: false,
                    allow_other_unique_keys: false,
                },
                declared: ::core::option::Option::None,
            };

            const TABLE: &'static str = "";
            const COLUMNS: &'static [&'static str] = &[];
            const KEY: &'static [&'static str] = &[];
            const INSERT: &'static str = "";
            const ROW_PLACEHOLDERS: &'static str = "";
            const ON_DUPLICATE_KEY: &'static str = "";

            fn bind(
                &self,
                _: &mut #p::MySqlArguments,
            ) -> ::core::result::Result<(), #p::EncodeError> {
                #unreachable
            }

            fn validate(&self) -> ::core::result::Result<(), #p::ValueError> {
                #unreachable
            }

            fn read(_: &#p::MySqlRow) -> ::core::result::Result<Self, ::std::string::String> {
                #unreachable
            }
        }
    }
}
