//! Tab 1: the .zip of the JSON files the avisos service returned, from column A's base64 or
//! an embedded part; its directory and paths judged before any entry is inflated.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use base64::Engine;

use crate::testset::TestSet;
use crate::workbook::Problem;
use crate::workbook::grid::{Grid, column_a};
use crate::workbook::guard::{
    MAX_ZIP_ENTRIES, MAX_ZIP_ENTRY_BYTES, MAX_ZIP_RATIO, MAX_ZIP_TOTAL_BYTES, ReadError,
    entry_name, judge_directory, read_capped, unsafe_path,
};

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

pub(super) fn base64_from_column_a(grid: &Grid, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
    let cells = column_a(grid, 1);
    if cells.is_empty() {
        return None;
    }
    let mut text = String::new();
    for (fila, cell) in &cells {
        let clean: String = cell.chars().filter(|c| !c.is_whitespace()).collect();
        if !clean
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
        {
            problems.push(Problem::new(
                1,
                Some(*fila),
                "BASE64_INVALIDO",
                "La celda no es texto base64 del .zip (sólo letras, dígitos, +, / y =).",
            ));
            return None;
        }
        text.push_str(&clean);
    }
    match base64::engine::general_purpose::STANDARD.decode(text.as_bytes()) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            problems.push(Problem::new(
                1,
                None,
                "BASE64_INVALIDO",
                "El texto base64 de la columna A no se puede decodificar (¿falta o sobra un trozo?).",
            ));
            None
        }
    }
}

/// The aviso fields compared with the set, in order.
pub(super) const AVISO_FIELDS: [&str; 14] = avisos_aviso::FIELDS;

/// Tab 1's zip: directory checks, path checks, then every JSON file against the set.
/// Returns the number of JSON files read.
pub(super) fn check_avisos_zip(bytes: &[u8], set: &TestSet, problems: &mut Vec<Problem>) -> usize {
    let Some(mut archive) = open_zip(bytes, problems) else {
        return 0;
    };
    let expected: BTreeMap<&str, serde_json::Value> = set
        .avisos
        .iter()
        .map(|a| {
            (
                a.folio_aviso.as_str(),
                serde_json::to_value(a).unwrap_or_default(),
            )
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut json_files = 0;
    let mut budget = MAX_ZIP_TOTAL_BYTES;
    for i in 0..archive.len() {
        let (name, data) = match read_entry(&mut archive, i, budget, problems) {
            Entry::Json(name, data) => (name, data),
            Entry::Skip => continue,
            // A bomb: nothing after it is read, nor reported missing.
            Entry::Stop => return json_files,
        };
        budget = budget.saturating_sub(data.len() as u64);
        json_files += 1;
        let Some(items) = avisos_in(&name, &data, problems) else {
            continue;
        };
        compare_avisos(&name, &items, &expected, &mut seen, problems);
    }
    report_missing(json_files, &expected, &seen, problems);
    json_files
}

/// The zip, its directory judged; None (reported) when it is no zip or a bomb.
fn open_zip<'a>(bytes: &'a [u8], problems: &mut Vec<Problem>) -> Option<Archive<'a>> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        problems.push(Problem::new(
            1,
            None,
            "ZIP_INVALIDO",
            "El archivo de la pestaña 1 no es un .zip válido (está dañado o incompleto).",
        ));
        return None;
    };
    if let Err(why) = judge_directory(
        &mut archive,
        MAX_ZIP_ENTRIES,
        MAX_ZIP_TOTAL_BYTES,
        MAX_ZIP_ENTRY_BYTES,
        MAX_ZIP_RATIO,
    ) {
        problems.push(Problem::new(
            1,
            None,
            "ZIP_BOMBA",
            format!("El .zip de la pestaña 1 no se descomprime porque {why}."),
        ));
        return None;
    }
    Some(archive)
}

/// What one entry of the zip gave.
enum Entry {
    /// A .json file's name and bytes.
    Json(String, Vec<u8>),
    /// A folder, or a problem already reported: go on with the next entry.
    Skip,
    /// Over the cap (reported): stop reading the zip.
    Stop,
}

/// Entry `i`, read through what is left of `budget` when its path is safe and it is a .json.
fn read_entry(
    archive: &mut Archive<'_>,
    i: usize,
    budget: u64,
    problems: &mut Vec<Problem>,
) -> Entry {
    let name = entry_name(archive, i).unwrap_or_else(|| "(nombre ilegible)".to_string());
    if unsafe_path(&name) {
        problems.push(Problem::new(
            1,
            None,
            "ZIP_RUTA_INSEGURA",
            format!(
                "El .zip contiene la ruta insegura \"{name}\" (no se permiten \"..\", rutas absolutas ni diagonales invertidas)."
            ),
        ));
        return Entry::Skip;
    }
    if name.ends_with('/') {
        return Entry::Skip;
    }
    if !name.to_ascii_lowercase().ends_with(".json") {
        problems.push(Problem::new(
            1,
            None,
            "ARCHIVO_NO_JSON",
            format!("El .zip contiene \"{name}\", que no es un archivo .json."),
        ));
        return Entry::Skip;
    }
    match read_capped(archive, i, budget.min(MAX_ZIP_ENTRY_BYTES)) {
        Ok(data) => Entry::Json(name, data),
        Err(ReadError::TooLarge) => {
            problems.push(Problem::new(
                1,
                None,
                "ZIP_BOMBA",
                format!("\"{name}\" descomprime a más de lo permitido."),
            ));
            Entry::Stop
        }
        Err(ReadError::Corrupt) => {
            problems.push(Problem::new(
                1,
                None,
                "ZIP_INVALIDO",
                format!("\"{name}\" está dañado dentro del .zip."),
            ));
            Entry::Skip
        }
    }
}

/// The avisos of one JSON file: a list, or an object with an `avisos` list.
fn avisos_in(
    name: &str,
    data: &[u8],
    problems: &mut Vec<Problem>,
) -> Option<Vec<serde_json::Value>> {
    let value: serde_json::Value = match serde_json::from_slice(data) {
        Ok(v) => v,
        Err(e) => {
            problems.push(Problem::new(
                1,
                None,
                "JSON_INVALIDO",
                format!(
                    "\"{name}\" no es JSON válido (línea {}, columna {}).",
                    e.line(),
                    e.column()
                ),
            ));
            return None;
        }
    };
    match value {
        serde_json::Value::Array(items) => Some(items),
        serde_json::Value::Object(mut o) => match o.remove("avisos") {
            Some(serde_json::Value::Array(items)) => Some(items),
            _ => {
                problems.push(Problem::new(
                    1,
                    None,
                    "JSON_NO_COINCIDE",
                    format!("\"{name}\" no tiene la lista \"avisos\" que devuelve el servicio."),
                ));
                None
            }
        },
        _ => {
            problems.push(Problem::new(
                1,
                None,
                "JSON_NO_COINCIDE",
                format!("\"{name}\" no es una respuesta del servicio de avisos."),
            ));
            None
        }
    }
}

/// Each aviso against the set's aviso of the same folio; `seen` collects the folios found.
fn compare_avisos(
    name: &str,
    items: &[serde_json::Value],
    expected: &BTreeMap<&str, serde_json::Value>,
    seen: &mut BTreeSet<String>,
    problems: &mut Vec<Problem>,
) {
    for (n, item) in items.iter().enumerate() {
        let folio = item
            .get("folio_aviso")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let Some(wanted) = expected.get(folio) else {
            problems.push(Problem::new(
                1,
                None,
                "JSON_NO_COINCIDE",
                format!(
                    "\"{name}\", aviso {}: el folio \"{folio}\" no pertenece a este set de pruebas.",
                    n + 1
                ),
            ));
            continue;
        };
        let differing: Vec<&str> = AVISO_FIELDS
            .iter()
            .copied()
            .filter(|f| item.get(*f) != wanted.get(*f))
            .collect();
        if !differing.is_empty() {
            problems.push(Problem::new(
                1,
                None,
                "JSON_NO_COINCIDE",
                format!(
                    "\"{name}\", aviso con folio {folio}: no coincide con el set en {}.",
                    differing.join(", ")
                ),
            ));
        }
        seen.insert(folio.to_string());
    }
}

/// ZIP_SIN_JSON when no JSON file was read, else AVISO_FALTANTE for the set's avisos not seen.
fn report_missing(
    json_files: usize,
    expected: &BTreeMap<&str, serde_json::Value>,
    seen: &BTreeSet<String>,
    problems: &mut Vec<Problem>,
) {
    if json_files == 0 && !problems.iter().any(|p| p.pestana == 1) {
        problems.push(Problem::new(
            1,
            None,
            "ZIP_SIN_JSON",
            "El .zip de la pestaña 1 no contiene archivos .json.",
        ));
    } else {
        let missing: Vec<&str> = expected
            .keys()
            .copied()
            .filter(|f| !seen.contains(*f))
            .collect();
        if !missing.is_empty() && json_files > 0 {
            problems.push(Problem::new(
                1,
                None,
                "AVISO_FALTANTE",
                format!(
                    "Faltan {} aviso(s) del set en los archivos JSON: {}.",
                    missing.len(),
                    missing.join(", ")
                ),
            ));
        }
    }
}
