//! Text folding for searches: upper case, accents and the tilde of Ñ removed (NFD, combining
//! marks dropped), every run of non-alphanumeric characters turned into one space, trimmed.
//! `«Nóminas  Núñez, S.A.»` and `nominas nunez s a` fold to the same `NOMINAS NUNEZ S A`.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() || c == '&' {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_uppercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// The words of a folded text.
pub fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(' ').filter(|w| !w.is_empty())
}

/// The first `n` characters of a folded text (whole characters, not bytes).
pub fn prefix(folded: &str, n: usize) -> String {
    folded.chars().take(n).collect()
}

/// Trims and collapses whitespace; refuses other control characters (a name is printed in acuses and
/// spreadsheets).
pub fn clean_name(s: &str, max_chars: usize) -> Option<String> {
    if s.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return None;
    }
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = collapsed.chars().count();
    (n > 0 && n <= max_chars).then_some(collapsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(fold("«Nóminas  Núñez, S.A.»"), "NOMINAS NUNEZ S A");
        assert_eq!(fold("nominas nunez s a"), "NOMINAS NUNEZ S A");
        assert_eq!(fold("  ÉXITO & Cía.  "), "EXITO & CIA");
        assert_eq!(fold("ede200101ab0"), "EDE200101AB0");
        assert_eq!(fold("üñí"), "UNI");
        assert_eq!(fold("—"), "");
    }

    #[test]
    fn words_and_prefix() {
        let f = fold("Sistemas de Nómina");
        assert_eq!(words(&f).collect::<Vec<_>>(), ["SISTEMAS", "DE", "NOMINA"]);
        assert_eq!(prefix("ÑA", 1), "Ñ");
        assert_eq!(prefix("AB", 5), "AB");
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(
            clean_name("  Empresa   SA\tde CV ", 100).as_deref(),
            Some("Empresa SA de CV")
        );
        assert_eq!(clean_name("a\u{7}b", 100), None);
        assert_eq!(clean_name("   ", 100), None);
        assert_eq!(clean_name("abcd", 3), None);
    }
}
