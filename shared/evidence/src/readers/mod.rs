//! The readers of the uploaded workbook, our own: `cfb` checks an .xls container, `xls` reads
//! its BIFF8 stream, `xlsx` the package. They read hostile files inside a component, where a
//! panic traps the instance instead of answering 422, so clippy refuses in all of them what
//! could panic or over-allocate: indexing, unchecked arithmetic (a 32-bit `usize` in wasm),
//! string slicing, unwraps and every explicit panic.
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::string_slice,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

pub(crate) mod cfb;
pub(crate) mod xls;
pub(crate) mod xlsx;
