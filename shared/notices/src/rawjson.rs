//! The exact bytes of one top-level member of a JSON object, as sent.
//!
//! A publication's signature covers the SHA-256 of its `avisos` array. Hashing a re-serialised
//! value would force clients to reproduce serde_json's formatting; hashing the bytes they sent
//! asks nothing of them (`jq -c .avisos` and friends print exactly what goes in the body). The
//! body is fully parsed by serde_json as well, so this scanner only has to find boundaries in
//! JSON already known to be valid.

/// Why the member could not be isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawError {
    NotAnObject,
    Duplicate,
    Truncated,
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// `i` at an opening quote; returns the index after the closing one.
fn skip_string(b: &[u8], mut i: usize) -> Result<usize, RawError> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(RawError::Truncated)
}

/// `i` at the first byte of a value; returns the index after it.
fn skip_value(b: &[u8], i: usize) -> Result<usize, RawError> {
    match b.get(i) {
        None => Err(RawError::Truncated),
        Some(b'"') => skip_string(b, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Err(RawError::Truncated)
        }
        Some(_) => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
            {
                j += 1;
            }
            Ok(j)
        }
    }
}

/// The raw value of the top-level member `name` (matched on its key exactly as written), if
/// present. A key written twice is refused: which one counts would be ambiguous.
pub fn member<'a>(body: &'a [u8], name: &str) -> Result<Option<&'a [u8]>, RawError> {
    let mut i = skip_ws(body, 0);
    if body.get(i) != Some(&b'{') {
        return Err(RawError::NotAnObject);
    }
    i = skip_ws(body, i + 1);
    let mut found = None;
    if body.get(i) == Some(&b'}') {
        return Ok(None);
    }
    loop {
        if body.get(i) != Some(&b'"') {
            return Err(RawError::NotAnObject);
        }
        let key_end = skip_string(body, i)?;
        let key = &body[i + 1..key_end - 1];
        i = skip_ws(body, key_end);
        if body.get(i) != Some(&b':') {
            return Err(RawError::NotAnObject);
        }
        let start = skip_ws(body, i + 1);
        let end = skip_value(body, start)?;
        if key == name.as_bytes() {
            if found.is_some() {
                return Err(RawError::Duplicate);
            }
            found = Some(&body[start..end]);
        }
        i = skip_ws(body, end);
        match body.get(i) {
            Some(b',') => i = skip_ws(body, i + 1),
            Some(b'}') => return Ok(found),
            _ => return Err(RawError::Truncated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_exact_bytes() {
        let body = br#" { "a" : 1, "avisos" : [ {"x":"]}\"", "y": [1,2]} , {} ] ,"z":{"avisos":3}, "b": true }"#;
        assert_eq!(
            member(body, "avisos").unwrap().unwrap(),
            br#"[ {"x":"]}\"", "y": [1,2]} , {} ]"#
        );
        assert_eq!(member(body, "b").unwrap().unwrap(), b"true");
        assert_eq!(member(body, "a").unwrap().unwrap(), b"1");
        assert_eq!(member(body, "c").unwrap(), None);
        assert_eq!(member(b"{}", "c").unwrap(), None);
        assert_eq!(
            member(br#"{"a":1,"a":2}"#, "a").unwrap_err(),
            RawError::Duplicate
        );
        assert_eq!(member(b"[1]", "a").unwrap_err(), RawError::NotAnObject);
        assert_eq!(
            member(br#"{"a":[1,2"#, "a").unwrap_err(),
            RawError::Truncated
        );
    }
}
