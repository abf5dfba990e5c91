//! The *cadena original*: the exact text a user signs, SAT style `||field|field|...||`.
//!
//! Signer and verifier both build it here, so they cannot drift apart. Rules (injective: two
//! different field lists never give the same string, and [`parse`] inverts [`cadena_original`]):
//!
//! * Fields are taken verbatim, whitespace included: no trimming, no collapsing (collapsing would
//!   make `"a  b"` and `"a b"` sign the same text). Callers format data canonically before
//!   (ISO dates, fixed decimals, upper-case RFCs).
//! * Escapes, with `\` as the escape character: `\` → `\\`, `|` → `\|`, line feed → `\n`,
//!   carriage return → `\r`, tab → `\t`, any other control character (U+0000–U+001F, U+007F,
//!   U+0080–U+009F) → `\u{XXXX}` (4 upper-case hex digits). So a cadena is always one line
//!   without control characters.
//! * Fields are joined with `|` and wrapped in `||` … `||`. An empty list gives `||` alone
//!   (every non-empty list gives at least `||||`).

/// Builds the cadena original of `fields`.
pub fn cadena_original<S: AsRef<str>>(fields: &[S]) -> String {
    if fields.is_empty() {
        return "||".to_owned();
    }
    let mut out = String::with_capacity(
        4 + fields.len() + fields.iter().map(|f| f.as_ref().len()).sum::<usize>(),
    );
    out.push_str("||");
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        escape_into(field.as_ref(), &mut out);
    }
    out.push_str("||");
    out
}

fn escape_into(field: &str, out: &mut String) {
    for c in field.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                out.push_str(&format!("\\u{{{:04X}}}", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// Why a text is not a cadena original.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CadenaError {
    /// It does not start and end with `||`.
    #[error("la cadena original debe iniciar y terminar con «||»")]
    Delimiters,
    /// A `\` not followed by a valid escape, or a raw control character.
    #[error("secuencia de escape inválida en la cadena original (posición {0})")]
    Escape(usize),
}

impl CadenaError {
    /// Stable code.
    pub fn codigo(&self) -> &'static str {
        "CADENA_ORIGINAL_INVALIDA"
    }

    /// Spanish message.
    pub fn mensaje(&self) -> String {
        self.to_string()
    }
}

/// Splits a cadena original back into its fields (inverse of [`cadena_original`]).
pub fn parse(cadena: &str) -> Result<Vec<String>, CadenaError> {
    if cadena == "||" {
        return Ok(Vec::new());
    }
    let inner = cadena
        .strip_prefix("||")
        .and_then(|s| s.strip_suffix("||"))
        .ok_or(CadenaError::Delimiters)?;
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut chars = inner.char_indices();
    while let Some((pos, c)) = chars.next() {
        match c {
            '|' => fields.push(std::mem::take(&mut current)),
            '\\' => {
                let escaped = match chars.next() {
                    Some((_, '\\')) => '\\',
                    Some((_, '|')) => '|',
                    Some((_, 'n')) => '\n',
                    Some((_, 'r')) => '\r',
                    Some((_, 't')) => '\t',
                    Some((_, 'u')) => {
                        parse_unicode_escape(&mut chars).ok_or(CadenaError::Escape(pos))?
                    }
                    _ => return Err(CadenaError::Escape(pos)),
                };
                current.push(escaped);
            }
            c if c.is_control() => return Err(CadenaError::Escape(pos)),
            c => current.push(c),
        }
    }
    fields.push(current);
    Ok(fields)
}

/// Reads `{XXXX}` after `\u`; only control characters are ever written this way, so only they
/// are accepted back (keeps the encoding canonical).
fn parse_unicode_escape(chars: &mut std::str::CharIndices<'_>) -> Option<char> {
    if chars.next()?.1 != '{' {
        return None;
    }
    let mut hex = String::new();
    for _ in 0..4 {
        let c = chars.next()?.1;
        if !(c.is_ascii_digit() || ('A'..='F').contains(&c)) {
            return None;
        }
        hex.push(c);
    }
    if chars.next()?.1 != '}' {
        return None;
    }
    let c = char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?;
    let canonical = c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    canonical.then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sat_style_output() {
        assert_eq!(cadena_original(&["a", "b", "c"]), "||a|b|c||");
        assert_eq!(cadena_original(&["1|2", "x\\y"]), "||1\\|2|x\\\\y||");
        assert_eq!(
            cadena_original(&["línea\nnueva\t", "\u{1}"]),
            "||línea\\nnueva\\t|\\u{0001}||"
        );
    }

    #[test]
    fn edge_lists_are_distinct() {
        let empty: [&str; 0] = [];
        assert_eq!(cadena_original(&empty), "||");
        assert_eq!(cadena_original(&[""]), "||||");
        assert_eq!(cadena_original(&["", ""]), "|||||");
        assert_eq!(parse("||").unwrap(), Vec::<String>::new());
        assert_eq!(parse("||||").unwrap(), vec![String::new()]);
        assert_eq!(parse("|||||").unwrap(), vec![String::new(), String::new()]);
    }

    #[test]
    fn trailing_escapes_round_trip() {
        for fields in [
            vec!["a\\"],
            vec!["|"],
            vec!["\\|", "|\\"],
            vec!["  a  ", " "],
        ] {
            assert_eq!(parse(&cadena_original(&fields)).unwrap(), fields);
        }
    }

    #[test]
    fn malformed_cadenas_are_refused() {
        assert_eq!(parse("|a|"), Err(CadenaError::Delimiters));
        assert!(parse("||a\\x||").is_err());
        assert!(parse("||a\\u{0041}||").is_err());
        assert!(parse("||a\nb||").is_err());
    }
}
