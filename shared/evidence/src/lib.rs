//! Certification evidence (seed 002, "Envío de evidencias"; issue 6): pure logic, no Spin, no
//! I/O. The certification process (`shared/certification` and its components) stores only a
//! [`TestSetId`] per round and calls into this crate to regenerate the set, check an upload and
//! grade it.
//!
//! - [`retention`]: the retention a payroll system computes (porcentaje, cuota fija, factor de
//!   descuento with the minimum-wage cap, bimester splits, seguro de daños), with the reference
//!   values (UMI, UMA, salarios mínimos) as dated tables. Money is `i64` centavos everywhere and a
//!   decimal string ("1234.56") in JSON ([`money`]).
//! - [`testset`]: [`generate`] builds a set deterministically from its id (14 fictitious workers
//!   with valid check digits, their avisos as the avisos service returns them, 7 muestras and 7
//!   evaluación cases); [`TestSet::package_zip`] is what the developer receives (LEEME.txt with
//!   the rules and the workbook layout, the avisos JSON, the cases, a workbook template) and never
//!   holds the expected results, which [`TestSet::expected`] computes server-side.
//! - [`workbook`]: [`check`] reads the uploaded .xls/.xlsx with readers of our own that cannot
//!   panic (`xls` for BIFF8, `xlsx` for the package; calamine's panic on hostile files) and
//!   reports every problem by
//!   tab and row in Spanish, with the defences against oversized files, zip bombs and path
//!   tricks documented there.
//! - [`grading`]: [`grade`] compares tab 2 with the expected amounts (1 centavo tolerance).
//! - [`sample`]: valid and deliberately broken workbooks for tests, benchmarks and fuzz seeds.
//!
//! What the developer is told (tabs, columns, formulas, rounding) is `src/LEEME.txt`, rendered by
//! [`TestSet::leeme`]: a web page can show the same text.

pub mod grading;
pub mod money;
mod readers;
pub mod retention;
pub mod sample;
pub mod testset;
pub mod workbook;

use readers::{cfb, xls, xlsx};

pub use grading::{CaseGrade, Grading, grade};
pub use sample::{SampleOptions, ZipVariant, workbook_xlsx};
pub use testset::{Aviso, Caso, TestSet, TestSetId, TipoCaso, Trabajador, generate};
pub use workbook::{
    CfdiSummary, Evidence, Formato, MAX_WORKBOOK_BYTES, Problem, Rejection, ReportedResult, check,
};
