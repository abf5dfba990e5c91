//! The pictures shown on a sheet: the `blip` of each drawing anchor and in-cell pictures
//! (`xl/richData`), each counted when its media part exists.

use std::collections::HashMap;

use quick_xml::events::Event;

use super::xml::{attr, element_text, skip};
use super::{Workbook, XlsxError};

/// Picture kinds counted, as calamine lists them.
const MEDIA_KINDS: [&str; 13] = [
    "emf", "wmf", "pict", "jpeg", "jpg", "png", "dib", "gif", "tiff", "tif", "eps", "bmp", "wpg",
];

impl Workbook<'_> {
    /// The kind ("png", "jpeg"...) of each picture shown on a sheet: drawing anchors and
    /// in-cell pictures whose media part exists.
    pub fn pictures(&mut self, name: &str) -> Result<Vec<String>, XlsxError> {
        let Some(sheet) = self.sheet_part(name) else {
            return Ok(Vec::new());
        };
        let mut kinds = Vec::new();
        let drawings: Vec<String> = self
            .rels(&sheet)?
            .into_iter()
            .filter(|r| r.typ.ends_with("/drawing"))
            .filter_map(|r| r.target)
            .collect();
        for drawing in drawings {
            let images = self.image_rels(&drawing)?;
            let mut found = Vec::new();
            self.each_start(&drawing, |e, _, _| {
                if e.local_name().as_ref() == "blip"
                    && let Some(media) = attr(e, "embed").and_then(|id| images.get(&id).cloned())
                {
                    found.push(media);
                }
                Ok(())
            })?;
            kinds.extend(found.into_iter().filter_map(|m| self.media_kind(&m)));
        }
        kinds.extend(self.in_cell_pictures(&sheet)?);
        Ok(kinds)
    }

    /// A part's image relationships: id → media part.
    fn image_rels(&mut self, part: &str) -> Result<HashMap<String, String>, XlsxError> {
        Ok(self
            .rels(part)?
            .into_iter()
            .filter(|r| r.typ.ends_with("/image"))
            .filter_map(|r| Some((r.id, r.target?)))
            .collect())
    }

    /// The kind of a media part that exists and is a picture.
    fn media_kind(&self, media: &str) -> Option<String> {
        let kind = media.rsplit_once('.')?.1.to_ascii_lowercase();
        (self.has_part(media) && MEDIA_KINDS.contains(&kind.as_str())).then_some(kind)
    }

    /// Pictures placed in cells (Excel's «Colocar en la celda»): a cell's `vm` (1-based) picks
    /// a rich value of `xl/richData/rdrichvalue.xml`, whose first `v` picks a relationship of
    /// `richValueRel.xml`, which names the media. Read the way calamine does.
    fn in_cell_pictures(&mut self, sheet: &str) -> Result<Vec<String>, XlsxError> {
        const REL_PART: &str = "xl/richData/richValueRel.xml";
        let images = self.image_rels(REL_PART)?;
        if images.is_empty() {
            return Ok(Vec::new());
        }
        let mut rel_ids = Vec::new();
        self.each_start(REL_PART, |e, _, _| {
            if e.local_name().as_ref() == "rel" {
                rel_ids.push(attr(e, "id").unwrap_or_default());
            }
            Ok(())
        })?;
        let mut first_values: Vec<Option<usize>> = Vec::new();
        self.each_start("xl/richData/rdrichvalue.xml", |e, xml, buf| {
            if e.local_name().as_ref() == "rv" {
                let mut first = None;
                loop {
                    buf.clear();
                    match xml
                        .read_event_into(buf)
                        .map_err(|_| XlsxError::Unreadable)?
                    {
                        Event::Start(v) if v.local_name().as_ref() == "v" => {
                            let mut text = String::new();
                            element_text(xml, buf, &mut text)?;
                            if first.is_none() {
                                first = Some(text.trim().parse::<usize>().ok());
                            }
                        }
                        Event::Start(_) => skip(xml, buf)?,
                        Event::End(_) => break,
                        Event::Eof => return Err(XlsxError::Unreadable),
                        _ => {}
                    }
                }
                first_values.push(first.flatten());
            }
            Ok(())
        })?;
        let mut media = Vec::new();
        self.each_start(sheet, |e, _, _| {
            if e.local_name().as_ref() == "c"
                && let Some(vm) = attr(e, "vm").and_then(|v| v.trim().parse::<usize>().ok())
                && let Some(Some(rel)) = vm.checked_sub(1).and_then(|i| first_values.get(i))
                && let Some(path) = rel_ids.get(*rel).and_then(|id| images.get(id))
            {
                media.push(path.clone());
            }
            Ok(())
        })?;
        Ok(media
            .into_iter()
            .filter_map(|m| self.media_kind(&m))
            .collect())
    }
}
