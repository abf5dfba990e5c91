//! Retention formulas (DOMAIN.md) with dated tables.
