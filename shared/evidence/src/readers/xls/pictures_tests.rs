//! The pictures of the drawing store, of a sheet's drawing and of IMDATA records.

use super::tests::{bof, number, rec, stream};
use super::*;

/// A drawing group holding one blip record of `typ`/`instance` with `len` data bytes,
/// inside an FBSE whose name is `name_len` bytes, inside the usual two containers.
fn drawing(typ: u16, instance: u16, len: usize, name_len: u8) -> Vec<u8> {
    let art = |ver_inst: u16, typ: u16, data: &[u8]| {
        let mut out = ver_inst.to_le_bytes().to_vec();
        out.extend_from_slice(&typ.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        out
    };
    let blip = art(instance << 4, typ, &vec![0; len]);
    let mut fbse = vec![0; 36];
    fbse[33] = name_len;
    fbse.extend(vec![b'n'; usize::from(name_len)]);
    fbse.extend(blip);
    let store = art(0x000F, 0xF001, &art(0x0002, 0xF007, &fbse));
    art(0x000F, 0xF000, &store)
}

fn with_drawing(group: &[u8]) -> Result<Workbook, XlsError> {
    from_stream(stream(&[rec(MSO_DRAWING_GROUP, group)], &[("S", vec![])]))
}

#[test]
fn the_picture_store_gives_each_kind() {
    for (typ, instance, kind) in [
        (0xF01E, 0x6E0, "png"),
        (0xF01D, 0x46A, "jpg"),
        (0xF01F, 0x7A8, "dib"),
        (0xF01A, 0x3D4, "emf"),
    ] {
        let book = with_drawing(&drawing(typ, instance, 80, 0)).expect("opens");
        assert_eq!(book.pictures(), [kind]);
    }
    let named = with_drawing(&drawing(0xF01E, 0x6E1, 40, 5)).expect("opens");
    assert_eq!(named.pictures(), ["png"]);
}

/// An OfficeArt record.
fn art(ver_inst: u16, typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = ver_inst.to_le_bytes().to_vec();
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// A sheet drawing (DgContainer > SpgrContainer > SpContainer > FOPT) whose one shape has
/// these FOPT properties, as (opid, op).
fn sheet_drawing(properties: &[(u16, u32)]) -> Vec<u8> {
    let mut fopt = Vec::new();
    for (opid, op) in properties {
        fopt.extend_from_slice(&opid.to_le_bytes());
        fopt.extend_from_slice(&op.to_le_bytes());
    }
    let shape = art(
        0x000F,
        0xF004,
        &art(((properties.len() as u16) << 4) | 3, 0xF00B, &fopt),
    );
    art(0x000F, 0xF002, &art(0x000F, 0xF003, &shape))
}

/// IMDATA with a BITMAPCOREHEADER of `width` × `height` 24-bit pixels, `short` bytes cut.
fn imdata(width: u16, height: u16, short: usize) -> Vec<u8> {
    let stride = (usize::from(width) * 3).div_ceil(4) * 4;
    let lcb = 12 + stride * usize::from(height);
    let mut d = 9u16.to_le_bytes().to_vec();
    d.extend_from_slice(&1u16.to_le_bytes());
    d.extend_from_slice(&(lcb as u32).to_le_bytes());
    d.extend_from_slice(&12u32.to_le_bytes());
    for v in [width, height, 1, 24] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    d.resize(8 + lcb - short, 0x7F);
    d
}

/// xlwt's OBJ of a picture (BIFF5 layout: cObj, then `ot` 8).
fn picture_obj() -> Vec<u8> {
    let mut d = 1u32.to_le_bytes().to_vec();
    d.extend_from_slice(&8u16.to_le_bytes());
    d.resize(60, 0);
    rec(OBJ, &d)
}

fn sheet_pictures(extra: &[Vec<u8>], records: Vec<Vec<u8>>) -> Vec<&'static str> {
    let book =
        from_stream(stream(extra, &[("otra", vec![]), ("3 Pantallas", records)])).expect("opens");
    assert_eq!(book.sheet_pictures("otra"), Ok(vec![]));
    book.sheet_pictures("3 Pantallas").expect("readable")
}

#[test]
fn imdata_after_a_picture_obj_is_a_picture_of_its_sheet() {
    let bitmap = imdata(24, 16, 0);
    assert_eq!(
        sheet_pictures(&[], vec![picture_obj(), rec(IMDATA, &bitmap)]),
        ["bmp"]
    );
    // A large bitmap goes on in CONTINUE records, as xlwt splits it.
    let big = imdata(200, 100, 0);
    let mut split = vec![picture_obj(), rec(IMDATA, &big[..8000])];
    for chunk in big[8000..].chunks(8000) {
        split.push(rec(CONTINUE, chunk));
    }
    assert_eq!(sheet_pictures(&[], split), ["bmp"]);
    // A BIFF8 OBJ (FtCmo: ft 0x15, cb 0x12, ot 8) before it.
    let mut cmo = vec![0x15, 0, 0x12, 0, 8, 0];
    cmo.resize(26, 0);
    assert_eq!(
        sheet_pictures(&[], vec![rec(OBJ, &cmo), rec(IMDATA, &bitmap)]),
        ["bmp"]
    );
    let mut metafile = 2u16.to_le_bytes().to_vec();
    metafile.extend_from_slice(&1u16.to_le_bytes());
    metafile.extend_from_slice(&4u32.to_le_bytes());
    metafile.extend_from_slice(&[1, 2, 3, 4]);
    assert_eq!(
        sheet_pictures(&[], vec![picture_obj(), rec(IMDATA, &metafile)]),
        ["wmf"]
    );
}

#[test]
fn imdata_that_is_no_picture_counts_for_nothing() {
    let good = imdata(24, 16, 0);
    let mut not_picture_obj = 1u32.to_le_bytes().to_vec();
    not_picture_obj.extend_from_slice(&6u16.to_le_bytes()); // a text box
    let mut bad_header = good.clone();
    bad_header[8..12].copy_from_slice(&40u32.to_le_bytes());
    let mut zero_width = good.clone();
    zero_width[12..14].copy_from_slice(&0u16.to_le_bytes());
    let mut huge_lcb = good.clone();
    huge_lcb[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut huge_size = good.clone();
    huge_size[12..16].copy_from_slice(&[0xFF; 4]);
    let mut odd_bits = good.clone();
    odd_bits[18..20].copy_from_slice(&7u16.to_le_bytes());
    let mut native = good.clone();
    native[0..2].copy_from_slice(&0x0Eu16.to_le_bytes());
    for (what, records) in [
        ("without its OBJ", vec![rec(IMDATA, &good)]),
        (
            "after another record",
            vec![picture_obj(), number(0, 0, 1.0), rec(IMDATA, &good)],
        ),
        (
            "after an OBJ of no picture",
            vec![rec(OBJ, &not_picture_obj), rec(IMDATA, &good)],
        ),
        (
            "pixels cut short",
            vec![picture_obj(), rec(IMDATA, &imdata(24, 16, 1))],
        ),
        (
            "header of 8 bytes",
            vec![picture_obj(), rec(IMDATA, &good[..8])],
        ),
        ("no header", vec![picture_obj(), rec(IMDATA, &good[..5])]),
        (
            "not a core header",
            vec![picture_obj(), rec(IMDATA, &bad_header)],
        ),
        ("zero width", vec![picture_obj(), rec(IMDATA, &zero_width)]),
        (
            "lcb past the record",
            vec![picture_obj(), rec(IMDATA, &huge_lcb)],
        ),
        (
            "65535 × 65535 pixels",
            vec![picture_obj(), rec(IMDATA, &huge_size)],
        ),
        (
            "7 bits per pixel",
            vec![picture_obj(), rec(IMDATA, &odd_bits)],
        ),
        ("native format", vec![picture_obj(), rec(IMDATA, &native)]),
        (
            "inside an embedded chart",
            vec![
                bof(0x0020),
                picture_obj(),
                rec(IMDATA, &good),
                rec(EOF, &[]),
            ],
        ),
    ] {
        assert_eq!(sheet_pictures(&[], records), Vec::<&str>::new(), "{what}");
    }
}

#[test]
fn drawing_shapes_show_the_store_pictures_they_name() {
    let store = [rec(MSO_DRAWING_GROUP, &drawing(0xF01E, 0x6E0, 80, 0))];
    let pib = |index: u32| sheet_drawing(&[(0x007F, 0), (0x4104, index)]);
    assert_eq!(
        sheet_pictures(&store, vec![rec(MSO_DRAWING, &pib(1))]),
        ["png"]
    );
    // The drawing split over MSODRAWING records with an OBJ between, as Excel writes it.
    let whole = pib(1);
    let split = vec![
        rec(MSO_DRAWING, &whole[..20]),
        picture_obj(),
        rec(MSO_DRAWING, &whole[20..]),
    ];
    assert_eq!(sheet_pictures(&store, split), ["png"]);
    // The store's picture shown on no sheet, or named wrongly, is none of tab 3's.
    let mut deep = pib(1);
    for _ in 0..20 {
        deep = art(0x000F, 0xF003, &deep);
    }
    let mut overrun = pib(1);
    overrun[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    for (what, records) in [
        ("no drawing", vec![]),
        ("pib 0", vec![rec(MSO_DRAWING, &pib(0))]),
        ("pib past the store", vec![rec(MSO_DRAWING, &pib(2))]),
        (
            "pib without fBid",
            vec![rec(MSO_DRAWING, &sheet_drawing(&[(0x0104, 1)]))],
        ),
        ("nested too deep", vec![rec(MSO_DRAWING, &deep)]),
        ("overrunning", vec![rec(MSO_DRAWING, &overrun)]),
        ("not OfficeArt", vec![rec(MSO_DRAWING, &[0; 16])]),
    ] {
        assert_eq!(
            sheet_pictures(&store, records),
            Vec::<&str>::new(),
            "{what}"
        );
    }
    // An FBSE without its blip (kept elsewhere) is no picture.
    let empty_fbse = {
        let fbse = art(0x0002, 0xF007, &[0; 36]);
        art(0x000F, 0xF000, &art(0x000F, 0xF001, &fbse))
    };
    assert_eq!(
        sheet_pictures(
            &[rec(MSO_DRAWING_GROUP, &empty_fbse)],
            vec![rec(MSO_DRAWING, &pib(1))]
        ),
        Vec::<&str>::new()
    );
}

#[test]
fn the_fixture_shows_its_picture_on_tab_three_only() {
    let book = open(include_bytes!("../../../testdata/evidencias.xls")).expect("opens");
    for name in book.sheet_names() {
        let want: &[&str] = if name == "3 Pantallas" { &["png"] } else { &[] };
        assert_eq!(
            book.sheet_pictures(&name).expect("readable"),
            want,
            "{name}"
        );
    }
}

#[test]
fn a_damaged_picture_store_is_refused_not_a_panic() {
    // Each of these panics calamine 0.38's parse_pictures.
    let unknown_instance = drawing(0xF01E, 0x6E2, 80, 0);
    let short_blip = drawing(0xF01E, 0x6E1, 20, 0);
    let mut short_fbse = drawing(0xF01E, 0x6E0, 80, 0);
    // The FBSE's length cut to 20 bytes (its containers' lengths left as they were).
    short_fbse[20..24].copy_from_slice(&20u32.to_le_bytes());
    let name_past_end = drawing(0xF01E, 0x6E0, 0, 200);
    let mut huge_length = drawing(0xF01E, 0x6E0, 80, 0);
    huge_length[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let not_art = vec![0u8; 16];
    // Containers nested a thousand deep.
    let mut deep = Vec::new();
    for _ in 0..1000 {
        let mut outer = 0x000Fu16.to_le_bytes().to_vec();
        outer.extend_from_slice(&0xF000u16.to_le_bytes());
        outer.extend_from_slice(&(deep.len() as u32).to_le_bytes());
        outer.extend(deep);
        deep = outer;
    }
    for (what, group) in [
        ("unknown instance", unknown_instance),
        ("blip shorter than its header", short_blip),
        ("FBSE shorter than 36 bytes", short_fbse),
        ("FBSE name past its end", name_past_end),
        ("length past the store", huge_length),
        ("not an OfficeArt record", not_art),
        ("nested a thousand deep", deep),
    ] {
        assert_eq!(
            with_drawing(&group).err(),
            Some(XlsError::Pictures),
            "{what}"
        );
    }
}
