//! The reader against the writers' fixtures and hostile references.

use super::cells::cell_ref;
use super::xml::unescape_excel;
use super::*;
use calamine::Data;
use std::collections::BTreeMap;

fn cells(book: &mut Workbook<'_>, name: &str) -> BTreeMap<(u32, u32), Data> {
    let mut out = BTreeMap::new();
    let result = book.cells(name, |r, c, v| {
        out.insert((r, c), v);
        Ok::<(), ()>(())
    });
    assert!(result.is_ok());
    out
}

#[test]
fn the_fixture_reads_as_calamine_reads_it() {
    use calamine::Reader;
    let bytes = include_bytes!("../../../testdata/evidencias.xlsx");
    let mut ours = open(bytes).expect("the fixture opens");
    let mut theirs: calamine::Xlsx<_> =
        calamine::Xlsx::new(Cursor::new(&bytes[..])).expect("calamine opens it");
    assert_eq!(ours.sheet_names(), theirs.sheet_names());
    let mut compared = 0;
    for name in theirs.sheet_names() {
        let range = theirs.worksheet_range(&name).expect("range");
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mine = cells(&mut ours, &name);
        let mut expected = BTreeMap::new();
        for (r, c, v) in range.used_cells() {
            expected.insert((r0 + r as u32, c0 + c as u32), v.clone());
        }
        assert_eq!(mine.len(), expected.len(), "{name}");
        for (pos, theirs) in &expected {
            match (&mine[pos], theirs) {
                (Data::Float(a), Data::DateTime(b)) => assert_eq!(*a, b.as_f64()),
                (mine, theirs) => assert_eq!(mine, theirs, "{name} {pos:?}"),
            }
            compared += 1;
        }
        let their_pictures: Vec<String> = theirs
            .pictures_with_metadata()
            .into_iter()
            .filter(|p| p.sheet_name == name)
            .map(|p| p.extension.to_ascii_lowercase())
            .collect();
        assert_eq!(
            ours.pictures(&name).expect("pictures"),
            their_pictures,
            "{name}"
        );
    }
    assert!(compared > 50, "{compared}");
}

#[test]
fn pictures_over_cells_and_in_cells_count_as_calamine_counts_them() {
    use calamine::Reader;
    use rust_xlsxwriter::{Image, Workbook as Writer};
    let png = crate::sample::screenshot_png(1, 0);
    let image = Image::new_from_buffer(&png).expect("png");
    let mut wb = Writer::new();
    wb.add_worksheet().set_name("vacía").expect("name");
    let ws = wb.add_worksheet().set_name("encima").expect("name");
    ws.insert_image(1, 1, &image).expect("insert");
    ws.insert_image(9, 1, &image).expect("insert");
    let ws = wb.add_worksheet().set_name("en celda").expect("name");
    ws.embed_image(2, 2, &image).expect("embed");
    let bytes = wb.save_to_buffer().expect("xlsx");
    let mut ours = open(&bytes).expect("opens");
    let theirs: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(&bytes[..])).expect("opens");
    for (name, count) in [("vacía", 0), ("encima", 2), ("en celda", 1)] {
        let mine = ours.pictures(name).expect("pictures");
        let theirs: Vec<String> = theirs
            .pictures_with_metadata()
            .into_iter()
            .filter(|p| p.sheet_name == name)
            .map(|p| p.extension)
            .collect();
        assert_eq!(mine.len(), count, "{name}: {mine:?}");
        assert_eq!(mine, theirs, "{name}");
    }
}

#[test]
fn references_outside_the_grid_are_refused() {
    assert_eq!(cell_ref("A1"), Some((0, 0)));
    assert_eq!(cell_ref("XFD1048576"), Some((1_048_575, 16_383)));
    for bad in [
        "",
        "A",
        "1",
        "A0",
        "XFE1",
        "A1048577",
        "A99999999999",
        "AAAA1",
        "A1B",
        "Ñ1",
        "A-1",
    ] {
        assert_eq!(cell_ref(bad), None, "{bad}");
    }
}

#[test]
fn excel_escapes_are_decoded() {
    assert_eq!(unescape_excel("a_x000D_b"), "a\rb");
    assert_eq!(unescape_excel("_xD83D__xDCF7_"), "📷");
    assert_eq!(unescape_excel("_xD83D_x"), "\u{FFFD}x");
    assert_eq!(unescape_excel("_x12"), "_x12");
    assert_eq!(unescape_excel("ñ_x0041_"), "ñA");
}

#[test]
fn parts_resolve_like_paths() {
    assert_eq!(
        resolve("xl", "worksheets/sheet1.xml").as_deref(),
        Some("xl/worksheets/sheet1.xml")
    );
    assert_eq!(
        resolve("xl/drawings", "../media/image1.png").as_deref(),
        Some("xl/media/image1.png")
    );
    assert_eq!(
        resolve("xl", "/XL/Sheet.xml").as_deref(),
        Some("xl/sheet.xml")
    );
    assert_eq!(resolve("", "../../x"), None);
    assert_eq!(rels_of("xl/workbook.xml"), "xl/_rels/workbook.xml.rels");
}
