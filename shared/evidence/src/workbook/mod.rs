//! The evidence workbook check ("Envío de evidencias", seed 002).
//!
//! The workbook (.xls as the guide says, or .xlsx; at most [`MAX_WORKBOOK_BYTES`]) has four
//! tabs, found by name ("1 Avisos JSON", "2 Resultados", "3 Pantallas", "4 CFDI"; case, accents
//! and spacing ignored) or, failing that, by position when the sheet's name starts with its
//! number. The layout is ours (the guide names only the contents) and LEEME.txt of every test
//! set states it to the developer:
//! 1. A .zip of the JSON files the avisos service returned: base64 text in column A from row 2
//!    (chunks of up to 32,000 characters, the cell limit being 32,767), or, in .xlsx only, an
//!    embedded package part `xl/embeddings/*.zip`. Every entry must be a `.json` file whose
//!    avisos (a list, or an object with an `avisos` list) are avisos of the set, unchanged;
//!    every aviso of the set must appear.
//! 2. One row per case: A case id, B tipo, C amount (pesos), D... calculation steps (required
//!    for muestras). Rows whose column A is not a case id (titles, sections) are skipped.
//! 3. At least one picture shown on tab 3, found as Excel finds it. For .xlsx: the media of
//!    each `blip` in the tab's drawing (two-cell, one-cell or absolute anchors: Excel,
//!    LibreOffice, openpyxl, XlsxWriter) and pictures placed in its cells (`xl/richData`). For
//!    .xls: the tab's drawing shapes whose `pib` names a picture of the workbook's drawing store
//!    (Excel 97+, LibreOffice) and IMDATA records after a picture OBJ in the tab (xlwt's
//!    `insert_bitmap`). Fixtures from each writer: `testdata/writers/`.
//! 4. An unsealed CFDI de nómina: the XML text in column A (cells joined as they are), or in
//!    .xlsx an embedded `xl/embeddings/*.xml` part. `Sello` absent or empty; a
//!    `nomina12:Deduccion` with `TipoDeduccion` "009" or "010". Parsed with quick-xml, which
//!    expands no external entities.
//!
//! Defences, all before the expensive work: the size cap first (the caller also refuses larger
//! bodies before reading them), then magic bytes and extension, then, for .xlsx, the package's
//! central directory (entry count, declared total size, compression ratio) before anything is
//! inflated. Neither format is given to calamine: its .xls reader panics on hostile records
//! (`parse_pictures`, `parse_formula`, the SST) and its .xlsx reader overflows on references
//! out of range and reserves whatever `uniqueCount` says (the fuzz targets in `fuzz/` found
//! these; their crashes are regression inputs in `testdata/fuzz/`), and a panic traps the wasm
//! component. Our readers, `xls` (over the compound-file check `cfb`) and `xlsx`, cannot panic
//! (clippy lints forbid indexing, unchecked arithmetic and unwraps in them) and refuse what they
//! cannot read; calamine only lends its cell type (`Data`). Tabs are read into a sparse grid (at
//! most [`MAX_GRID_CELLS`] cells and [`MAX_GRID_TEXT_BYTES`] of text per workbook, so one long
//! shared string repeated in every cell is no memory bomb), never a dense range. The inner zip
//! gets the same directory checks and path checks (`..`, absolute paths, backslashes, drive
//! letters) before any entry is inflated, and each entry is then read through a hard cap (the
//! zip crate also stops at the declared size).
//!
//! All problems are reported, each with its tab (0 = whole file), row when there is one, a
//! stable code and a Spanish message. Codes: ARCHIVO_DEMASIADO_GRANDE, EXTENSION_NO_PERMITIDA,
//! NO_ES_LIBRO, LIBRO_ILEGIBLE, PAQUETE_SOSPECHOSO, HOJA_DEMASIADO_EXTENSA, PESTANA_FALTANTE, ZIP_FALTANTE,
//! BASE64_INVALIDO, ZIP_INVALIDO, ZIP_BOMBA, ZIP_RUTA_INSEGURA, ARCHIVO_NO_JSON, ZIP_SIN_JSON,
//! JSON_INVALIDO, JSON_NO_COINCIDE, AVISO_FALTANTE, CASO_DESCONOCIDO, CASO_DUPLICADO,
//! TIPO_INCORRECTO, MONTO_FALTANTE, MONTO_INVALIDO, PASOS_FALTANTES, CASO_FALTANTE,
//! SIN_CAPTURAS, CFDI_FALTANTE, CFDI_INVALIDO, CFDI_SELLADO, CFDI_NO_ES_NOMINA,
//! CFDI_SIN_DEDUCCION.

mod cfdi;
mod grid;
mod guard;
mod tabs;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::testset::TestSet;
use grid::{Book, Grid, GridError, locate_tabs, read_grid};
use guard::Package;

pub use grid::{MAX_GRID_CELLS, MAX_GRID_TEXT_BYTES};
pub use guard::{MAX_ZIP_ENTRIES, MAX_ZIP_ENTRY_BYTES, MAX_ZIP_RATIO, MAX_ZIP_TOTAL_BYTES, sniff};

pub const MAX_WORKBOOK_BYTES: usize = 5 * 1024 * 1024;

/// Tab names, in order.
pub const TAB_NAMES: [&str; 4] = ["1 Avisos JSON", "2 Resultados", "3 Pantallas", "4 CFDI"];

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Formato {
    Xls,
    Xlsx,
}

/// One row of tab 2.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReportedResult {
    pub id: String,
    #[serde(with = "crate::money::serde_str")]
    pub monto: i64,
    /// Calculation steps present (required for muestras).
    pub pasos: bool,
    /// The row in tab 2 (1-based, as Excel shows it).
    pub fila: u32,
}

/// What tab 4's CFDI says.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct CfdiSummary {
    /// "009" or "010".
    pub tipo_deduccion: String,
    #[serde(with = "crate::money::serde_str")]
    pub importe: i64,
    pub receptor_rfc: Option<String>,
}

/// An accepted workbook.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Evidence {
    pub formato: Formato,
    pub json_files: usize,
    pub resultados: Vec<ReportedResult>,
    pub capturas: usize,
    pub cfdi: CfdiSummary,
    /// SHA-256 of the uploaded bytes, hex.
    pub sha256: String,
}

/// One problem, by tab (0 = whole file) and row, in Spanish.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Problem {
    pub pestana: u8,
    pub fila: Option<u32>,
    pub codigo: String,
    pub mensaje: String,
}

impl Problem {
    fn new(pestana: u8, fila: Option<u32>, codigo: &str, mensaje: impl Into<String>) -> Problem {
        Problem {
            pestana,
            fila,
            codigo: codigo.to_string(),
            mensaje: mensaje.into(),
        }
    }
}

/// Every problem found.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Rejection {
    pub problems: Vec<Problem>,
}

impl Rejection {
    fn one(problem: Problem) -> Rejection {
        Rejection {
            problems: vec![problem],
        }
    }

    /// The codes, in order (handy in tests and logs).
    pub fn codes(&self) -> Vec<&str> {
        self.problems.iter().map(|p| p.codigo.as_str()).collect()
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for p in &self.problems {
            match p.fila {
                Some(fila) => writeln!(f, "Pestaña {}, renglón {fila}: {}", p.pestana, p.mensaje)?,
                None if p.pestana == 0 => writeln!(f, "Archivo: {}", p.mensaje)?,
                None => writeln!(f, "Pestaña {}: {}", p.pestana, p.mensaje)?,
            }
        }
        Ok(())
    }
}

/// Checks an uploaded workbook against the test set it answers. Refuses bytes larger than
/// [`MAX_WORKBOOK_BYTES`] first, before looking at them.
pub fn check(bytes: &[u8], file_name: &str, set: &TestSet) -> Result<Evidence, Rejection> {
    let formato = admit(bytes, file_name)?;
    let (package, mut workbook) = open(bytes, formato)?;
    let mut problems = Vec::new();
    let sheet_names = workbook.sheet_names();
    let tabs = locate_tabs(&sheet_names);
    report_missing_tabs(&tabs, &sheet_names, &mut problems);
    let mut text_budget = MAX_GRID_TEXT_BYTES;
    let mut grid =
        |tab: usize| read_tab(&mut workbook, &tabs, tab, &mut text_budget, &mut problems);
    let ranges = [grid(0), grid(1), grid(2), grid(3)];

    let json_files = match &tabs[0] {
        Some(_) => tabs::avisos(package.as_ref(), ranges[0].as_ref(), set, &mut problems),
        None => 0,
    };
    let resultados = tabs::results(&tabs[1], ranges[1].as_ref(), set, &mut problems);
    let capturas = match &tabs[2] {
        Some(name) => tabs::pictures(&mut workbook, name, &mut problems),
        None => 0,
    };
    let mut cfdi = CfdiSummary::default();
    if tabs[3].is_some() {
        match tabs::cfdi(package.as_ref(), ranges[3].as_ref(), &mut problems) {
            Ok(summary) => cfdi = summary,
            Err(problem) => problems.push(problem),
        }
    }

    if !problems.is_empty() {
        return Err(Rejection { problems });
    }
    Ok(Evidence {
        formato,
        json_files,
        resultados,
        capturas,
        cfdi,
        sha256: hex(&Sha256::digest(bytes)),
    })
}

/// The checks before the bytes are parsed: size, extension, magic bytes.
fn admit(bytes: &[u8], file_name: &str) -> Result<Formato, Rejection> {
    if bytes.len() > MAX_WORKBOOK_BYTES {
        return Err(Rejection::one(Problem::new(
            0,
            None,
            "ARCHIVO_DEMASIADO_GRANDE",
            format!(
                "El archivo pesa {} bytes; el máximo es 5 MB ({MAX_WORKBOOK_BYTES} bytes).",
                bytes.len()
            ),
        )));
    }
    let mut problems = Vec::new();
    let lower = file_name.trim().to_lowercase();
    if !(lower.ends_with(".xls") || lower.ends_with(".xlsx")) {
        problems.push(Problem::new(
            0,
            None,
            "EXTENSION_NO_PERMITIDA",
            "El archivo debe ser un libro de Excel con extensión .xls o .xlsx.",
        ));
    }
    let Some(formato) = sniff(bytes) else {
        problems.push(Problem::new(
            0,
            None,
            "NO_ES_LIBRO",
            "El contenido del archivo no es un libro de Excel (.xls o .xlsx).",
        ));
        return Err(Rejection { problems });
    };
    if !problems.is_empty() {
        return Err(Rejection { problems });
    }
    Ok(formato)
}

/// Opens the workbook; for .xlsx, judges the package's directory before anything is inflated.
fn open(bytes: &[u8], formato: Formato) -> Result<(Option<Package<'_>>, Book<'_>), Rejection> {
    match formato {
        Formato::Xlsx => {
            let package = Package::open(bytes).map_err(Rejection::one)?;
            let xlsx = crate::xlsx::open(bytes).map_err(|e| Rejection::one(xlsx_problem(e)))?;
            Ok((Some(package), Book::Xlsx(xlsx)))
        }
        Formato::Xls => {
            let xls = crate::xls::open(bytes).map_err(|e| Rejection::one(xls_problem(e)))?;
            Ok((None, Book::Xls(xls)))
        }
    }
}

fn report_missing_tabs(
    tabs: &[Option<String>; 4],
    sheet_names: &[String],
    problems: &mut Vec<Problem>,
) {
    for (i, tab) in tabs.iter().enumerate() {
        if tab.is_none() {
            problems.push(Problem::new(
                i as u8 + 1,
                None,
                "PESTANA_FALTANTE",
                format!(
                    "Falta la pestaña {} \"{}\" (el libro tiene: {}).",
                    i + 1,
                    TAB_NAMES[i],
                    sheet_names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
}

/// Tab `tab` (0-based) as a grid; None when it is missing, too large (reported) or unreadable.
fn read_tab(
    workbook: &mut Book<'_>,
    tabs: &[Option<String>; 4],
    tab: usize,
    text_budget: &mut usize,
    problems: &mut Vec<Problem>,
) -> Option<Grid> {
    let name = tabs[tab].as_ref()?;
    match read_grid(workbook, name, text_budget) {
        Ok(g) => Some(g),
        Err(GridError::TooLarge) => {
            problems.push(Problem::new(
                tab as u8 + 1,
                None,
                "HOJA_DEMASIADO_EXTENSA",
                format!(
                    "La pestaña {} tiene más de {MAX_GRID_CELLS} celdas o el libro más de {} MB de texto; el libro de evidencias sólo necesita unas cuantas.",
                    tab + 1,
                    MAX_GRID_TEXT_BYTES / (1024 * 1024)
                ),
            ));
            None
        }
        Err(GridError::Unreadable) => None,
    }
}

/// Why an .xlsx cannot be read, in the developer's words.
fn xlsx_problem(error: crate::xlsx::XlsxError) -> Problem {
    match error {
        crate::xlsx::XlsxError::Unreadable => Problem::new(
            0,
            None,
            "LIBRO_ILEGIBLE",
            "El libro de Excel está dañado o no se puede leer.",
        ),
        crate::xlsx::XlsxError::TooLarge => Problem::new(
            0,
            None,
            "HOJA_DEMASIADO_EXTENSA",
            format!(
                "El libro tiene más de {} textos o más de {} MB de texto; el libro de evidencias sólo necesita unos cuantos.",
                crate::xlsx::MAX_SHARED_STRINGS,
                crate::xlsx::MAX_SHARED_TEXT / (1024 * 1024)
            ),
        ),
    }
}

/// Why an .xls cannot be read, in the developer's words.
fn xls_problem(error: crate::xls::XlsError) -> Problem {
    use crate::xls::XlsError;
    let mensaje = match error {
        XlsError::Unreadable => "El libro .xls está dañado: su estructura interna no es válida.",
        XlsError::OldFormat => {
            "El libro .xls está en un formato anterior a Excel 97; guárdalo como «Libro de Excel 97-2003» (.xls) o como .xlsx."
        }
        XlsError::Encrypted => {
            "El libro .xls está protegido con contraseña; guárdalo sin contraseña y vuelve a enviarlo."
        }
        XlsError::Pictures => "El libro .xls está dañado: su almacén de imágenes no es válido.",
    };
    Problem::new(0, None, "LIBRO_ILEGIBLE", mensaje)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
