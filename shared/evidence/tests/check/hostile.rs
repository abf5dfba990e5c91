//! Hostile input: fuzz findings, parts that broke calamine, memory bombs.

use super::tab_two::with_results_and;
use super::{fixture_set, refused, sample};
use avisos_evidence::grade;
use avisos_evidence::sample::SampleOptions;
use avisos_evidence::workbook::check;

#[test]
fn fuzz_findings_are_refused_not_panics() {
    // testdata/fuzz: inputs the fuzzer (fuzz/run.sh) found crashing calamine; each must now be a
    // plain refusal under both names.
    let set = fixture_set();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("testdata/fuzz") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        for name in ["e.xls", "e.xlsx"] {
            assert!(check(&bytes, name, &set).is_err());
        }
        seen += 1;
    }
    assert!(seen >= 1);
}

#[test]
fn an_xls_picture_store_that_panicked_calamine_is_a_refusal() {
    // The fixture with its PNG's instance set to 0x6E2, which MS-ODRAW does not define:
    // calamine 0.38 hits `unreachable!()` in parse_pictures (xls.rs:2054, the crash of issue
    // 15), which traps the wasm component. Our reader refuses the damaged picture store.
    let set = fixture_set();
    let bytes = include_bytes!("../../testdata/fuzz/crash-pictures-blip-instance.xls");
    let r = refused(bytes, "evidencias.xls", &set);
    assert_eq!(r.codes(), ["LIBRO_ILEGIBLE"], "{r}");
    assert!(r.problems[0].mensaje.contains("imágenes"), "{r}");
}

/// The sample .xlsx with one part rewritten by `edit` (the others copied as they are).
fn with_part(name: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let bytes = sample(SampleOptions::default());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut found = false;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read");
        let entry_name = entry.name().expect("name").into_owned();
        if entry_name == name {
            data = edit(String::from_utf8(data).expect("xml")).into_bytes();
            found = true;
        }
        out.start_file(entry_name, zip::write::SimpleFileOptions::default())
            .expect("start");
        out.write_all(&data).expect("write");
    }
    assert!(found, "{name}");
    out.finish().expect("zip").into_inner()
}

#[test]
fn xlsx_parts_that_broke_calamine_are_read_or_refused() {
    let set = fixture_set();
    // `uniqueCount` is only a hint: calamine reserved that many strings before reading one
    // (4e9 × 24 bytes: an allocation failure, a trap in the component). The workbook is fine.
    let huge_count = with_part("xl/sharedStrings.xml", |xml| {
        let at = xml.find("uniqueCount=\"").expect("uniqueCount") + 13;
        let end = at + xml[at..].find('"').expect("quote");
        format!("{}4000000000{}", &xml[..at], &xml[end..])
    });
    let evidence = check(&huge_count, "evidencias.xlsx", &set).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(grade(&set, &evidence).correctos, 14);
    // References beyond Excel's grid overflowed calamine's arithmetic (fuzz finding: a
    // dimension ending before it starts); tab 2 cannot be read, and says so.
    for bad in [r#"r="A99999999999""#, r#"r="XFE1""#, r#"r="A0""#] {
        let xlsx = with_part("xl/worksheets/sheet2.xml", |xml| {
            xml.replacen(r#"r="A1""#, bad, 1)
        });
        let r = refused(&xlsx, "evidencias.xlsx", &set);
        assert!(r.problems.iter().any(|p| p.pestana == 2), "{bad}: {r}");
    }
    let backwards = with_part("xl/worksheets/sheet2.xml", |xml| {
        let at = xml.find("<dimension ref=\"").expect("dimension") + 16;
        let end = at + xml[at..].find('"').expect("quote");
        format!("{}B5:A1{}", &xml[..at], &xml[end..])
    });
    check(&backwards, "evidencias.xlsx", &set).unwrap_or_else(|r| panic!("{r}"));
    // More shared strings than any evidence workbook needs: refused before they are kept.
    let many = with_part("xl/sharedStrings.xml", |xml| {
        let at = xml.find("<si>").expect("si");
        format!(
            "{}{}{}",
            &xml[..at],
            "<si><t/></si>".repeat(1_000_001),
            &xml[at..]
        )
    });
    assert!(many.len() < 1024 * 1024, "{}", many.len());
    let r = refused(&many, "evidencias.xlsx", &set);
    assert_eq!(r.codes(), ["HOJA_DEMASIADO_EXTENSA"], "{r}");
}

#[test]
fn one_long_string_in_every_cell_is_no_memory_bomb() {
    // One 32,000-character shared string in 1,100 cells: under 1 MB of .xlsx, 35 MB of cell
    // text once each cell holds its copy. The text budget refuses it.
    let set = fixture_set();
    let long = "A".repeat(32_000);
    let extra: Vec<(u32, u16, &str)> = (0..1100).map(|r| (100 + r, 5, long.as_str())).collect();
    let bytes = with_results_and(&[], &extra);
    assert!(bytes.len() < 1024 * 1024, "{}", bytes.len());
    let r = refused(&bytes, "evidencias.xlsx", &set);
    assert!(r.codes().contains(&"HOJA_DEMASIADO_EXTENSA"), "{r}");
}

#[test]
fn far_apart_cells_are_not_allocated_densely() {
    // calamine's Range would span A1..XFD1048576 (17 billion cells); the check streams cells.
    let set = fixture_set();
    let expected = set.expected();
    let rows: Vec<Vec<String>> = set
        .casos
        .iter()
        .zip(&expected)
        .map(|(c, (_, cents))| {
            vec![
                c.id.clone(),
                c.tipo.as_str().to_string(),
                avisos_evidence::money::format(*cents),
                "paso".to_string(),
            ]
        })
        .collect();
    let refs: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let refs: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    let bytes = with_results_and(
        &refs,
        &[(1_048_575, 16_383, "lejos"), (1_048_575, 200, "x")],
    );
    let evidence = check(&bytes, "evidencias.xlsx", &set).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(grade(&set, &evidence).correctos, 14);
}
