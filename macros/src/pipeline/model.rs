//! The shape of a pipeline function: one source argument; one sink, or a tuple of sinks, as
//! its return type. Whether each is a source or a sink is the compiler's check (the `Source`
//! and `Sink` traits), on the user's tokens.

use proc_macro2::TokenStream;
use syn::{Expr, FnArg, Ident, ItemFn, Pat, ReturnType, Type};

use crate::ctxt::Ctxt;

pub(crate) struct Pipeline<'a> {
    pub function: &'a ItemFn,
    pub input: &'a Ident,
    /// The source type as the user wrote it (`Kafka<M>`).
    pub source_type: &'a Type,
    /// The sink types, in order (`MySql<R>`, `Print<T>`, ...).
    pub outputs: Vec<&'a Type>,
    /// The return type is a tuple: the body returns a tuple of streams.
    pub tuple: bool,
}

/// How many outputs a pipeline may have (the runtime implements `Outputs` up to this).
const MAX_OUTPUTS: usize = 4;

/// The sinks a return type names: one type, or a tuple of them.
fn outputs_of<'a>(ty: &'a Type, cx: &mut Ctxt) -> Option<(Vec<&'a Type>, bool)> {
    match ty {
        Type::Tuple(tuple) if tuple.elems.is_empty() => {
            cx.error(
                ty,
                "a pipeline must return at least one sink, e.g. `-> MySql<R>` or `-> (MySql<R>, Print<T>)`",
            );
            None
        }
        Type::Tuple(tuple) if tuple.elems.len() > MAX_OUTPUTS => {
            cx.error(
                ty,
                format!(
                    "a pipeline has at most {MAX_OUTPUTS} outputs; this one names {}",
                    tuple.elems.len()
                ),
            );
            None
        }
        Type::Tuple(tuple) => Some((tuple.elems.iter().collect(), true)),
        Type::Paren(inner) => outputs_of(&inner.elem, cx),
        other => Some((vec![other], false)),
    }
}

/// When the body ends in a tuple expression, its arity must match the outputs'.
fn check_tail_arity(function: &ItemFn, outputs: usize, tuple: bool, cx: &mut Ctxt) {
    let Some(syn::Stmt::Expr(Expr::Tuple(tail), None)) = function.block.stmts.last() else {
        return;
    };
    let found = tail.elems.len();
    if !tuple || found != outputs {
        cx.error(
            tail,
            format!(
                "the pipeline declares {outputs} output{}, but its body returns a tuple of {found} \
                 stream{}: return one stream per output, in the order of the return type",
                if outputs == 1 { "" } else { "s" },
                if found == 1 { "" } else { "s" },
            ),
        );
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
        let outputs = match &signature.output {
            ReturnType::Type(_, ty) => outputs_of(ty, &mut cx),
            ReturnType::Default => {
                cx.error_at(
                    signature.paren_token.span.join().join(signature.ident.span()).unwrap_or(signature.ident.span()),
                    "a pipeline must return its sinks: add `-> MySql<R>`, where `R` is a struct with #[derive(Row)], or a tuple such as `-> (MySql<R>, Print<T>)`",
                );
                None
            }
        };
        if let Some((outputs, tuple)) = &outputs {
            check_tail_arity(function, outputs.len(), *tuple, &mut cx);
        }
        cx.finish()?;
        match (input, outputs) {
            (Some((input, source_type)), Some((outputs, tuple))) => Ok(Pipeline {
                function,
                input,
                source_type,
                outputs,
                tuple,
            }),
            _ => Err(syn::Error::new_spanned(
                &signature.ident,
                "invalid pipeline signature",
            )),
        }
    }
}
