//! The avisos service (issue 8): what the two gates exist for. Certified developers with a
//! *Relación Vigente* fetch an employer's avisos through their payroll system.
//!
//! - [`aviso`]: the [`Aviso`] record (field names as payroll products use them) and its
//!   field-by-field validation with Spanish messages.
//! - [`bimestre`]: bimesters (Jan-Feb … Nov-Dec) and the default consultation range.

pub mod aviso;
pub mod bimestre;

pub use aviso::{Aviso, FieldError, TipoAviso, TipoDescuento};
