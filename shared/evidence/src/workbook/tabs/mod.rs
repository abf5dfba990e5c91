//! The four tab checks: 1 the zip of avisos JSON ([`avisos`]), 2 one row per case
//! ([`results`]), 3 the screenshots, 4 the CFDI (parsed in `super::cfdi`).

mod avisos;
mod results;

use super::cfdi::check_cfdi;
use super::grid::{Book, Grid, column_a_texts};
use super::guard::Package;
use super::{CfdiSummary, Problem, ReportedResult};
use crate::testset::TestSet;

/// Tab 1: the zip embedded in the package (.xlsx) or, failing that, in column A as base64.
/// Returns the number of JSON files read.
pub(super) fn avisos(
    package: Option<&Package<'_>>,
    grid: Option<&Grid>,
    set: &TestSet,
    problems: &mut Vec<Problem>,
) -> usize {
    let embedded = package.and_then(|p| p.embedded(".zip", problems));
    let zip_bytes = match embedded {
        Some(z) => Some(z),
        None => grid.and_then(|r| avisos::base64_from_column_a(r, problems)),
    };
    match zip_bytes {
        Some(z) => return avisos::check_avisos_zip(&z, set, problems),
        None if !problems.iter().any(|p| p.pestana == 1) => problems.push(Problem::new(
            1,
            None,
            "ZIP_FALTANTE",
            "La pestaña 1 no contiene el .zip con los archivos JSON (en base64 en la columna A desde el renglón 2, o incrustado en .xlsx).",
        )),
        None => {}
    }
    0
}

/// Tab 2, when the tab exists: its rows, or CASO_FALTANTE when it could not be read.
pub(super) fn results(
    tab: &Option<String>,
    grid: Option<&Grid>,
    set: &TestSet,
    problems: &mut Vec<Problem>,
) -> Vec<ReportedResult> {
    match (tab, grid) {
        (Some(_), Some(r)) => results::check_results(r, set, problems),
        (Some(_), None) if !problems.iter().any(|p| p.pestana == 2) => {
            problems.push(Problem::new(
                2,
                None,
                "CASO_FALTANTE",
                "La pestaña 2 no se pudo leer: no hay resultados.",
            ));
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Tab 3: the pictures shown on the tab, as Excel finds them. Returns how many are images.
pub(super) fn pictures(workbook: &mut Book<'_>, name: &str, problems: &mut Vec<Problem>) -> usize {
    let capturas = match workbook {
        Book::Xlsx(xlsx) => xlsx
            .pictures(name)
            .unwrap_or_default()
            .iter()
            .filter(|ext| is_image(ext))
            .count(),
        Book::Xls(xls) => xls
            .sheet_pictures(name)
            .unwrap_or_default()
            .iter()
            .filter(|ext| is_image(ext))
            .count(),
    };
    if capturas == 0 {
        problems.push(Problem::new(
            3,
            None,
            "SIN_CAPTURAS",
            "La pestaña 3 debe contener al menos una imagen con las pantallas de tu sistema.",
        ));
    }
    capturas
}

/// Tab 4: the CFDI embedded in the package (.xlsx) or, failing that, column A's text.
pub(super) fn cfdi(
    package: Option<&Package<'_>>,
    grid: Option<&Grid>,
    problems: &mut Vec<Problem>,
) -> Result<CfdiSummary, Problem> {
    let embedded = package
        .and_then(|p| p.embedded(".xml", problems))
        .and_then(|b| String::from_utf8(b).ok());
    let texts = match embedded {
        Some(xml) => vec![xml],
        None => grid.map(column_a_texts).unwrap_or_default(),
    };
    check_cfdi(&texts)
}

/// Picture kinds that count as a screenshot. "dib" is how an .xls drawing store keeps a bitmap
/// (a screenshot pasted into Excel 97-2003), "pict" a Macintosh picture.
fn is_image(ext: &str) -> bool {
    matches!(
        ext.to_ascii_lowercase().as_str(),
        "png"
            | "jpg"
            | "jpeg"
            | "gif"
            | "bmp"
            | "dib"
            | "tif"
            | "tiff"
            | "emf"
            | "wmf"
            | "pict"
            | "webp"
    )
}
