//! The defences that come before any parsing: magic bytes, and the zip directory checks
//! (entry count, declared sizes, compression ratio, unsafe paths) for the .xlsx package and
//! the inner zip of tab 1, with a hard cap on every entry read.

use std::io::{Cursor, Read};

use super::{Formato, MAX_WORKBOOK_BYTES, Problem};

/// Limits of the inner zip (tab 1): entries, total and per-entry inflated size, ratio.
pub const MAX_ZIP_ENTRIES: usize = 200;
pub const MAX_ZIP_TOTAL_BYTES: u64 = 16 * 1024 * 1024;
pub const MAX_ZIP_ENTRY_BYTES: u64 = 8 * 1024 * 1024;
/// Compression ratio above which a non-tiny entry is taken for a bomb.
pub const MAX_ZIP_RATIO: u64 = 100;
/// Limits of the .xlsx package itself (its XML parts compress well, hence a higher ratio).
pub(super) const MAX_PACKAGE_ENTRIES: usize = 1000;
pub(super) const MAX_PACKAGE_TOTAL_BYTES: u64 = 96 * 1024 * 1024;
pub(super) const MAX_PACKAGE_RATIO: u64 = 250;
/// Entries smaller than this are not judged by ratio (tiny files compress oddly).
pub(super) const RATIO_FLOOR: u64 = 64 * 1024;
pub(super) const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
pub(super) const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

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

/// An entry's name; None when it is not valid text.
pub(super) fn entry_name<R: Read + std::io::Seek>(
    archive: &zip::ZipArchive<R>,
    index: usize,
) -> Option<String> {
    archive
        .name_for_index(index)
        .and_then(|n| n.ok())
        .map(|n| n.into_owned())
}

/// A path inside a zip that could escape the folder it is extracted to.
pub(super) fn unsafe_path(name: &str) -> bool {
    name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.contains('\0')
        || name == "(nombre ilegible)"
        || name.as_bytes().get(1) == Some(&b':')
        || name.split('/').any(|part| part == "..")
}

/// Directory checks before inflating: returns the problems (bomb) found.
pub(super) fn judge_directory<R: Read + std::io::Seek>(
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
pub(super) fn read_capped<R: Read + std::io::Seek>(
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

pub(super) enum ReadError {
    Corrupt,
    TooLarge,
}

/// The .xlsx package, its directory judged once.
pub(super) struct Package<'a> {
    bytes: &'a [u8],
}

impl<'a> Package<'a> {
    pub(super) fn open(bytes: &'a [u8]) -> Result<Package<'a>, Problem> {
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
    pub(super) fn embedded(&self, ext: &str, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
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
