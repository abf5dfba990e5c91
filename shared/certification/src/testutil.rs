//! Helpers for the unit tests: those of avisos-acts (its `testutil` feature, enabled only in
//! this crate's dev-dependencies), under the names these tests use.

pub use avisos_acts::testutil::{ANALISTA, DEV, DEV_2, name_of, seal, session, t0};

/// A verified act as `verify_signed_act` would return it (with the terms it accepts, if any).
pub use avisos_acts::testutil::act_with_terms as act;
