//! `enum_with_unknown!`: open enums for wire codes.
//!
//! A code received from the network may be one we have no name for; parsing must not fail on
//! it and emitting must give the same byte back. The macro builds an enum with one variant per
//! named code plus `Unknown(raw)`, and `From` conversions both ways.

/// Declares `pub enum $name` over the integer type `$ty` with an extra `Unknown($ty)` variant.
macro_rules! enum_with_unknown {
    (
        $(#[$enum_attr:meta])*
        pub enum $name:ident($ty:ty) {
            $(
                $(#[$variant_attr:meta])*
                $variant:ident = $value:expr
            ),+ $(,)?
        }
    ) => {
        $(#[$enum_attr])*
        #[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy, Hash)]
        pub enum $name {
            $(
                $(#[$variant_attr])*
                $variant,
            )+
            /// A code with no name in this table; kept so that it round-trips.
            Unknown($ty),
        }

        impl ::core::convert::From<$ty> for $name {
            fn from(raw: $ty) -> Self {
                match raw {
                    $( v if v == $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }

        impl ::core::convert::From<$name> for $ty {
            fn from(code: $name) -> Self {
                match code {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}
