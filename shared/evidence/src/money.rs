//! Money: `i64` centavos; in JSON for people a decimal string "1234.56".

/// "1234.56" (always two decimals, "-0.05" for negatives).
pub fn format(centavos: i64) -> String {
    let sign = if centavos < 0 { "-" } else { "" };
    let abs = centavos.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Parses "1234.56", "1234.5", "1234", "$1,234.56"; None when it is not an amount.
pub fn parse(text: &str) -> Option<i64> {
    let _ = text;
    todo!()
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
