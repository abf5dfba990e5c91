//! Certification evidence (seed 002, "Envío de evidencias").

pub mod grading;
pub mod money;
pub mod retention;
pub mod sample;
pub mod testset;
pub mod workbook;

pub use grading::{CaseGrade, Grading, grade};
pub use sample::{SampleOptions, ZipVariant, workbook_xlsx};
pub use testset::{Aviso, Caso, TestSet, TestSetId, TipoCaso, Trabajador, generate};
pub use workbook::{
    CfdiSummary, Evidence, Formato, MAX_WORKBOOK_BYTES, Problem, Rejection, ReportedResult, check,
};
