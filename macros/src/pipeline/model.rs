//! The shape of a pipeline function: one source argument, one sink return type.

use proc_macro2::TokenStream;
use syn::{FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

use crate::ctxt::Ctxt;

pub(crate) struct Pipeline<'a> {
    pub function: &'a ItemFn,
    pub input: &'a Ident,
    /// `Kafka<M>` as the user wrote it, and `M`.
    pub source_type: &'a Type,
    pub message: &'a Type,
    /// `MySql<R>` as the user wrote it, and `R`.
    pub sink_type: &'a Type,
    pub row: &'a Type,
}

/// `Name<T>` → `T`, when the last path segment is `name` with exactly one type argument.
fn single_argument<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [GenericArgument::Type(inner)] => Some(inner),
        _ => None,
    }
}

impl<'a> Pipeline<'a> {
    pub fn parse(args: TokenStream, function: &'a ItemFn) -> syn::Result<Self> {
        let mut cx = Ctxt::default();
        if !args.is_empty() {
            cx.error(
                &args,
                "#[pipeline] takes no arguments; configure a run with `Config` or the command line",
            );
        }
        let signature = &function.sig;
        if let Some(asyncness) = signature.asyncness {
            cx.error(
                asyncness,
                "a pipeline function cannot be async: it describes a dataflow, it does not run it",
            );
        }
        if !signature.generics.params.is_empty() {
            cx.error(&signature.generics, "a pipeline function cannot be generic");
        }

        let mut input = None;
        match signature.inputs.iter().collect::<Vec<_>>().as_slice() {
            [FnArg::Typed(arg)] => match &*arg.pat {
                Pat::Ident(pat) => input = Some((&pat.ident, &*arg.ty)),
                other => cx.error(
                    other,
                    "name the pipeline input with a plain identifier, e.g. `orders: Kafka<Order>`",
                ),
            },
            [FnArg::Receiver(receiver)] => {
                cx.error(receiver, "a pipeline is a free function, not a method")
            }
            [] => cx.error_at(
                signature.paren_token.span.join(),
                "a pipeline needs one input: add an argument such as `orders: Kafka<Order>`",
            ),
            [_, extra, ..] => cx.error(
                extra,
                "a pipeline reads one source for now: remove this argument",
            ),
        }
        let message = input.and_then(|(_, ty)| {
            let message = single_argument(ty, "Kafka");
            if message.is_none() {
                cx.error(ty, "a pipeline input must be `Kafka<M>`, where `M` is a struct with #[derive(Message)]");
            }
            message
        });

        let row = match &signature.output {
            ReturnType::Type(_, ty) => {
                let row = single_argument(ty, "MySql");
                if row.is_none() {
                    cx.error(ty, "a pipeline must return `MySql<R>`, where `R` is a struct with #[derive(Row)]");
                }
                row.map(|row| (&**ty, row))
            }
            ReturnType::Default => {
                cx.error_at(
                    signature.paren_token.span.join().join(signature.ident.span()).unwrap_or(signature.ident.span()),
                    "a pipeline must return its sink: add `-> MySql<R>`, where `R` is a struct with #[derive(Row)]",
                );
                None
            }
        };
        cx.finish()?;
        match (input, message, row) {
            (Some((input, source_type)), Some(message), Some((sink_type, row))) => Ok(Pipeline {
                function,
                input,
                source_type,
                message,
                sink_type,
                row,
            }),
            _ => Err(syn::Error::new_spanned(
                &signature.ident,
                "invalid pipeline signature",
            )),
        }
    }
}
