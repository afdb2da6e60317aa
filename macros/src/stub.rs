//! What stub impls share: the `impl` header of a trait for a struct with mistakes.

use proc_macro2::TokenStream;
use quote::quote;

/// `impl<...> trait_path for Ident<...> where Ident<...>: supertraits`: the struct's own
/// generics, with the trait's supertraits required of the struct itself, so that a generic
/// struct (itself a mistake) adds no errors about its parameters.
pub(crate) fn impl_header(
    input: &syn::DeriveInput,
    trait_path: TokenStream,
    supertraits: TokenStream,
) -> TokenStream {
    let ident = &input.ident;
    let mut generics = input.generics.clone();
    let (_, type_generics, _) = input.generics.split_for_impl();
    generics
        .make_where_clause()
        .predicates
        .push(syn::parse_quote!(#ident #type_generics: #supertraits));
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #trait_path for #ident #type_generics #where_clause
    }
}
