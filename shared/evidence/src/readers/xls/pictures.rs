//! The pictures a sheet shows: the drawing store's blips (MS-ODRAW) named by the shapes of
//! the sheet's drawing, and IMDATA records after a picture OBJ.

use super::records::{u16_at, u32_at};
use super::{IMDATA, MSO_DRAWING, OBJ, Workbook, XlsError};

/// Deepest nesting of drawing containers walked (a real store nests four deep).
const MAX_ART_DEPTH: usize = 8;

impl Workbook {
    /// The kind of each picture of the drawing store ("png", "jpg", "emf", "dib"...), whichever
    /// sheet shows it.
    #[cfg(test)]
    pub fn pictures(&self) -> Vec<&'static str> {
        self.blips.iter().flatten().copied().collect()
    }

    /// The kind of each picture shown on a sheet, as Excel finds them: the shapes of the
    /// sheet's drawing (MSODRAWING) whose `pib` names a picture of the drawing store (Excel
    /// 97 and later, LibreOffice), and each IMDATA record right after a picture OBJ (xlwt's
    /// `insert_bitmap`, Excel 5/95). Embedded substreams (charts) are not the sheet's. A
    /// damaged sheet drawing shows no picture; `Err` when the sheet's records are damaged.
    pub fn sheet_pictures(&self, name: &str) -> Result<Vec<&'static str>, XlsError> {
        let records = self.sheet_records(name).ok_or(XlsError::Unreadable)?;
        let mut found = Vec::new();
        let mut drawing: Vec<u8> = Vec::new();
        // Whether the record just read is an OBJ of a picture (`ot` 8, at offset 4 both in
        // BIFF8's FtCmo and in BIFF5's OBJ that xlwt writes).
        let mut after_picture_obj = false;
        for record in records {
            let record = record?;
            match record.typ {
                MSO_DRAWING => {
                    drawing.extend_from_slice(record.data);
                    for c in &record.cont {
                        drawing.extend_from_slice(c);
                    }
                }
                IMDATA if after_picture_obj => {
                    found.extend(imdata_kind(record.data, &record.cont));
                }
                _ => {}
            }
            after_picture_obj = record.typ == OBJ && u16_at(record.data, 4) == Some(8);
        }
        for pib in shape_blips(&drawing).unwrap_or_default() {
            let kind = usize::try_from(pib)
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| self.blips.get(i).copied().flatten());
            found.extend(kind);
        }
        Ok(found)
    }
}

/// The drawing group's blip store (MS-ODRAW): each FBSE, in order, with the kind of the
/// picture it embeds (`None` for an FBSE without one). OfficeArt records are walked with an
/// explicit stack no deeper than [`MAX_ART_DEPTH`]. `None` when a record overruns its
/// container, or a picture record has an instance MS-ODRAW does not define or is shorter than
/// its own header.
pub(super) fn blip_store(group: &[u8]) -> Option<Vec<Option<&'static str>>> {
    let mut found = Vec::new();
    // Each level's records and how deep it lies.
    let mut stack: Vec<(&[u8], usize)> = vec![(group, 0)];
    while let Some((level, depth)) = stack.pop() {
        let inner = depth.checked_add(1)?;
        if inner > MAX_ART_DEPTH {
            return None;
        }
        for record in art_records(level) {
            let (_, typ, data) = record?;
            match typ {
                // OfficeArtDggContainer, OfficeArtBStoreContainer: records inside.
                0xF000 | 0xF001 => stack.push((data, inner)),
                // OfficeArtFBSE: 36 bytes, the name (cbName bytes), then the blip itself
                // (absent when the picture lives elsewhere: no picture for us).
                0xF007 => {
                    let name_len = usize::from(*data.get(33)?);
                    let blip = data.get(36usize.checked_add(name_len)?..)?;
                    let mut kind = None;
                    for record in art_records(blip) {
                        let (instance, typ, data) = record?;
                        if let Some(k) = blip_kind(typ, instance, data)? {
                            kind = kind.or(Some(k));
                        }
                    }
                    found.push(kind);
                }
                _ => {}
            }
        }
    }
    Some(found)
}

/// The OfficeArt records of one level, as (instance, type, data); an `Err`-like `None` item
/// (and nothing after it) once a record is not OfficeArt or overruns the level.
fn art_records(level: &[u8]) -> impl Iterator<Item = Option<(u16, u16, &[u8])>> + '_ {
    let mut rest = Some(level);
    std::iter::from_fn(move || {
        let current = rest.take()?;
        if current.is_empty() {
            return None;
        }
        let record = (|| {
            let ver_instance = u16_at(current, 0)?;
            let typ = u16_at(current, 2)?;
            let len = usize::try_from(u32_at(current, 4)?).ok()?;
            if typ < 0xF000 {
                return None;
            }
            let end = len.checked_add(8)?;
            let data = current.get(8..end)?;
            Some((ver_instance >> 4, typ, data, current.get(end..)?))
        })();
        Some(record.map(|(instance, typ, data, after)| {
            rest = Some(after);
            (instance, typ, data)
        }))
    })
}

/// A blip record's picture kind: `Some(None)` for a record that is no blip, `None` for a
/// damaged one. The kind by record type, the header (one or two UIDs, then the metafile or
/// bitmap header) by instance: MS-ODRAW allows two instances per kind; any other is a damaged
/// store (calamine hits `unreachable!()`).
fn blip_kind(typ: u16, instance: u16, data: &[u8]) -> Option<Option<&'static str>> {
    if !matches!(typ, 0xF01A..=0xF01F | 0xF029 | 0xF02A) {
        return Some(None);
    }
    let (kind, header) = match (typ, instance) {
        (0xF01A, 0x3D4) => ("emf", 50),
        (0xF01A, 0x3D5) => ("emf", 66),
        (0xF01B, 0x216) => ("wmf", 50),
        (0xF01B, 0x217) => ("wmf", 66),
        (0xF01C, 0x542) => ("pict", 50),
        (0xF01C, 0x543) => ("pict", 66),
        (0xF01D | 0xF02A, 0x46A | 0x6E2) => ("jpg", 17),
        (0xF01D | 0xF02A, 0x46B | 0x6E3) => ("jpg", 33),
        (0xF01E, 0x6E0) => ("png", 17),
        (0xF01E, 0x6E1) => ("png", 33),
        (0xF01F, 0x7A8) => ("dib", 17),
        (0xF01F, 0x7A9) => ("dib", 33),
        (0xF029, 0x6E4) => ("tiff", 17),
        (0xF029, 0x6E5) => ("tiff", 33),
        _ => return None,
    };
    (data.len() >= header).then_some(Some(kind))
}

/// The blip store indexes (1-based `pib`, MS-ODRAW 2.3.23.1) of the picture shapes of a
/// sheet's drawing (its MSODRAWING records joined): every OfficeArtFOPT's `pib` property with
/// `fBid` set. `None` when the drawing is damaged or nests deeper than [`MAX_ART_DEPTH`].
fn shape_blips(drawing: &[u8]) -> Option<Vec<u32>> {
    let mut pibs = Vec::new();
    let mut stack: Vec<(&[u8], usize)> = vec![(drawing, 0)];
    while let Some((level, depth)) = stack.pop() {
        let inner = depth.checked_add(1)?;
        if inner > MAX_ART_DEPTH {
            return None;
        }
        for record in art_records(level) {
            let (instance, typ, data) = record?;
            // OfficeArtDgContainer, OfficeArtSpgrContainer, OfficeArtSpContainer.
            if matches!(typ, 0xF002..=0xF004) {
                stack.push((data, inner));
            } else if typ == 0xF00B {
                // OfficeArtFOPT: `instance` properties of 6 bytes (opid, op), then complex data.
                for i in 0..usize::from(instance) {
                    let at = i.checked_mul(6)?;
                    let (Some(opid), Some(op)) =
                        (u16_at(data, at), u32_at(data, at.checked_add(2)?))
                    else {
                        break;
                    };
                    if opid & 0x3FFF == 0x0104 && opid & 0x4000 != 0 {
                        pibs.push(op);
                    }
                }
            }
        }
    }
    Some(pibs)
}

/// A picture of the IMDATA record (MS-XLS 2.4.142) that follows a picture OBJ, as xlwt's
/// `insert_bitmap` and Excel 5/95-era writers store it: `cf` 0x09 is a bitmap (a
/// BITMAPCOREHEADER and its pixels, all there), 0x02 a metafile; anything else, or a record
/// shorter than it says, is no picture.
fn imdata_kind(data: &[u8], cont: &[&[u8]]) -> Option<&'static str> {
    let cf = u16_at(data, 0)?;
    let lcb = usize::try_from(u32_at(data, 4)?).ok()?;
    let mut available = data.len().checked_sub(8)?;
    for c in cont {
        available = available.checked_add(c.len())?;
    }
    if lcb > available || lcb == 0 {
        return None;
    }
    match cf {
        0x0002 => Some("wmf"),
        0x0009 => {
            // BITMAPCOREHEADER: bcSize 12, width, height, planes 1, bits per pixel.
            if u32_at(data, 8)? != 12 || u16_at(data, 16)? != 1 {
                return None;
            }
            let width = usize::from(u16_at(data, 12)?);
            let height = usize::from(u16_at(data, 14)?);
            let bits = u16_at(data, 18)?;
            let palette: usize = match bits {
                1 => 6,
                4 => 48,
                8 => 768,
                24 => 0,
                _ => return None,
            };
            // Rows padded to 4 bytes.
            let row_bits = width.checked_mul(usize::from(bits))?;
            let stride = row_bits.checked_add(31)?.checked_div(32)?.checked_mul(4)?;
            let pixels = stride.checked_mul(height)?;
            let needed = pixels.checked_add(palette)?.checked_add(12)?;
            (width > 0 && height > 0 && pixels > 0 && lcb >= needed).then_some("bmp")
        }
        _ => None,
    }
}
