//! The BIFF8 record stream: little-endian reads that cannot panic, records with their
//! CONTINUE records, a sheet's own records, and character data split across records.

use super::{BOF, CONTINUE, EOF, XlsError};

pub(super) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let bytes = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(bytes.try_into().ok()?))
}

pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let bytes = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

pub(super) fn f64_at(b: &[u8], at: usize) -> Option<f64> {
    let bytes = b.get(at..at.checked_add(8)?)?;
    Some(f64::from_le_bytes(bytes.try_into().ok()?))
}

/// One BIFF record and the CONTINUE records that follow it.
pub(super) struct Record<'a> {
    pub(super) typ: u16,
    pub(super) data: &'a [u8],
    pub(super) cont: Vec<&'a [u8]>,
}

/// The records of a stream from its start; `Err` once a record overruns the stream.
pub(super) struct Records<'a> {
    pub(super) rest: &'a [u8],
}

impl<'a> Records<'a> {
    fn header(&self) -> Option<(u16, usize)> {
        Some((u16_at(self.rest, 0)?, usize::from(u16_at(self.rest, 2)?)))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], XlsError> {
        let end = len.checked_add(4).ok_or(XlsError::Unreadable)?;
        let data = self.rest.get(4..end).ok_or(XlsError::Unreadable)?;
        self.rest = self.rest.get(end..).ok_or(XlsError::Unreadable)?;
        Ok(data)
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, XlsError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let Some((typ, len)) = self.header() else {
            return Some(Err(XlsError::Unreadable));
        };
        let data = match self.take(len) {
            Ok(d) => d,
            Err(e) => return Some(Err(e)),
        };
        let mut cont = Vec::new();
        while let Some((CONTINUE, len)) = self.header() {
            match self.take(len) {
                Ok(d) => cont.push(d),
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(Record { typ, data, cont }))
    }
}

/// A record's data and its CONTINUE records read as one stream, except that character data
/// split across a boundary starts again with a flags byte (MS-XLS 2.5.293).
pub(super) struct Segments<'a> {
    current: &'a [u8],
    next: std::vec::IntoIter<&'a [u8]>,
}

impl<'a> Segments<'a> {
    pub(super) fn new(first: &'a [u8], rest: Vec<&'a [u8]>) -> Segments<'a> {
        Segments {
            current: first,
            next: rest.into_iter(),
        }
    }

    pub(super) fn at_end(&mut self) -> bool {
        while self.current.is_empty() {
            match self.next.next() {
                Some(segment) => self.current = segment,
                None => return true,
            }
        }
        false
    }

    pub(super) fn byte(&mut self) -> Option<u8> {
        if self.at_end() {
            return None;
        }
        let (first, rest) = self.current.split_first()?;
        self.current = rest;
        Some(*first)
    }

    pub(super) fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes([
            self.byte()?,
            self.byte()?,
            self.byte()?,
            self.byte()?,
        ]))
    }

    pub(super) fn skip(&mut self, mut n: usize) -> Option<()> {
        while n > 0 {
            if self.at_end() {
                return None;
            }
            let step = n.min(self.current.len());
            self.current = self.current.get(step..)?;
            n = n.checked_sub(step)?;
        }
        Some(())
    }

    /// `cch` characters, one byte each (Latin-1) or two (UTF-16LE) as `high` says; a
    /// boundary restarts with a flags byte. `None` when the data ends first.
    pub(super) fn chars(&mut self, cch: usize, mut high: bool) -> Option<String> {
        let mut units: Vec<u16> = Vec::new();
        let mut left = cch;
        while left > 0 {
            let width: usize = if high { 2 } else { 1 };
            let fits = self.current.len().checked_div(width)?.min(left);
            if fits == 0 {
                // This segment is spent (an odd byte left is dropped): the next one says
                // how its characters are stored.
                self.current = self.next.next()?;
                high = self.byte()? & 1 != 0;
                continue;
            }
            let bytes = self.current.get(..fits.checked_mul(width)?)?;
            if high {
                units.extend(
                    bytes
                        .chunks_exact(2)
                        .filter_map(|c| Some(u16::from_le_bytes(c.try_into().ok()?))),
                );
            } else {
                units.extend(bytes.iter().map(|b| u16::from(*b)));
            }
            self.current = self.current.get(bytes.len()..)?;
            left = left.checked_sub(fits)?;
        }
        Some(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        )
    }
}

/// The records of one sheet from its BOF up to its EOF, the BOF itself not given. An embedded
/// substream (a chart) is given as its BOF alone, its records skipped: readers that remember
/// the record before see that something came in between.
pub(super) struct SheetRecords<'a> {
    records: Records<'a>,
    seen_bof: bool,
    depth: usize,
}

impl<'a> SheetRecords<'a> {
    pub(super) fn new(start: &'a [u8]) -> SheetRecords<'a> {
        SheetRecords {
            records: Records { rest: start },
            seen_bof: false,
            depth: 0,
        }
    }
}

impl<'a> Iterator for SheetRecords<'a> {
    type Item = Result<Record<'a>, XlsError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let record = match self.records.next()? {
                Ok(record) => record,
                Err(e) => return Some(Err(e)),
            };
            if self.depth > 0 {
                match record.typ {
                    BOF => self.depth = self.depth.saturating_add(1),
                    EOF => self.depth = self.depth.saturating_sub(1),
                    _ => {}
                }
                continue;
            }
            match record.typ {
                BOF if self.seen_bof => {
                    self.depth = 1;
                    return Some(Ok(record));
                }
                BOF => self.seen_bof = true,
                EOF => {
                    // Nothing after the sheet's EOF is the sheet's.
                    self.records.rest = &[];
                    return None;
                }
                _ => return Some(Ok(record)),
            }
        }
    }
}
