//! The integration tests, one binary (as mdBook's `tests/testsuite`): every module builds fixture
//! sites into temp dirs and checks what came out. One binary links Typst once instead of once per
//! test file. Run one area with `cargo test --test testsuite pages::` (a module name as filter).

mod common;

mod a11y;
mod browser_form;
mod build;
mod catalogue;
mod charts;
mod cli;
mod clinical;
mod course;
mod encrypt;
mod errors;
mod firefox_form;
mod form;
mod format_doc;
mod fuzz;
mod hostile;
mod ics;
mod incremental;
mod injection;
mod measures;
mod pages;
mod qr;
mod safety;
mod snapshots;
