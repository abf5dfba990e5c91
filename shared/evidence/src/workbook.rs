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

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

use base64::Engine;
use calamine::Data;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::money;
use crate::testset::{TestSet, TipoCaso};

pub const MAX_WORKBOOK_BYTES: usize = 5 * 1024 * 1024;

/// Tab names, in order.
pub const TAB_NAMES: [&str; 4] = ["1 Avisos JSON", "2 Resultados", "3 Pantallas", "4 CFDI"];

/// Limits of the inner zip (tab 1): entries, total and per-entry inflated size, ratio.
pub const MAX_ZIP_ENTRIES: usize = 200;
pub const MAX_ZIP_TOTAL_BYTES: u64 = 16 * 1024 * 1024;
pub const MAX_ZIP_ENTRY_BYTES: u64 = 8 * 1024 * 1024;
/// Compression ratio above which a non-tiny entry is taken for a bomb.
pub const MAX_ZIP_RATIO: u64 = 100;
/// Limits of the .xlsx package itself (its XML parts compress well, hence a higher ratio).
const MAX_PACKAGE_ENTRIES: usize = 1000;
const MAX_PACKAGE_TOTAL_BYTES: u64 = 96 * 1024 * 1024;
const MAX_PACKAGE_RATIO: u64 = 250;
/// Entries smaller than this are not judged by ratio (tiny files compress oddly).
const RATIO_FLOOR: u64 = 64 * 1024;

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

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

/// The format the bytes claim (magic bytes), if any.
pub fn sniff(bytes: &[u8]) -> Option<Formato> {
    if bytes.starts_with(&OLE_MAGIC) {
        Some(Formato::Xls)
    } else if bytes.starts_with(&ZIP_MAGIC) {
        Some(Formato::Xlsx)
    } else {
        None
    }
}

/// Checks an uploaded workbook against the test set it answers. Refuses bytes larger than
/// [`MAX_WORKBOOK_BYTES`] first, before looking at them.
pub fn check(bytes: &[u8], file_name: &str, set: &TestSet) -> Result<Evidence, Rejection> {
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

    // .xlsx: judge the package's directory before anything is inflated.
    let (package, mut workbook) = match formato {
        Formato::Xlsx => {
            let package = Package::open(bytes).map_err(Rejection::one)?;
            let xlsx = crate::xlsx::open(bytes).map_err(|e| Rejection::one(xlsx_problem(e)))?;
            (Some(package), Book::Xlsx(xlsx))
        }
        Formato::Xls => {
            let xls = crate::xls::open(bytes).map_err(|e| Rejection::one(xls_problem(e)))?;
            (None, Book::Xls(xls))
        }
    };
    let sheet_names = workbook.sheet_names();
    let mut text_budget = MAX_GRID_TEXT_BYTES;
    let tabs = locate_tabs(&sheet_names);
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
    let mut grid = |tab: usize| -> Option<Grid> {
        let name = tabs[tab].as_ref()?;
        match read_grid(&mut workbook, name, &mut text_budget) {
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
    };
    let ranges = [grid(0), grid(1), grid(2), grid(3)];

    // Tab 1.
    let mut json_files = 0;
    if tabs[0].is_some() {
        let embedded = package
            .as_ref()
            .and_then(|p| p.embedded(".zip", &mut problems));
        let zip_bytes = match embedded {
            Some(z) => Some(z),
            None => ranges[0]
                .as_ref()
                .and_then(|r| base64_from_column_a(r, &mut problems)),
        };
        match zip_bytes {
            Some(z) => json_files = check_avisos_zip(&z, set, &mut problems),
            None if !problems.iter().any(|p| p.pestana == 1) => problems.push(Problem::new(
                1,
                None,
                "ZIP_FALTANTE",
                "La pestaña 1 no contiene el .zip con los archivos JSON (en base64 en la columna A desde el renglón 2, o incrustado en .xlsx).",
            )),
            None => {}
        }
    }

    // Tab 2.
    let resultados = match (&tabs[1], &ranges[1]) {
        (Some(_), Some(r)) => check_results(r, set, &mut problems),
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
    };

    // Tab 3.
    let mut capturas = 0;
    if let Some(name) = &tabs[2] {
        capturas = match &mut workbook {
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
    }

    // Tab 4.
    let mut cfdi = CfdiSummary::default();
    if tabs[3].is_some() {
        let embedded = package
            .as_ref()
            .and_then(|p| p.embedded(".xml", &mut problems))
            .and_then(|b| String::from_utf8(b).ok());
        let texts = match embedded {
            Some(xml) => vec![xml],
            None => ranges[3].as_ref().map(column_a_texts).unwrap_or_default(),
        };
        match check_cfdi(&texts) {
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

/// Most cells read from one tab (the workbook needs a few hundred), and the columns kept.
pub const MAX_GRID_CELLS: usize = 1_000_000;
const MAX_GRID_COLUMN: u32 = 255;
/// Most text read from the four tabs together. A legitimate workbook holds at most its own
/// size in text (base64 of tab 1, the CFDI); a cell is a copy of its shared string, so without
/// a cap a 5 MB file repeating one 32,767-character string in every cell asks for gigabytes.
pub const MAX_GRID_TEXT_BYTES: usize = 32 * 1024 * 1024;

/// A tab's cells, sparse: calamine's `Range` is dense from the first to the last cell, so a
/// small .xlsx with one cell in A1 and one in XFD1048576 would ask for gigabytes; tabs are
/// streamed cell by cell into this instead.
struct Grid {
    /// (row, column), 0-based → value.
    cells: BTreeMap<(u32, u32), Data>,
}

enum GridError {
    TooLarge,
    Unreadable,
}

impl Grid {
    fn get(&self, row: u32, col: u32) -> Option<&Data> {
        self.cells.get(&(row, col))
    }

    /// The rows that have cells, in order.
    fn rows(&self) -> Vec<u32> {
        let mut rows: Vec<u32> = self.cells.keys().map(|(r, _)| *r).collect();
        rows.dedup();
        rows
    }

    fn row(&self, row: u32) -> impl Iterator<Item = (u32, &Data)> {
        self.cells
            .range((row, 0)..=(row, u32::MAX))
            .map(|((_, c), v)| (*c, v))
    }

    /// Keeps a cell; `budget` is the text still allowed across the workbook's tabs.
    fn insert(
        &mut self,
        row: u32,
        col: u32,
        value: Data,
        budget: &mut usize,
    ) -> Result<(), GridError> {
        if col > MAX_GRID_COLUMN || matches!(value, Data::Empty) {
            return Ok(());
        }
        if self.cells.len() >= MAX_GRID_CELLS {
            return Err(GridError::TooLarge);
        }
        if let Data::String(text) = &value {
            *budget = budget.checked_sub(text.len()).ok_or(GridError::TooLarge)?;
        }
        self.cells.insert((row, col), value);
        Ok(())
    }
}

/// The opened workbook.
enum Book<'a> {
    Xlsx(crate::xlsx::Workbook<'a>),
    Xls(crate::xls::Workbook),
}

impl Book<'_> {
    fn sheet_names(&self) -> Vec<String> {
        match self {
            Book::Xlsx(xlsx) => xlsx.sheet_names(),
            Book::Xls(xls) => xls.sheet_names(),
        }
    }
}

fn read_grid(workbook: &mut Book<'_>, name: &str, budget: &mut usize) -> Result<Grid, GridError> {
    let mut grid = Grid {
        cells: BTreeMap::new(),
    };
    match workbook {
        Book::Xlsx(xlsx) => xlsx
            .cells(name, |row, col, value| grid.insert(row, col, value, budget))
            .map_err(|e| match e {
                crate::xlsx::CellsError::Sink(e) => e,
                crate::xlsx::CellsError::Xlsx(crate::xlsx::XlsxError::TooLarge) => {
                    GridError::TooLarge
                }
                crate::xlsx::CellsError::Xlsx(crate::xlsx::XlsxError::Unreadable) => {
                    GridError::Unreadable
                }
            })?,
        Book::Xls(xls) => xls
            .cells(name, |row, col, value| grid.insert(row, col, value, budget))
            .map_err(|e| match e {
                crate::xls::CellsError::Sink(e) => e,
                crate::xls::CellsError::Damaged => GridError::Unreadable,
            })?,
    }
    Ok(grid)
}

/// Lower case, accents folded, spaces collapsed.
fn normalize(name: &str) -> String {
    let folded: String = name
        .chars()
        .map(|c| match c {
            'á' | 'Á' => 'a',
            'é' | 'É' => 'e',
            'í' | 'Í' => 'i',
            'ó' | 'Ó' => 'o',
            'ú' | 'Ú' | 'ü' | 'Ü' => 'u',
            'ñ' | 'Ñ' => 'n',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each tab's sheet name: by exact (normalized) name, else the sheet at its position when that
/// sheet's name starts with the tab's number.
fn locate_tabs(names: &[String]) -> [Option<String>; 4] {
    let mut tabs: [Option<String>; 4] = Default::default();
    for (i, wanted) in TAB_NAMES.iter().enumerate() {
        let wanted = normalize(wanted);
        tabs[i] = names.iter().find(|n| normalize(n) == wanted).cloned();
        if tabs[i].is_none()
            && let Some(at) = names.get(i)
        {
            let n = normalize(at);
            let digit = char::from(b'1' + i as u8);
            let starts = n.starts_with(digit) && !n[1..].starts_with(|c: char| c.is_ascii_digit());
            let taken = TAB_NAMES.iter().any(|t| normalize(t) == n);
            if starts && !taken {
                tabs[i] = Some(at.clone());
            }
        }
    }
    tabs
}

fn cell_text(cell: Option<&Data>) -> String {
    match cell {
        None | Some(Data::Empty) => String::new(),
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Bool(b)) => b.to_string(),
        Some(other) => other.to_string(),
    }
}

/// Column A's texts (column 0), top to bottom, from `first_row` (0-based), as (Excel row, text).
fn column_a(grid: &Grid, first_row: u32) -> Vec<(u32, String)> {
    grid.cells
        .range((first_row, 0)..)
        .filter(|((_, col), _)| *col == 0)
        .map(|((row, _), v)| (row + 1, cell_text(Some(v))))
        .filter(|(_, text)| !text.is_empty())
        .collect()
}

fn column_a_texts(grid: &Grid) -> Vec<String> {
    column_a(grid, 0).into_iter().map(|(_, t)| t).collect()
}

fn base64_from_column_a(grid: &Grid, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
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

/// An entry's name; None when it is not valid text.
fn entry_name<R: Read + std::io::Seek>(
    archive: &zip::ZipArchive<R>,
    index: usize,
) -> Option<String> {
    archive
        .name_for_index(index)
        .and_then(|n| n.ok())
        .map(|n| n.into_owned())
}

/// A path inside a zip that could escape the folder it is extracted to.
fn unsafe_path(name: &str) -> bool {
    name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.contains('\0')
        || name == "(nombre ilegible)"
        || name.as_bytes().get(1) == Some(&b':')
        || name.split('/').any(|part| part == "..")
}

/// Directory checks before inflating: returns the problems (bomb) found.
fn judge_directory<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    max_entries: usize,
    max_total: u64,
    max_entry: u64,
    max_ratio: u64,
) -> Result<(), String> {
    if archive.len() > max_entries {
        return Err(format!(
            "tiene {} archivos; el máximo es {max_entries}",
            archive.len()
        ));
    }
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|_| "no se puede leer su directorio".to_string())?;
        let size = entry.size();
        let packed = entry.compressed_size().max(1);
        total = total.saturating_add(size);
        if size > max_entry {
            return Err(format!(
                "\"{}\" descomprime a {size} bytes; el máximo por archivo es {max_entry}",
                String::from_utf8_lossy(entry.name_raw())
            ));
        }
        if size > RATIO_FLOOR && size / packed > max_ratio {
            return Err(format!(
                "\"{}\" tiene una razón de compresión de {}:1 (máximo {max_ratio}:1)",
                String::from_utf8_lossy(entry.name_raw()),
                size / packed
            ));
        }
    }
    if total > max_total {
        return Err(format!(
            "descomprime a {total} bytes en total; el máximo es {max_total}"
        ));
    }
    Ok(())
}

/// Reads one entry through a hard cap.
fn read_capped<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    index: usize,
    cap: u64,
) -> Result<Vec<u8>, ReadError> {
    let entry = archive.by_index(index).map_err(|_| ReadError::Corrupt)?;
    let mut out = Vec::with_capacity(entry.size().min(cap) as usize);
    entry
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|_| ReadError::Corrupt)?;
    if out.len() as u64 > cap {
        return Err(ReadError::TooLarge);
    }
    Ok(out)
}

enum ReadError {
    Corrupt,
    TooLarge,
}

/// The .xlsx package, its directory judged once.
struct Package<'a> {
    bytes: &'a [u8],
}

impl<'a> Package<'a> {
    fn open(bytes: &'a [u8]) -> Result<Package<'a>, Problem> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
            Problem::new(
                0,
                None,
                "LIBRO_ILEGIBLE",
                "El libro .xlsx está dañado: su paquete zip no se puede leer.",
            )
        })?;
        judge_directory(
            &mut archive,
            MAX_PACKAGE_ENTRIES,
            MAX_PACKAGE_TOTAL_BYTES,
            MAX_PACKAGE_TOTAL_BYTES,
            MAX_PACKAGE_RATIO,
        )
        .map_err(|why| {
            Problem::new(
                0,
                None,
                "PAQUETE_SOSPECHOSO",
                format!("El libro .xlsx no se procesa porque su paquete {why}."),
            )
        })?;
        Ok(Package { bytes })
    }

    /// The first embedded part `xl/embeddings/*<ext>`, read through a cap.
    fn embedded(&self, ext: &str, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
        let mut archive = zip::ZipArchive::new(Cursor::new(self.bytes)).ok()?;
        let index = (0..archive.len()).find(|&i| {
            entry_name(&archive, i).is_some_and(|n| {
                let n = n.to_ascii_lowercase();
                n.starts_with("xl/embeddings/") && n.ends_with(ext)
            })
        })?;
        match read_capped(&mut archive, index, MAX_WORKBOOK_BYTES as u64 * 4) {
            Ok(bytes) => Some(bytes),
            Err(_) => {
                let tab = if ext == ".zip" { 1 } else { 4 };
                problems.push(Problem::new(
                    tab,
                    None,
                    "LIBRO_ILEGIBLE",
                    format!("El archivo incrustado {ext} de la pestaña {tab} está dañado."),
                ));
                None
            }
        }
    }
}

/// The aviso fields compared with the set, in order.
const AVISO_FIELDS: [&str; 14] = [
    "nrp",
    "nss",
    "rfc_trabajador",
    "curp_trabajador",
    "folio_aviso",
    "num_credito",
    "tipo_aviso",
    "fecha_aviso",
    "fecha_otorgamiento",
    "fecha_inicio_descuento",
    "tipo_credito",
    "estatus_credito",
    "tipo_descuento",
    "valor_descuento",
];

/// Tab 1's zip: directory checks, path checks, then every JSON file against the set.
/// Returns the number of JSON files read.
fn check_avisos_zip(bytes: &[u8], set: &TestSet, problems: &mut Vec<Problem>) -> usize {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        problems.push(Problem::new(
            1,
            None,
            "ZIP_INVALIDO",
            "El archivo de la pestaña 1 no es un .zip válido (está dañado o incompleto).",
        ));
        return 0;
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
        return 0;
    }
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
        let name = entry_name(&archive, i).unwrap_or_else(|| "(nombre ilegible)".to_string());
        if unsafe_path(&name) {
            problems.push(Problem::new(
                1,
                None,
                "ZIP_RUTA_INSEGURA",
                format!(
                    "El .zip contiene la ruta insegura \"{name}\" (no se permiten \"..\", rutas absolutas ni diagonales invertidas)."
                ),
            ));
            continue;
        }
        if name.ends_with('/') {
            continue;
        }
        if !name.to_ascii_lowercase().ends_with(".json") {
            problems.push(Problem::new(
                1,
                None,
                "ARCHIVO_NO_JSON",
                format!("El .zip contiene \"{name}\", que no es un archivo .json."),
            ));
            continue;
        }
        let data = match read_capped(&mut archive, i, budget.min(MAX_ZIP_ENTRY_BYTES)) {
            Ok(d) => d,
            Err(ReadError::TooLarge) => {
                problems.push(Problem::new(
                    1,
                    None,
                    "ZIP_BOMBA",
                    format!("\"{name}\" descomprime a más de lo permitido."),
                ));
                return json_files;
            }
            Err(ReadError::Corrupt) => {
                problems.push(Problem::new(
                    1,
                    None,
                    "ZIP_INVALIDO",
                    format!("\"{name}\" está dañado dentro del .zip."),
                ));
                continue;
            }
        };
        budget = budget.saturating_sub(data.len() as u64);
        json_files += 1;
        let value: serde_json::Value = match serde_json::from_slice(&data) {
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
                continue;
            }
        };
        let items = match &value {
            serde_json::Value::Array(items) => items,
            serde_json::Value::Object(o) => match o.get("avisos") {
                Some(serde_json::Value::Array(items)) => items,
                _ => {
                    problems.push(Problem::new(
                        1,
                        None,
                        "JSON_NO_COINCIDE",
                        format!(
                            "\"{name}\" no tiene la lista \"avisos\" que devuelve el servicio."
                        ),
                    ));
                    continue;
                }
            },
            _ => {
                problems.push(Problem::new(
                    1,
                    None,
                    "JSON_NO_COINCIDE",
                    format!("\"{name}\" no es una respuesta del servicio de avisos."),
                ));
                continue;
            }
        };
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
    json_files
}

/// A case id as it may appear in column A: a letter and digits (M01, E07).
fn looks_like_case_id(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.len() >= 2
        && text.len() <= 6
        && chars.all(|c| c.is_ascii_digit())
}

fn check_results(grid: &Grid, set: &TestSet, problems: &mut Vec<Problem>) -> Vec<ReportedResult> {
    let mut results: Vec<ReportedResult> = Vec::new();
    // Cases that have a row, even a faulty one (its problem is reported on its row).
    let mut rows: BTreeSet<String> = BTreeSet::new();
    {
        for row in grid.rows() {
            let fila = row + 1;
            let id = cell_text(grid.get(row, 0)).trim().to_uppercase();
            if !looks_like_case_id(&id) {
                continue;
            }
            let Some(caso) = set.caso(&id) else {
                problems.push(Problem::new(
                    2,
                    Some(fila),
                    "CASO_DESCONOCIDO",
                    format!("El caso \"{id}\" no pertenece a este set de pruebas."),
                ));
                continue;
            };
            if !rows.insert(id.clone()) {
                problems.push(Problem::new(
                    2,
                    Some(fila),
                    "CASO_DUPLICADO",
                    format!("El caso {id} aparece más de una vez."),
                ));
                continue;
            }
            let tipo = normalize(&cell_text(grid.get(row, 1)));
            if tipo != normalize(caso.tipo.as_str()) {
                problems.push(Problem::new(
                    2,
                    Some(fila),
                    "TIPO_INCORRECTO",
                    format!(
                        "El caso {id} es de tipo \"{}\" (columna B).",
                        caso.tipo.as_str()
                    ),
                ));
            }
            let monto = match grid.get(row, 2) {
                None | Some(Data::Empty) => {
                    problems.push(Problem::new(
                        2,
                        Some(fila),
                        "MONTO_FALTANTE",
                        format!("Falta el monto de la retención del caso {id} (columna C)."),
                    ));
                    None
                }
                Some(Data::Float(f)) => money::from_f64(*f),
                Some(Data::Int(i)) => i.checked_mul(100),
                Some(other) => money::parse(&cell_text(Some(other))),
            };
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
                Some(monto) => results.push(ReportedResult {
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
                        format!(
                            "El monto del caso {id} no es un importe en pesos (p. ej. 1234.56)."
                        ),
                    ));
                }
                None => {}
            }
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

/// What the CFDI parse found.
#[derive(Default)]
struct CfdiScan {
    comprobante: bool,
    sello: Option<String>,
    nomina: bool,
    deduccion: Option<(String, String)>,
    receptor_rfc: Option<String>,
}

fn scan_cfdi(xml: &str) -> Result<CfdiScan, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut scan = CfdiScan::default();
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        let element = match &event {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => break,
            _ => continue,
        };
        let local = element.local_name();
        let attr = |key: &str| -> Option<String> {
            element.attributes().flatten().find_map(|a| {
                (a.key.local_name().as_ref() == key)
                    .then(|| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(|v| v.into_owned())
                    })
                    .flatten()
            })
        };
        match local.as_ref() {
            "Comprobante" => {
                scan.comprobante = true;
                scan.sello = attr("Sello");
            }
            "Nomina" => scan.nomina = true,
            "Receptor" if scan.receptor_rfc.is_none() => scan.receptor_rfc = attr("Rfc"),
            "Deduccion" => {
                let tipo = attr("TipoDeduccion").unwrap_or_default();
                if (tipo == "009" || tipo == "010") && scan.deduccion.is_none() {
                    scan.deduccion = Some((tipo, attr("Importe").unwrap_or_default()));
                }
            }
            _ => {}
        }
    }
    Ok(scan)
}

fn check_cfdi(texts: &[String]) -> Result<CfdiSummary, Problem> {
    if texts.iter().all(|t| t.trim().is_empty()) {
        return Err(Problem::new(
            4,
            None,
            "CFDI_FALTANTE",
            "La pestaña 4 no contiene el XML del CFDI de nómina (columna A).",
        ));
    }
    // Chunks are joined as they are; a CFDI pasted one line per cell needs the line breaks back.
    let joined = texts.concat();
    let scan = match scan_cfdi(joined.trim()) {
        Ok(scan) => scan,
        Err(first) => scan_cfdi(texts.join("\n").trim()).map_err(|_| {
            Problem::new(
                4,
                None,
                "CFDI_INVALIDO",
                format!("El XML del CFDI de la pestaña 4 no es válido: {first}."),
            )
        })?,
    };
    if !scan.comprobante {
        return Err(Problem::new(
            4,
            None,
            "CFDI_INVALIDO",
            "El XML de la pestaña 4 no es un CFDI (falta cfdi:Comprobante).",
        ));
    }
    if scan.sello.as_deref().is_some_and(|s| !s.trim().is_empty()) {
        return Err(Problem::new(
            4,
            None,
            "CFDI_SELLADO",
            "El CFDI de la pestaña 4 debe enviarse sin sellar (atributo Sello vacío o ausente).",
        ));
    }
    if !scan.nomina {
        return Err(Problem::new(
            4,
            None,
            "CFDI_NO_ES_NOMINA",
            "El CFDI de la pestaña 4 no tiene el complemento de nómina (nomina12:Nomina).",
        ));
    }
    let Some((tipo, importe)) = scan.deduccion else {
        return Err(Problem::new(
            4,
            None,
            "CFDI_SIN_DEDUCCION",
            "El CFDI de la pestaña 4 no incluye la deducción del crédito de vivienda (nomina12:Deduccion con TipoDeduccion 009 o 010).",
        ));
    };
    let importe = money::parse(&importe)
        .or_else(|| importe.trim().parse::<f64>().ok().and_then(money::from_f64))
        .unwrap_or(0);
    Ok(CfdiSummary {
        tipo_deduccion: tipo,
        importe,
        receptor_rfc: scan.receptor_rfc,
    })
}
