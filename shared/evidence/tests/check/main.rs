//! The evidence check end to end on real workbooks: the samples (xlsx) and the committed .xls
//! fixture (LibreOffice's BIFF8), each refusal the issue lists, and grading.

use avisos_evidence::sample::{SampleOptions, ZipVariant, workbook_xlsx};
use avisos_evidence::workbook::{MAX_WORKBOOK_BYTES, Rejection, check};
use avisos_evidence::{Formato, TestSet, TestSetId, generate, grade};
use chrono::NaiveDate;

mod hostile;
mod tab_two;

/// The set of the committed fixtures (testdata/README.md).
fn fixture_set() -> TestSet {
    generate(&TestSetId {
        semilla: 20_261_123,
        folio: "0501423523".to_string(),
        ronda: 1,
        fecha: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
    })
}

fn refused(bytes: &[u8], name: &str, set: &TestSet) -> Rejection {
    match check(bytes, name, set) {
        Ok(e) => panic!("accepted: {e:?}"),
        Err(r) => r,
    }
}

fn sample(options: SampleOptions) -> Vec<u8> {
    workbook_xlsx(&fixture_set(), &options)
}

#[test]
fn a_valid_sample_passes_and_grades_full_marks() {
    let set = fixture_set();
    let bytes = sample(SampleOptions::default());
    let evidence = check(&bytes, "evidencias.xlsx", &set).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(evidence.formato, Formato::Xlsx);
    assert_eq!(evidence.json_files, 2);
    assert_eq!(evidence.resultados.len(), set.casos.len());
    assert!(evidence.capturas >= 1);
    assert_eq!(evidence.cfdi.tipo_deduccion, "010");
    assert!(evidence.cfdi.importe > 0);
    assert_eq!(evidence.sha256.len(), 64);
    let grading = grade(&set, &evidence);
    assert_eq!(grading.total, 14);
    assert_eq!(grading.correctos, 14, "{:#?}", grading.casos);
    // Serialized for people: money as decimal strings.
    let json = serde_json::to_value(&grading).expect("json");
    assert!(json["casos"][0]["esperado"].is_string());
}

#[test]
fn the_xls_fixture_passes() {
    let set = fixture_set();
    let bytes = include_bytes!("../../testdata/evidencias.xls");
    let evidence = check(bytes, "evidencias.xls", &set).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(evidence.formato, Formato::Xls);
    assert_eq!(evidence.json_files, 2);
    assert!(evidence.capturas >= 1);
    assert_eq!(grade(&set, &evidence).correctos, 14);
}

#[test]
fn the_xlsx_fixture_matches_the_generator() {
    // The committed .xlsx (input of the .xls conversion) is what the generator gives today.
    let committed = include_bytes!("../../testdata/evidencias.xlsx");
    assert_eq!(
        committed.as_slice(),
        sample(SampleOptions::default()).as_slice()
    );
}

#[test]
fn five_megabytes_plus_one_byte_is_refused_before_reading() {
    let set = fixture_set();
    let r = refused(&vec![0u8; MAX_WORKBOOK_BYTES + 1], "evidencias.xls", &set);
    assert_eq!(r.codes(), ["ARCHIVO_DEMASIADO_GRANDE"]);
    // A real workbook padded to exactly the limit still passes; one byte more does not.
    let at_limit = sample(SampleOptions {
        pad_to_bytes: Some(MAX_WORKBOOK_BYTES),
        ..SampleOptions::default()
    });
    assert_eq!(at_limit.len(), MAX_WORKBOOK_BYTES);
    check(&at_limit, "evidencias.xlsx", &set).unwrap_or_else(|r| panic!("{r}"));
    let over = sample(SampleOptions {
        pad_to_bytes: Some(MAX_WORKBOOK_BYTES + 1),
        ..SampleOptions::default()
    });
    assert_eq!(over.len(), MAX_WORKBOOK_BYTES + 1);
    assert_eq!(
        refused(&over, "evidencias.xlsx", &set).codes(),
        ["ARCHIVO_DEMASIADO_GRANDE"]
    );
}

#[test]
fn not_a_workbook() {
    let set = fixture_set();
    let pdf = b"%PDF-1.7\n...";
    assert_eq!(
        refused(pdf, "evidencias.xls", &set).codes(),
        ["NO_ES_LIBRO"]
    );
    // Right bytes, wrong name.
    let bytes = sample(SampleOptions::default());
    assert_eq!(
        refused(&bytes, "evidencias.pdf", &set).codes(),
        ["EXTENSION_NO_PERMITIDA"]
    );
    // A plain zip named .xlsx is not a workbook either.
    let zip = set.package_zip();
    let r = refused(&zip, "evidencias.xlsx", &set);
    assert_eq!(r.codes(), ["LIBRO_ILEGIBLE"], "{r}");
    // OLE magic without a workbook stream.
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(4096, 0);
    assert_eq!(
        refused(&ole, "evidencias.xls", &set).codes(),
        ["LIBRO_ILEGIBLE"]
    );
    assert_eq!(
        refused(&[], "evidencias.xls", &set).codes(),
        ["NO_ES_LIBRO"]
    );
}

#[test]
fn each_missing_tab_is_named() {
    let set = fixture_set();
    for tab in 1..=4u8 {
        let bytes = sample(SampleOptions {
            omit_tab: Some(tab),
            ..SampleOptions::default()
        });
        let r = refused(&bytes, "evidencias.xlsx", &set);
        let missing: Vec<u8> = r
            .problems
            .iter()
            .filter(|p| p.codigo == "PESTANA_FALTANTE")
            .map(|p| p.pestana)
            .collect();
        assert_eq!(missing, vec![tab], "{r}");
        assert!(r.problems.iter().all(|p| p.pestana == tab), "{r}");
    }
}

#[test]
fn broken_zip() {
    let r = refused(
        &sample(SampleOptions {
            zip: ZipVariant::Broken,
            ..SampleOptions::default()
        }),
        "evidencias.xlsx",
        &fixture_set(),
    );
    assert_eq!(r.codes(), ["ZIP_INVALIDO"], "{r}");
    assert_eq!(r.problems[0].pestana, 1);
}

#[test]
fn zip_bomb_is_refused_before_inflating() {
    let r = refused(
        &sample(SampleOptions {
            zip: ZipVariant::Bomb,
            ..SampleOptions::default()
        }),
        "evidencias.xlsx",
        &fixture_set(),
    );
    assert_eq!(r.codes(), ["ZIP_BOMBA"], "{r}");
    assert!(r.problems[0].mensaje.contains("relleno.json"), "{r}");
}

#[test]
fn path_traversal_is_refused() {
    let r = refused(
        &sample(SampleOptions {
            zip: ZipVariant::PathTraversal,
            ..SampleOptions::default()
        }),
        "evidencias.xlsx",
        &fixture_set(),
    );
    assert_eq!(r.codes(), ["ZIP_RUTA_INSEGURA"], "{r}");
    assert!(
        r.problems[0]
            .mensaje
            .contains("../../avisos/consulta-3.json")
    );
}

#[test]
fn wrong_json_names_the_aviso_and_field() {
    let set = fixture_set();
    let r = refused(
        &sample(SampleOptions {
            wrong_json: true,
            ..SampleOptions::default()
        }),
        "evidencias.xlsx",
        &set,
    );
    assert_eq!(r.codes(), ["JSON_NO_COINCIDE"], "{r}");
    assert!(r.problems[0].mensaje.contains("valor_descuento"));
    assert!(r.problems[0].mensaje.contains(&set.avisos[0].folio_aviso));
}

#[test]
fn cfdi_without_the_deduction() {
    let r = refused(
        &sample(SampleOptions {
            cfdi_without_deduction: true,
            ..SampleOptions::default()
        }),
        "evidencias.xlsx",
        &fixture_set(),
    );
    assert_eq!(r.codes(), ["CFDI_SIN_DEDUCCION"], "{r}");
    assert_eq!(r.problems[0].pestana, 4);
}

#[test]
fn every_problem_is_reported_at_once() {
    let r = refused(
        &sample(SampleOptions {
            zip: ZipVariant::PathTraversal,
            cfdi_without_deduction: true,
            omit_tab: Some(3),
            ..SampleOptions::default()
        }),
        "evidencias.xlsx",
        &fixture_set(),
    );
    assert_eq!(
        r.codes(),
        [
            "PESTANA_FALTANTE",
            "ZIP_RUTA_INSEGURA",
            "CFDI_SIN_DEDUCCION"
        ],
        "{r}"
    );
    // Spanish, by tab.
    let text = r.to_string();
    assert!(
        text.contains("Pestaña 3: Falta la pestaña 3 \"3 Pantallas\""),
        "{text}"
    );
}

#[test]
fn grading_catches_a_wrong_amount_and_tolerates_one_centavo() {
    let set = fixture_set();
    let bytes = sample(SampleOptions {
        wrong_amount_case: Some("E03".to_string()),
        ..SampleOptions::default()
    });
    // A wrong amount is not a format problem: the workbook is accepted, the grading flags it.
    let mut evidence = check(&bytes, "evidencias.xlsx", &set).unwrap_or_else(|r| panic!("{r}"));
    let grading = grade(&set, &evidence);
    assert_eq!(grading.correctos, 13);
    let e03 = grading.casos.iter().find(|c| c.id == "E03").expect("E03");
    assert!(!e03.correcto);
    assert_eq!(e03.diferencia, Some(100));
    assert!(
        e03.observacion.contains("Monto incorrecto"),
        "{}",
        e03.observacion
    );

    // One centavo either way is accepted; two are not.
    let m01 = evidence
        .resultados
        .iter_mut()
        .find(|r| r.id == "M01")
        .expect("M01");
    m01.monto += 1;
    let g = grade(&set, &evidence);
    let m01 = g.casos.iter().find(|c| c.id == "M01").expect("M01");
    assert!(m01.correcto, "{}", m01.observacion);
    assert!(m01.observacion.contains("tolerancia"));
    for r in evidence.resultados.iter_mut().filter(|r| r.id == "M01") {
        r.monto -= 3;
    }
    let g = grade(&set, &evidence);
    assert!(
        !g.casos
            .iter()
            .find(|c| c.id == "M01")
            .expect("M01")
            .correcto
    );
    // A missing row counts as wrong.
    evidence.resultados.retain(|r| r.id != "E07");
    let g = grade(&set, &evidence);
    let e07 = g.casos.iter().find(|c| c.id == "E07").expect("E07");
    assert_eq!((e07.reportado, e07.correcto), (None, false));
    // Amounts at the ends of i64 are wrong, not an overflow.
    for (r, monto) in evidence.resultados.iter_mut().zip([i64::MIN, i64::MAX]) {
        r.monto = monto;
    }
    let g = grade(&set, &evidence);
    for r in &evidence.resultados[..2] {
        let c = g.casos.iter().find(|c| c.id == r.id).expect("case");
        assert!(c.diferencia.is_some() && !c.correcto, "{}", c.observacion);
    }
}

#[test]
fn evidence_of_another_set_is_refused() {
    // Same layout, other round: its avisos and case rows do not match this set's.
    let set = fixture_set();
    let mut other_id = set.id.clone();
    other_id.ronda = 2;
    let other = generate(&other_id);
    let bytes = workbook_xlsx(&other, &SampleOptions::default());
    let r = refused(&bytes, "evidencias.xlsx", &set);
    assert!(r.codes().contains(&"JSON_NO_COINCIDE"), "{r}");
    assert!(r.codes().contains(&"AVISO_FALTANTE"), "{r}");
}

#[test]
fn xlsx_may_embed_the_zip_and_the_cfdi_as_package_parts() {
    use avisos_evidence::sample::{avisos_zip, cfdi_xml, with_embedded_part};
    let set = fixture_set();
    // Column A holds a broken zip and a CFDI without the deduction; the embedded parts win.
    let bytes = sample(SampleOptions {
        zip: ZipVariant::Broken,
        cfdi_without_deduction: true,
        ..SampleOptions::default()
    });
    assert!(check(&bytes, "evidencias.xlsx", &set).is_err());
    let bytes = with_embedded_part(
        &bytes,
        "xl/embeddings/avisos.zip",
        &avisos_zip(&set, &SampleOptions::default()),
    );
    let bytes = with_embedded_part(
        &bytes,
        "xl/embeddings/cfdi.xml",
        cfdi_xml(&set, false).as_bytes(),
    );
    let evidence = check(&bytes, "evidencias.xlsx", &set).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(evidence.json_files, 2);
    assert_eq!(evidence.cfdi.tipo_deduccion, "010");
    // An embedded bomb is judged like a pasted one.
    let bomb = avisos_zip(
        &set,
        &SampleOptions {
            zip: ZipVariant::Bomb,
            ..SampleOptions::default()
        },
    );
    let bytes = with_embedded_part(
        &sample(SampleOptions::default()),
        "xl/embeddings/a.zip",
        &bomb,
    );
    assert_eq!(
        refused(&bytes, "evidencias.xlsx", &set).codes(),
        ["ZIP_BOMBA"]
    );
}

#[test]
fn sealed_or_foreign_cfdi_is_refused() {
    use avisos_evidence::sample::{cfdi_xml, with_embedded_part};
    let set = fixture_set();
    let base = sample(SampleOptions::default());
    let cases = [
        (
            cfdi_xml(&set, false).replace("Sello=\"\"", "Sello=\"QUJD\""),
            "CFDI_SELLADO",
        ),
        ("<factura/>".to_string(), "CFDI_INVALIDO"),
        (
            "<cfdi:Comprobante xmlns:cfdi=\"x\"><a></b></cfdi:Comprobante>".to_string(),
            "CFDI_INVALIDO",
        ),
        (
            "<cfdi:Comprobante xmlns:cfdi=\"http://www.sat.gob.mx/cfd/4\" Sello=\"\"/>".to_string(),
            "CFDI_NO_ES_NOMINA",
        ),
        (
            cfdi_xml(&set, false).replace("TipoDeduccion=\"010\"", "TipoDeduccion=\"009\""),
            "",
        ),
    ];
    for (xml, code) in cases {
        let bytes = with_embedded_part(&base, "xl/embeddings/cfdi.xml", xml.as_bytes());
        match check(&bytes, "evidencias.xlsx", &set) {
            Ok(e) => assert_eq!((code, e.cfdi.tipo_deduccion.as_str()), ("", "009")),
            Err(r) => assert_eq!(r.codes(), [code], "{r}"),
        }
    }
}
