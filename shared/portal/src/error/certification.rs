//! How the refusals of `avisos-certification` travel: filled in by issue 17 item 2.
