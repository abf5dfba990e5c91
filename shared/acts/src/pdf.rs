//! Renders an acuse as PDF with pdf-writer (standard Helvetica/Courier fonts, WinAnsi encoding, so
//! Spanish text prints without embedding fonts). An acuse of an act over terms (a *responsiva*)
//! prints their title, version, SHA-256 and full text, then the cadena original, the signature
//! and the seal. The seal and its cadena are also written to the
//! document information dictionary (`AvisosCadenaSello`, `AvisosSello`, `AvisosFolio`), so tools
//! can verify a downloaded acuse without scraping its text.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::acuse::AcuseRecord;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 42.0;
const GUINDA: (f32, f32, f32) = (0.412, 0.110, 0.196);

/// Spanish month abbreviations as the guides print dates (`07/mar/2024`).
const MESES: [&str; 12] = [
    "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic",
];

/// `07/mar/2024`.
pub fn fecha_guia(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!(
        "{:02}/{}/{}",
        date.day(),
        MESES[date.month0() as usize],
        date.year()
    )
}

/// Encodes text for the WinAnsi standard fonts; characters outside it become `?`.
pub fn winansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

/// Splits text into lines of at most `width` characters, at spaces where possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let mut word = word.to_string();
            while word.chars().count() > width {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                lines.push(head);
            }
            let needed =
                line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if needed > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

#[derive(Clone, Copy)]
enum Font {
    Regular,
    Bold,
    Mono,
}

impl Font {
    fn name(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
            Font::Mono => Name(b"F3"),
        }
    }
}

/// Lays out lines top to bottom, starting new pages as needed.
struct Layout {
    pages: Vec<Content>,
    y: f32,
}

impl Layout {
    fn new() -> Layout {
        let mut l = Layout {
            pages: Vec::new(),
            y: 0.0,
        };
        l.new_page();
        l
    }

    fn new_page(&mut self) {
        let mut c = Content::new();
        // Header band in the institute's colour.
        c.set_fill_rgb(GUINDA.0, GUINDA.1, GUINDA.2);
        c.rect(0.0, PAGE_H - 62.0, PAGE_W, 62.0);
        c.fill_nonzero();
        c.set_fill_rgb(1.0, 1.0, 1.0);
        c.begin_text();
        c.set_font(Font::Bold.name(), 16.0);
        c.next_line(MARGIN, PAGE_H - 32.0);
        c.show(Str(&winansi("INFONAVIT")));
        c.set_font(Font::Regular.name(), 9.5);
        c.next_line(0.0, -16.0);
        c.show(Str(&winansi(
            "Servicio de Intercomunicación de Avisos · Portal Empresarial",
        )));
        c.end_text();
        c.set_fill_rgb(0.0, 0.0, 0.0);
        self.pages.push(c);
        self.y = PAGE_H - 90.0;
    }

    fn line(&mut self, font: Font, size: f32, text: &str) {
        let leading = size * 1.35;
        if self.y - leading < MARGIN {
            self.new_page();
        }
        let c = self.pages.last_mut().unwrap_or_else(|| unreachable!());
        c.begin_text();
        c.set_font(font.name(), size);
        c.next_line(MARGIN, self.y);
        c.show(Str(&winansi(text)));
        c.end_text();
        self.y -= leading;
    }

    fn paragraph(&mut self, font: Font, size: f32, text: &str) {
        // Helvetica averages ~0.5 em per character; Courier is exactly 0.6 em.
        let per_char = match font {
            Font::Mono => 0.6 * size,
            _ => 0.52 * size,
        };
        let width = ((PAGE_W - 2.0 * MARGIN) / per_char) as usize;
        for l in wrap(text, width.max(10)) {
            self.line(font, size, &l);
        }
    }

    fn heading(&mut self, text: &str) {
        self.gap(6.0);
        self.line(Font::Bold, 11.0, text);
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }
}

/// The exact text of the accepted terms: the published version whose SHA-256 is the one signed
/// (a text whose hash differs is never printed as the signed one).
pub fn signed_text(t: &crate::acuse::TerminosAceptados) -> Option<&'static str> {
    crate::terms::TermsId::from_slug(&t.id)
        .map(crate::terms::current)
        .filter(|c| c.version == t.version && c.sha256 == t.sha256)
        .map(|c| c.texto)
}

/// The PDF of an acuse: its text laid out in pages, written with the record's seal in the
/// document information (where `efirma verificar-acuse` reads it back).
pub fn render(record: &AcuseRecord) -> Vec<u8> {
    write(record, lay_out(record))
}

/// The acuse's text, in the guides' order: who, what, the terms accepted, the signature and the
/// seal.
fn lay_out(record: &AcuseRecord) -> Layout {
    let local = record.fecha.with_timezone(&crate::mexico_city());
    let mut l = Layout::new();
    l.line(Font::Bold, 15.0, &record.titulo);
    l.line(
        Font::Regular,
        10.0,
        &format!(
            "Fecha: {}    Hora: {} (hora del centro de México)",
            fecha_guia(local.date_naive()),
            local.format("%H:%M:%S")
        ),
    );
    l.heading("Datos de identificación del solicitante");
    l.line(Font::Regular, 10.0, &format!("Folio: {}", record.folio));
    l.line(Font::Regular, 10.0, &format!("RFC: {}", record.rfc));
    l.paragraph(
        Font::Regular,
        10.0,
        &format!("Nombre, Denominación o Razón Social: {}", record.nombre),
    );
    l.line(
        Font::Regular,
        10.0,
        &format!(
            "No. de certificado de la e.firma: {}",
            record.numero_certificado
        ),
    );
    if !record.datos.is_empty() {
        l.heading("Datos del trámite");
        for d in &record.datos {
            l.paragraph(Font::Regular, 10.0, &format!("{}: {}", d.etiqueta, d.valor));
        }
    }
    if let Some(t) = &record.terminos {
        lay_out_terms(&mut l, t);
    }
    lay_out_signature(&mut l, record);
    l
}

/// The terms accepted with the act, and their text when it is the one signed.
fn lay_out_terms(l: &mut Layout, t: &crate::acuse::TerminosAceptados) {
    l.heading("Términos y condiciones aceptados");
    l.paragraph(
        Font::Regular,
        9.0,
        &format!(
            "{} (versión {}). {}.",
            t.titulo,
            t.version,
            crate::terms::ACCEPTANCE_LEGEND
        ),
    );
    l.paragraph(Font::Mono, 7.0, &format!("SHA-256: {}", t.sha256));
    // The document holds what was signed: the text whose hash the cadena carries.
    match signed_text(t) {
        Some(texto) => {
            l.gap(4.0);
            l.paragraph(Font::Regular, 8.5, texto);
        }
        None => l.paragraph(
            Font::Regular,
            8.5,
            "El texto de esta versión ya no está publicado en el servicio; su huella SHA-256 lo identifica.",
        ),
    }
}

/// The cadena original, the signer's e.firma and the service's seal.
fn lay_out_signature(l: &mut Layout, record: &AcuseRecord) {
    l.heading("Cadena original");
    l.paragraph(Font::Mono, 7.0, &record.cadena_original);
    l.heading("Firma electrónica del solicitante (e.firma)");
    l.paragraph(Font::Mono, 7.0, &record.firma);
    l.heading("Sello digital del servicio");
    l.paragraph(Font::Mono, 7.0, &record.sello);
    l.line(Font::Regular, 8.0, "Cadena del sello:");
    l.paragraph(Font::Mono, 7.0, &record.cadena_sello);
    l.paragraph(
        Font::Mono,
        7.0,
        &format!(
            "Huella SHA-256 de la llave del sello: {}",
            record.sello_huella
        ),
    );
    l.gap(6.0);
    l.paragraph(
        Font::Regular,
        8.0,
        "Este acuse puede verificarse sin conexión con la llave pública del servicio \
         (GET /api/v1/sello) y la herramienta efirma: efirma verificar-acuse --acuse <archivo.pdf> \
         --llave-publica <sello.pem>.",
    );
}

/// The pages of `l` as a PDF, with the record's folio and seal in its document information.
fn write(record: &AcuseRecord, l: Layout) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let info_id = Ref::new(3);
    let fonts = [
        (Font::Regular, Ref::new(4), "Helvetica"),
        (Font::Bold, Ref::new(5), "Helvetica-Bold"),
        (Font::Mono, Ref::new(6), "Courier"),
    ];
    let mut next = 7;
    let mut page_ids = Vec::new();
    let mut content_ids = Vec::new();
    for _ in &l.pages {
        page_ids.push(Ref::new(next));
        content_ids.push(Ref::new(next + 1));
        next += 2;
    }
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    for (i, content) in l.pages.into_iter().enumerate() {
        let mut page = pdf.page(page_ids[i]);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree_id);
        page.contents(content_ids[i]);
        {
            let mut resources = page.resources();
            let mut font_dict = resources.fonts();
            for (font, id, _) in &fonts {
                font_dict.pair(font.name(), *id);
            }
        }
        page.finish();
        pdf.stream(content_ids[i], &content.finish());
    }
    for (_, id, base) in &fonts {
        pdf.type1_font(*id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    {
        let mut info = pdf.document_info(info_id);
        info.title(TextStr(&format!(
            "{} — Folio {}",
            record.titulo, record.folio
        )));
        info.author(TextStr(
            "INFONAVIT — Servicio de Intercomunicación de Avisos",
        ));
        info.subject(TextStr(&format!("Acuse {}", record.folio)));
        info.pair(Name(b"AvisosFolio"), TextStr(&record.folio));
        info.pair(Name(b"AvisosCadenaSello"), TextStr(&record.cadena_sello));
        info.pair(Name(b"AvisosSello"), TextStr(&record.sello));
        info.pair(Name(b"AvisosSelloHuella"), TextStr(&record.sello_huella));
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_dates() {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 7).unwrap();
        assert_eq!(fecha_guia(d), "07/mar/2024");
        let d = chrono::NaiveDate::from_ymd_opt(2023, 12, 22).unwrap();
        assert_eq!(fecha_guia(d), "22/dic/2023");
    }

    #[test]
    fn winansi_prints_spanish() {
        assert_eq!(winansi("Añó"), vec![b'A', 0xF1, 0xF3]);
        assert_eq!(winansi("—☃"), vec![0x97, b'?']);
    }

    /// The text shown by the PDF's (uncompressed) content streams: every `Tj` string, literal or
    /// hex, decoded from WinAnsi, one line each.
    fn shown_text(pdf: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < pdf.len() {
            let (bytes, end) = match pdf[i] {
                b'(' => {
                    let mut b = Vec::new();
                    let mut j = i + 1;
                    // Balanced parentheses inside a literal string stay unescaped.
                    let mut depth = 0;
                    while pdf[j] != b')' || depth > 0 {
                        match pdf[j] {
                            b'(' => depth += 1,
                            b')' => depth -= 1,
                            _ => {}
                        }
                        if pdf[j] == b'\\' {
                            j += 1;
                            if pdf[j].is_ascii_digit() {
                                let oct = std::str::from_utf8(&pdf[j..j + 3]).unwrap();
                                b.push(u8::from_str_radix(oct, 8).unwrap());
                                j += 3;
                                continue;
                            }
                        }
                        b.push(pdf[j]);
                        j += 1;
                    }
                    (b, j + 1)
                }
                b'<' if pdf.get(i + 1) != Some(&b'<') => {
                    let j = i + pdf[i..].iter().position(|&c| c == b'>').unwrap();
                    let hex = std::str::from_utf8(&pdf[i + 1..j]).unwrap_or("");
                    if hex.is_empty() || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                        i += 1;
                        continue;
                    }
                    let b = (0..hex.len())
                        .step_by(2)
                        .map(|k| u8::from_str_radix(&hex[k..k + 2], 16).unwrap())
                        .collect();
                    (b, j + 1)
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            if pdf[end..].starts_with(b" Tj") {
                // WinAnsi equals Latin-1 for every character the texts use.
                out.push(bytes.iter().map(|&c| c as char).collect());
            }
            i = end;
        }
        out
    }

    fn squeeze(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_responsiva_prints_the_full_signed_terms_cadena_and_seal() {
        let terms = crate::terms::current(crate::terms::TermsId::CertificacionAprobacion);
        let record = AcuseRecord {
            folio: "0000000042".into(),
            titulo: "Aprobación de Certificación".into(),
            accion: "ACEPTAR_APROBACION".into(),
            fecha: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            rfc: "NDE190512XY6".into(),
            nombre: "NOMINAS DEMOSTRACION SA DE CV".into(),
            numero_certificado: "30001000000500003416".into(),
            datos: vec![],
            terminos: Some(crate::acuse::TerminosAceptados {
                id: terms.id.slug().into(),
                titulo: terms.titulo.into(),
                version: terms.version.into(),
                sha256: terms.sha256.clone(),
            }),
            cadena_original: "||AVISOS|1|ACEPTAR_APROBACION|NDE190512XY6|x|n|h|folio=1||".into(),
            firma: "RklSTUE=".into(),
            cadena_sello: "||AVISOS-ACUSE|1|0000000042||".into(),
            sello: "U0VMTE8=".into(),
            sello_huella: "ab".repeat(32),
        };
        let text = squeeze(&shown_text(&render(&record)).join(" "));
        assert!(text.contains(&squeeze(terms.texto)), "{text}");
        assert!(text.contains(&format!("(versión {})", terms.version)));
        assert!(text.contains(&terms.sha256));
        assert!(text.contains(&record.cadena_original));
        assert!(text.contains(&record.sello));
        assert!(text.contains(&record.cadena_sello));

        // A hash that is not the published text's never prints a text as the signed one.
        let mut other = record.clone();
        if let Some(t) = other.terminos.as_mut() {
            t.sha256 = "00".repeat(32);
        }
        let text = squeeze(&shown_text(&render(&other)).join(" "));
        assert!(!text.contains(&squeeze(terms.texto)));
        assert!(text.contains("ya no está publicado"));
    }

    #[test]
    fn wrap_breaks_long_words_and_keeps_short_lines() {
        assert_eq!(wrap("ab cd ef", 5), vec!["ab cd", "ef"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
    }
}
