//! The evidence check on arbitrary bytes, as .xlsx and as .xls: never panics, never accepts
//! what it cannot read, and reports at least one problem whenever it refuses. Seeds: the valid
//! sample, the committed .xls fixture and each broken sample (`run.sh` writes them).
#![no_main]

use std::sync::OnceLock;

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

fuzz_target!(|data: &[u8]| {
    for name in ["evidencias.xlsx", "evidencias.xls"] {
        match check(data, name, set()) {
            Ok(evidence) => {
                assert_eq!(evidence.resultados.len(), set().casos.len());
                let grading = grade(set(), &evidence);
                assert_eq!(grading.total as usize, set().casos.len());
            }
            Err(rejection) => assert!(!rejection.problems.is_empty()),
        }
    }
});
