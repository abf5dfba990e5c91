//! The .xlsx side of the evidence check, fed XML instead of deflate noise: the first byte picks
//! one part of the committed .xlsx fixture, the rest of the input replaces that part, and the
//! package is written back uncompressed ("stored"). Mutations then land in calamine's XML
//! readers (content types, relationships, workbook, shared strings, styles, sheets, drawings)
//! rather than in compressed bytes that no longer inflate. Same properties as
//! `workbook_check`: never panics, never accepts what it cannot read. Seeds: each part as it
//! is, after its index byte (seeds/xlsx_parts/).
#![no_main]

use std::io::{Cursor, Read, Write};
use std::sync::OnceLock;

use avisos_evidence::{TestSet, TestSetId, check, generate, grade};
use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;

static FIXTURE: &[u8] = include_bytes!("../../testdata/evidencias.xlsx");

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

/// The fixture's parts, in its order: (name, bytes).
fn parts() -> &'static [(String, Vec<u8>)] {
    static PARTS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    PARTS.get_or_init(|| {
        let mut archive = zip::ZipArchive::new(Cursor::new(FIXTURE)).expect("fixture");
        (0..archive.len())
            .map(|i| {
                let mut entry = archive.by_index(i).expect("entry");
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).expect("read");
                (entry.name().expect("name").into_owned(), bytes)
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, content)) = data.split_first() else {
        return;
    };
    let parts = parts();
    let which = usize::from(which) % parts.len();
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (i, (name, bytes)) in parts.iter().enumerate() {
        writer.start_file(name.as_str(), stored).expect("start");
        writer
            .write_all(if i == which { content } else { bytes })
            .expect("write");
    }
    let xlsx = writer.finish().expect("finish").into_inner();
    match check(&xlsx, "evidencias.xlsx", set()) {
        Ok(evidence) => {
            assert_eq!(evidence.resultados.len(), set().casos.len());
            let grading = grade(set(), &evidence);
            assert_eq!(grading.total as usize, set().casos.len());
        }
        Err(rejection) => assert!(!rejection.problems.is_empty()),
    }
});
