//! BIFF8 strings: `XLUnicodeString` in one record and the shared strings table (SST).

use super::records::{Record, Segments, u16_at};

/// `XLUnicodeString` inside one record (LABEL, STRING): cch (u16), flags, characters. A
/// string longer than the record is cut where the data ends, as Excel's readers do.
pub(super) fn unicode_string(data: &[u8], cont: &[&[u8]]) -> Option<String> {
    let cch = usize::from(u16_at(data, 0)?);
    let high = data.get(2)? & 1 != 0;
    let mut segments = Segments::new(data.get(3..)?, cont.to_vec());
    // Shorter than declared: take the whole characters there are.
    let width: usize = if high { 2 } else { 1 };
    let available = data.len().saturating_sub(3).checked_div(width)?;
    if cont.is_empty() {
        return segments.chars(cch.min(available), high);
    }
    segments.chars(cch, high)
}

/// `XLUnicodeRichExtendedString` (MS-XLS 2.5.293), one entry of the SST.
pub(super) fn rich_string(s: &mut Segments<'_>) -> Option<String> {
    let cch = usize::from(s.u16()?);
    let flags = s.byte()?;
    let runs = if flags & 0x08 != 0 {
        usize::from(s.u16()?)
    } else {
        0
    };
    let ext = if flags & 0x04 != 0 {
        usize::try_from(s.u32()?).ok()?
    } else {
        0
    };
    let text = s.chars(cch, flags & 1 != 0)?;
    s.skip(runs.checked_mul(4)?)?;
    s.skip(ext)?;
    Some(text)
}

/// The shared strings, kept as one text and the bounds of each string in it.
#[derive(Default)]
pub(super) struct SharedStrings {
    text: String,
    bounds: Vec<(usize, usize)>,
}

impl SharedStrings {
    pub(super) fn parse(record: &Record<'_>) -> Option<SharedStrings> {
        let mut s = Segments::new(record.data.get(8..)?, record.cont.clone());
        let mut sst = SharedStrings::default();
        while !s.at_end() {
            let one = rich_string(&mut s)?;
            let start = sst.text.len();
            sst.text.push_str(&one);
            sst.bounds.push((start, sst.text.len()));
        }
        Some(sst)
    }

    pub(super) fn get(&self, index: u32) -> Option<&str> {
        let (start, end) = *self.bounds.get(usize::try_from(index).ok()?)?;
        self.text.get(start..end)
    }
}
