//! The .xls side of the evidence check, fed BIFF records instead of a compound file: the input
//! is the "Workbook" stream, wrapped in a well-formed container (`sample::xls_from_stream`), so
//! every mutation reaches the record reader (globals, shared strings and their CONTINUE
//! records, sheets, the drawing store) instead of breaking the sector tables first. Same
//! properties as `workbook_check`: never panics, never accepts what it cannot read. Seeds: the
//! fixture's stream and the one whose picture store crashed calamine (seeds/xls_stream/).
#![no_main]

use std::sync::OnceLock;

use avisos_evidence::sample::xls_from_stream;
use avisos_evidence::{TestSet, TestSetId, check, generate, grade};
use libfuzzer_sys::fuzz_target;

fn set() -> &'static TestSet {
    static SET: OnceLock<TestSet> = OnceLock::new();
    SET.get_or_init(|| {
        generate(&TestSetId {
            semilla: 20_261_123,
            folio: "0501423523".to_string(),
            ronda: 1,
            fecha: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        })
    })
}

fuzz_target!(|stream: &[u8]| {
    let xls = xls_from_stream(stream);
    match check(&xls, "evidencias.xls", set()) {
        Ok(evidence) => {
            assert_eq!(evidence.resultados.len(), set().casos.len());
            let grading = grade(set(), &evidence);
            assert_eq!(grading.total as usize, set().casos.len());
        }
        Err(rejection) => assert!(!rejection.problems.is_empty()),
    }
});
