//! `#[pipeline]`: check the function's shape, then generate the module that runs it.

mod codegen;
mod model;

use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let mut error = error;
            error.combine(syn::Error::new_spanned(
                &item,
                "#[pipeline] goes on a function: fn name(input: Kafka<M>) -> MySql<R> { ... }",
            ));
            return error.into_compile_error();
        }
    };
    match model::Pipeline::parse(args, &function) {
        Ok(pipeline) => codegen::generate(&pipeline),
        // Still emit the module, so that `name::main()` elsewhere does not add errors of its own.
        Err(error) => {
            let mut tokens = error.into_compile_error();
            tokens.extend(codegen::stub(&function));
            tokens
        }
    }
}
