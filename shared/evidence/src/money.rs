//! Money: `i64` centavos; in JSON for people a decimal string "1234.56".

/// "1234.56" (always two decimals, "-0.05" for negatives).
pub fn format(centavos: i64) -> String {
    let sign = if centavos < 0 { "-" } else { "" };
    let abs = centavos.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Parses "1234.56", "1234.5", "1234", "$1,234.56"; None when it is not an amount.
pub fn parse(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    };
    let text = text.strip_prefix('$').unwrap_or(text).trim_start();
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    // Thousands separators only between groups of three digits.
    let mut groups = int.split(',');
    let first = groups.next()?;
    if first.is_empty() || first.len() > 15 || !first.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits = first.to_string();
    for group in groups {
        if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push_str(group);
    }
    if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 15 {
        return None;
    }
    let pesos: i64 = digits.parse().ok()?;
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let value = pesos * 100 + cents;
    Some(if negative { -value } else { value })
}

/// Centavos from a spreadsheet number (pesos), rounded to the nearest centavo; None when not
/// finite or out of range.
pub fn from_f64(pesos: f64) -> Option<i64> {
    let cents = (pesos * 100.0).round();
    (cents.is_finite() && cents.abs() < 1e15).then_some(cents as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(format(123_456), "1234.56");
        assert_eq!(format(5), "0.05");
        assert_eq!(format(-5), "-0.05");
        assert_eq!(parse("1234.56"), Some(123_456));
        assert_eq!(parse(" $1,234.5 "), Some(123_450));
        assert_eq!(parse("1234"), Some(123_400));
        assert_eq!(parse("-0.05"), Some(-5));
        for bad in ["", "abc", "1.234", "12,34.00", "1e5", "--1", "1.2.3", ".5"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(from_f64(299.9), Some(29_990));
        assert_eq!(from_f64(f64::NAN), None);
    }
}

/// `#[serde(with = "money::serde_str")]` for `i64` fields.
pub mod serde_str {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(*v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        super::parse(&text).ok_or_else(|| serde::de::Error::custom("importe inválido"))
    }
}

/// `#[serde(with = "money::serde_opt")]` for `Option<i64>` fields.
pub mod serde_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&super::format(*v)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| super::parse(&t).ok_or_else(|| serde::de::Error::custom("importe inválido")))
            .transpose()
    }
}
