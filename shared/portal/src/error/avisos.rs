//! How the refusals of `avisos-avisos` travel: filled in by issue 17 item 2.
