//! The generated code of a pipeline: the dataflow body as a function over streams, and a
//! module named after the pipeline with `NAME`, `run` and `main`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ItemFn;
use syn::spanned::Spanned;

use super::model::Pipeline;

fn body_ident(function: &ItemFn) -> syn::Ident {
    format_ident!("__sluice_pipeline_{}", function.sig.ident)
}

pub(crate) fn generate(pipeline: &Pipeline<'_>) -> TokenStream {
    let p = quote!(::sluice::__private);
    let function = pipeline.function;
    // Doc comments describe the pipeline: they go on its module. Other attributes (`allow`,
    // `cfg`, ...) stay with the body.
    let attrs = function.attrs.iter().filter(|a| !a.path().is_ident("doc"));
    let body = &function.block;
    let input = pipeline.input;
    let body_fn = body_ident(function);
    let scope = syn::Lifetime::new("'__scope", Span::mixed_site());

    // Each type is checked where the user wrote it: a source must be a `Source`, each output
    // a `Sink`, with messages that say which types are.
    let source_type = pipeline.source_type;
    let record = quote_spanned! {source_type.span()=>
        <#source_type as #p::Source>::Record
    };
    let streams: Vec<TokenStream> = pipeline
        .outputs
        .iter()
        .map(|sink| {
            quote_spanned! {sink.span()=>
                #p::Stream<#scope, <#sink as #p::Sink>::Item>
            }
        })
        .collect();
    let outputs = &pipeline.outputs;
    let (returns, as_tuple) = if pipeline.tuple {
        (quote!((#(#streams,)*)), quote!(streams))
    } else {
        (quote!(#(#streams)*), quote!((streams,)))
    };
    let outputs_tuple = quote!((#(#outputs,)*));
    let entry_fn = format_ident!("__sluice_entry_{}", function.sig.ident);
    let outputs_fn = format_ident!("__sluice_outputs_{}", function.sig.ident);
    let name_str = function.sig.ident.to_string();
    let module = module(
        function,
        quote!(super::#entry_fn().run(config)),
        quote!(super::#entry_fn().graph(config)),
        quote!(super::#entry_fn().check(config)),
        quote!(super::#entry_fn()),
    );

    quote! {
        #(#attrs)*
        #[allow(non_snake_case, clippy::needless_lifetimes)]
        fn #body_fn<#scope>(#input: #p::Stream<#scope, #record>) -> #returns
            #body

        #[allow(non_snake_case, clippy::needless_lifetimes)]
        fn #outputs_fn<#scope>(
            input: #p::Stream<#scope, #record>,
        ) -> <#outputs_tuple as #p::Outputs>::Streams<#scope> {
            let streams = #body_fn(input);
            #as_tuple
        }

        // The one item besides the body that names the source and the outputs: run, graph and
        // check all go through it.
        #[allow(non_snake_case)]
        fn #entry_fn() -> #p::Entry {
            #p::Entry::new::<#source_type, #outputs_tuple>(#name_str, #outputs_fn)
        }

        #module
    }
}

/// The module `name` with `run`, `graph` and `check` calling the given bodies; also used
/// as a stub when the pipeline has errors, so that callers of `name::main()` get no further
/// errors.
fn module(
    function: &ItemFn,
    run_body: TokenStream,
    graph_body: TokenStream,
    check_body: TokenStream,
    entry: TokenStream,
) -> TokenStream {
    let p = quote!(::sluice::__private);
    let vis = &function.vis;
    let name = &function.sig.ident;
    let name_str = name.to_string();
    let docs: Vec<_> = function
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();
    let doc = format!("The `{name_str}` pipeline: run it with [`run`] or [`main`].");
    let doc = if docs.is_empty() {
        quote!(#[doc = #doc])
    } else {
        quote!(#(#docs)* #[doc = ""] #[doc = #doc])
    };
    quote! {
        #doc
        // A binary may use only `run` or only `main`: neither is dead code.
        #[allow(dead_code)]
        #vis mod #name {
            /// The pipeline's name; its offsets are stored under `NAME.<sink table>` unless `--pipeline-id` says otherwise.
            pub const NAME: &str = #name_str;

            /// Runs the pipeline with `config` until it is stopped or its input is exhausted.
            pub fn run(config: #p::Config) -> #p::Result<#p::RunReport> {
                #run_body
            }

            /// The dataflow as `config` would run it, to print (`--print-graph`); connects
            /// to nothing.
            pub fn graph(config: &#p::Config) -> #p::Graph {
                #graph_body
            }

            /// Connects to everything the pipeline uses and verifies it without moving
            /// data (`--check`).
            pub fn check(config: &#p::Config) -> #p::Preflight {
                #check_body
            }

            /// Reads the command line (`--help` lists the options), runs the pipeline, and
            /// prints a summary.
            // The stub of a pipeline with errors has no entry to give.
            #[allow(unreachable_code)]
            pub fn main() -> #p::Result<()> {
                #p::main_with(::core::env!("CARGO_PKG_VERSION"), #entry)
            }

            /// [`main`] reading `args` (the program name first) instead of the process's
            /// command line: for a binary that chooses between pipelines.
            #[allow(unreachable_code)]
            pub fn main_from<A>(args: impl ::core::iter::IntoIterator<Item = A>) -> #p::Result<()>
            where
                A: ::core::convert::Into<::std::ffi::OsString>,
            {
                #p::main_with_args(
                    ::core::env!("CARGO_PKG_VERSION"),
                    #entry,
                    args.into_iter().map(::core::convert::Into::into).collect(),
                )
            }
        }
    }
}

pub(crate) fn stub(function: &ItemFn) -> TokenStream {
    module(
        function,
        quote!(::core::unreachable!()),
        quote!(::core::unreachable!()),
        quote!(::core::unreachable!()),
        quote!(::core::unreachable!()),
    )
}
