//! Tab 2 row by row, and the package's template.

use super::{fixture_set, refused};
use avisos_evidence::sample::SampleOptions;

/// Rewrites tab 2 of a sample through calamine-independent edits: a fresh workbook with the
/// same tabs 1, 3, 4 and the given rows (A..).
fn with_results(rows: &[&[&str]]) -> Vec<u8> {
    with_results_and(rows, &[])
}

/// `with_results` plus loose cells on tab 2: (row, column, text), 0-based.
pub(crate) fn with_results_and(rows: &[&[&str]], extra: &[(u32, u16, &str)]) -> Vec<u8> {
    use rust_xlsxwriter::{Image, Workbook};
    let set = fixture_set();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("1 Avisos JSON").expect("name");
    let zip = avisos_evidence::sample::avisos_zip(&set, &SampleOptions::default());
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(zip);
    ws.write_string(1, 0, text).expect("write");
    let ws = wb.add_worksheet().set_name("2 Resultados").expect("name");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *cell).expect("write");
        }
    }
    for (r, c, text) in extra {
        ws.write_string(*r, *c, *text).expect("write");
    }
    let ws = wb.add_worksheet().set_name("3 Pantallas").expect("name");
    let png = avisos_evidence::sample::screenshot_png(1, 0);
    ws.insert_image(1, 1, &Image::new_from_buffer(&png).expect("png"))
        .expect("image");
    let ws = wb.add_worksheet().set_name("4 CFDI").expect("name");
    ws.write_string(0, 0, avisos_evidence::sample::cfdi_xml(&set, false))
        .expect("write");
    wb.save_to_buffer().expect("xlsx")
}

#[test]
fn tab_two_problems_are_reported_by_row() {
    let set = fixture_set();
    let expected = set.expected();
    let amount = |id: &str| {
        let cents = expected.iter().find(|(c, _)| c == id).expect("case").1;
        avisos_evidence::money::format(cents)
    };
    let mut rows: Vec<Vec<String>> = vec![vec!["Caso".into(), "Tipo".into(), "Monto".into()]];
    for caso in &set.casos {
        let mut row = vec![
            caso.id.clone(),
            caso.tipo.as_str().to_string(),
            amount(&caso.id),
        ];
        if caso.id.starts_with('M') {
            row.push("paso".into());
        }
        rows.push(row);
    }
    // Row 3 (M02): no steps; row 4 (M03): amount not a number; E07 missing; an unknown case.
    rows[2].truncate(3);
    rows[3][2] = "mil pesos".into();
    rows.retain(|r| r[0] != "E07");
    rows.push(vec![
        "X99".into(),
        "muestra".into(),
        "1.00".into(),
        "paso".into(),
    ]);
    rows.push(vec!["E01".into(), "evaluación".into(), amount("E01")]);
    let refs: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let refs: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    let r = refused(&with_results(&refs), "evidencias.xlsx", &set);
    let found: Vec<(&str, Option<u32>)> = r
        .problems
        .iter()
        .map(|p| (p.codigo.as_str(), p.fila))
        .collect();
    assert_eq!(
        found,
        [
            ("PASOS_FALTANTES", Some(3)),
            ("MONTO_INVALIDO", Some(4)),
            ("CASO_DESCONOCIDO", Some(15)),
            ("CASO_DUPLICADO", Some(16)),
            ("CASO_FALTANTE", None),
        ],
        "{r}"
    );
    assert!(r.problems.iter().all(|p| p.pestana == 2));
    assert!(r.problems[4].mensaje.contains("E07"));
}

#[test]
fn the_package_template_has_every_case_and_is_refused_until_filled() {
    use std::io::Read;
    let set = fixture_set();
    let package = set.package_zip();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(package)).expect("zip");
    let mut template = Vec::new();
    archive
        .by_name("plantilla-evidencias.xlsx")
        .expect("template")
        .read_to_end(&mut template)
        .expect("read");
    let r = refused(&template, "plantilla-evidencias.xlsx", &set);
    let codes = r.codes();
    assert!(!codes.contains(&"PESTANA_FALTANTE"), "{r}");
    assert!(!codes.contains(&"CASO_FALTANTE"), "{r}");
    // Every case row is there, waiting for its amount.
    let missing_amounts = r
        .problems
        .iter()
        .filter(|p| p.codigo == "MONTO_FALTANTE")
        .count();
    assert_eq!(missing_amounts, set.casos.len(), "{r}");
    for code in ["ZIP_FALTANTE", "SIN_CAPTURAS", "CFDI_FALTANTE"] {
        assert!(codes.contains(&code), "{code}: {r}");
    }
}
