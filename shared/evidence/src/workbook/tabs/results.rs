//! Tab 2: one row per case (A case id, B tipo, C amount in pesos, D... calculation steps).

use std::collections::BTreeSet;

use calamine::Data;

use crate::money;
use crate::testset::{Caso, TestSet, TipoCaso};
use crate::workbook::grid::{Grid, cell_text, normalize};
use crate::workbook::{Problem, ReportedResult};

/// A case id as it may appear in column A: a letter and digits (M01, E07).
fn looks_like_case_id(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.len() >= 2
        && text.len() <= 6
        && chars.all(|c| c.is_ascii_digit())
}

pub(super) fn check_results(
    grid: &Grid,
    set: &TestSet,
    problems: &mut Vec<Problem>,
) -> Vec<ReportedResult> {
    let mut results: Vec<ReportedResult> = Vec::new();
    // Cases that have a row, even a faulty one (its problem is reported on its row).
    let mut rows: BTreeSet<String> = BTreeSet::new();
    for row in grid.rows() {
        if let Some(result) = check_row(grid, row, set, &mut rows, problems) {
            results.push(result);
        }
    }
    for caso in &set.casos {
        if !rows.contains(caso.id.as_str()) {
            problems.push(Problem::new(
                2,
                None,
                "CASO_FALTANTE",
                format!(
                    "Falta el renglón del caso {} ({}).",
                    caso.id,
                    caso.tipo.as_str()
                ),
            ));
        }
    }
    results
}

/// One row (0-based): None when column A is not a case id or the row has no usable amount.
fn check_row(
    grid: &Grid,
    row: u32,
    set: &TestSet,
    rows: &mut BTreeSet<String>,
    problems: &mut Vec<Problem>,
) -> Option<ReportedResult> {
    let fila = row + 1;
    let id = cell_text(grid.get(row, 0)).trim().to_uppercase();
    if !looks_like_case_id(&id) {
        return None;
    }
    let Some(caso) = set.caso(&id) else {
        problems.push(Problem::new(
            2,
            Some(fila),
            "CASO_DESCONOCIDO",
            format!("El caso \"{id}\" no pertenece a este set de pruebas."),
        ));
        return None;
    };
    if !rows.insert(id.clone()) {
        problems.push(Problem::new(
            2,
            Some(fila),
            "CASO_DUPLICADO",
            format!("El caso {id} aparece más de una vez."),
        ));
        return None;
    }
    check_tipo(grid, row, caso, &id, problems);
    let monto = read_monto(grid, row, &id, problems);
    let pasos = grid
        .row(row)
        .any(|(col, v)| col >= 3 && !cell_text(Some(v)).trim().is_empty());
    if caso.tipo == TipoCaso::Muestra && !pasos {
        problems.push(Problem::new(
            2,
            Some(fila),
            "PASOS_FALTANTES",
            format!(
                "El caso {id} es una muestra: escribe los pasos del cálculo desde la columna D."
            ),
        ));
    }
    match monto {
        Some(monto) => Some(ReportedResult {
            id,
            monto,
            pasos,
            fila,
        }),
        None if !matches!(grid.get(row, 2), None | Some(Data::Empty)) => {
            problems.push(Problem::new(
                2,
                Some(fila),
                "MONTO_INVALIDO",
                format!("El monto del caso {id} no es un importe en pesos (p. ej. 1234.56)."),
            ));
            None
        }
        None => None,
    }
}

/// Column B must name the case's tipo.
fn check_tipo(grid: &Grid, row: u32, caso: &Caso, id: &str, problems: &mut Vec<Problem>) {
    let tipo = normalize(&cell_text(grid.get(row, 1)));
    if tipo != normalize(caso.tipo.as_str()) {
        problems.push(Problem::new(
            2,
            Some(row + 1),
            "TIPO_INCORRECTO",
            format!(
                "El caso {id} es de tipo \"{}\" (columna B).",
                caso.tipo.as_str()
            ),
        ));
    }
}

/// Column C in centavos; reports MONTO_FALTANTE when empty (an unreadable amount is reported
/// by the caller, after the steps).
fn read_monto(grid: &Grid, row: u32, id: &str, problems: &mut Vec<Problem>) -> Option<i64> {
    match grid.get(row, 2) {
        None | Some(Data::Empty) => {
            problems.push(Problem::new(
                2,
                Some(row + 1),
                "MONTO_FALTANTE",
                format!("Falta el monto de la retención del caso {id} (columna C)."),
            ));
            None
        }
        Some(Data::Float(f)) => money::from_f64(*f),
        Some(Data::Int(i)) => i.checked_mul(100),
        Some(other) => money::parse(&cell_text(Some(other))),
    }
}
