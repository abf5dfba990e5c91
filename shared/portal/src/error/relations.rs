//! How the refusals of `avisos-relations` travel: filled in by issue 17 item 2.
