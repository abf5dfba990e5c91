//! Reading the package's XML: attributes by local name, element text, rich strings with
//! Excel's `_xHHHH_` escapes, skipping an element.

use quick_xml::events::{BytesStart, Event};

use super::{MAX_SHARED_TEXT, XlsxError, XmlReader};

/// An attribute's value by local name, entities decoded.
pub(super) fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name)
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned())
            })
            .flatten()
    })
}

/// Excel's `_xHHHH_` escapes (UTF-16 code units, surrogate pairs as two escapes).
pub(super) fn unescape_excel(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("_x") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut units: Vec<u16> = Vec::new();
    let mut out = String::new();
    let mut rest = text;
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(
            char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)),
        );
    };
    while !rest.is_empty() {
        let escape = rest
            .strip_prefix("_x")
            .and_then(|r| r.get(..5))
            .filter(|h| h.ends_with('_'))
            .and_then(|h| h.get(..4))
            .and_then(|h| u16::from_str_radix(h, 16).ok());
        match escape {
            Some(unit) => {
                units.push(unit);
                rest = rest.get(7..).unwrap_or("");
            }
            None => {
                flush(&mut units, &mut out);
                let mut chars = rest.chars();
                if let Some(c) = chars.next() {
                    out.push(c);
                }
                rest = chars.as_str();
            }
        }
    }
    flush(&mut units, &mut out);
    std::borrow::Cow::Owned(out)
}

/// Reads the text inside the element just opened (`<t>`, `<v>`) up to its end: text, CDATA
/// and entity references. Nested elements are skipped.
pub(super) fn element_text(
    xml: &mut XmlReader<'_, '_>,
    buf: &mut Vec<u8>,
    text: &mut String,
) -> Result<(), XlsxError> {
    text.clear();
    let mut depth = 0usize;
    loop {
        buf.clear();
        match xml
            .read_event_into(buf)
            .map_err(|_| XlsxError::Unreadable)?
        {
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                if let Some(s) = quick_xml::escape::resolve_xml_entity(&r) {
                    text.push_str(s);
                } else if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    return Err(XlsxError::Unreadable);
                }
            }
            Event::Start(_) => depth = depth.saturating_add(1),
            Event::End(_) if depth == 0 => return Ok(()),
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Err(XlsxError::Unreadable),
            _ => {}
        }
        if text.len() > MAX_SHARED_TEXT {
            return Err(XlsxError::TooLarge);
        }
    }
}

/// A rich string (`si`, `is`) up to its end: its `t` texts, phonetic runs (`rPh`) left out.
pub(super) fn rich_text(
    xml: &mut XmlReader<'_, '_>,
    buf: &mut Vec<u8>,
    scratch: &mut String,
) -> Result<String, XlsxError> {
    let mut text = String::new();
    let mut depth = 0usize;
    let mut phonetic = 0usize;
    loop {
        buf.clear();
        let event = xml
            .read_event_into(buf)
            .map_err(|_| XlsxError::Unreadable)?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" if phonetic == 0 => {
                    let preserve = attr(&e, "space").is_some_and(|v| v == "preserve");
                    element_text(xml, buf, scratch)?;
                    let t = if preserve {
                        scratch.as_str()
                    } else {
                        scratch.trim_matches([' ', '\t', '\r', '\n'])
                    };
                    text.push_str(&unescape_excel(t));
                    if text.len() > MAX_SHARED_TEXT {
                        return Err(XlsxError::TooLarge);
                    }
                }
                name => {
                    if name == "rPh" {
                        phonetic = phonetic.saturating_add(1);
                    }
                    depth = depth.saturating_add(1);
                }
            },
            Event::End(e) => {
                if depth == 0 {
                    return Ok(text);
                }
                if e.local_name().as_ref() == "rPh" {
                    phonetic = phonetic.saturating_sub(1);
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return Err(XlsxError::Unreadable),
            _ => {}
        }
    }
}

/// Skips the element just opened, to its end.
pub(super) fn skip(xml: &mut XmlReader<'_, '_>, buf: &mut Vec<u8>) -> Result<(), XlsxError> {
    let mut depth = 0usize;
    loop {
        buf.clear();
        match xml
            .read_event_into(buf)
            .map_err(|_| XlsxError::Unreadable)?
        {
            Event::Start(_) => depth = depth.saturating_add(1),
            Event::End(_) if depth == 0 => return Ok(()),
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Err(XlsxError::Unreadable),
            _ => {}
        }
    }
}
