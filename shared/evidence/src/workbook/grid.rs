//! A tab's cells as a sparse grid, read from either reader under a cell and text budget, and
//! the tabs found by name or position.

use std::collections::BTreeMap;

use calamine::Data;

use super::TAB_NAMES;

/// Most cells read from one tab (the workbook needs a few hundred), and the columns kept.
pub const MAX_GRID_CELLS: usize = 1_000_000;
pub(super) const MAX_GRID_COLUMN: u32 = 255;
/// Most text read from the four tabs together. A legitimate workbook holds at most its own
/// size in text (base64 of tab 1, the CFDI); a cell is a copy of its shared string, so without
/// a cap a 5 MB file repeating one 32,767-character string in every cell asks for gigabytes.
pub const MAX_GRID_TEXT_BYTES: usize = 32 * 1024 * 1024;

/// A tab's cells, sparse: calamine's `Range` is dense from the first to the last cell, so a
/// small .xlsx with one cell in A1 and one in XFD1048576 would ask for gigabytes; tabs are
/// streamed cell by cell into this instead.
pub(super) struct Grid {
    /// (row, column), 0-based → value.
    cells: BTreeMap<(u32, u32), Data>,
}

pub(super) enum GridError {
    TooLarge,
    Unreadable,
}

impl Grid {
    pub(super) fn get(&self, row: u32, col: u32) -> Option<&Data> {
        self.cells.get(&(row, col))
    }

    /// The rows that have cells, in order.
    pub(super) fn rows(&self) -> Vec<u32> {
        let mut rows: Vec<u32> = self.cells.keys().map(|(r, _)| *r).collect();
        rows.dedup();
        rows
    }

    pub(super) fn row(&self, row: u32) -> impl Iterator<Item = (u32, &Data)> {
        self.cells
            .range((row, 0)..=(row, u32::MAX))
            .map(|((_, c), v)| (*c, v))
    }

    /// Keeps a cell; `budget` is the text still allowed across the workbook's tabs.
    pub(super) fn insert(
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
pub(super) enum Book<'a> {
    Xlsx(crate::xlsx::Workbook<'a>),
    Xls(crate::xls::Workbook),
}

impl Book<'_> {
    pub(super) fn sheet_names(&self) -> Vec<String> {
        match self {
            Book::Xlsx(xlsx) => xlsx.sheet_names(),
            Book::Xls(xls) => xls.sheet_names(),
        }
    }
}

pub(super) fn read_grid(
    workbook: &mut Book<'_>,
    name: &str,
    budget: &mut usize,
) -> Result<Grid, GridError> {
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
pub(super) fn normalize(name: &str) -> String {
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
pub(super) fn locate_tabs(names: &[String]) -> [Option<String>; 4] {
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

pub(super) fn cell_text(cell: Option<&Data>) -> String {
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
pub(super) fn column_a(grid: &Grid, first_row: u32) -> Vec<(u32, String)> {
    grid.cells
        .range((first_row, 0)..)
        .filter(|((_, col), _)| *col == 0)
        .map(|((row, _), v)| (row + 1, cell_text(Some(v))))
        .filter(|(_, text)| !text.is_empty())
        .collect()
}

pub(super) fn column_a_texts(grid: &Grid) -> Vec<String> {
    column_a(grid, 0).into_iter().map(|(_, t)| t).collect()
}
