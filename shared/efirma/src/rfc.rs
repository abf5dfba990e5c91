//! RFC (Registro Federal de Contribuyentes) validation: format and check digit.
//!
//! Format: `^[A-ZÑ&]{3,4}\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[A-Z\d]{2}[A\d]$`, 12 characters
//! for a company and 13 for a person. Check digit over the alphabet
//! `0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ` (values 0..=38), a company's 11-character base
//! left-padded with a space, weights 13 down to 2; digit = 11 − (sum mod 11), 11 → `0`,
//! 10 → `A`. SAT's test RFC `AAA010101AAA` and the generic `XAXX010101000` fail the digit, so
//! they are accepted only when the policy says so.

use crate::certificate::Persona;

const CHECK_ALPHABET: &str = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ";

/// RFCs SAT publishes for its test environment that do not carry a valid check digit.
pub const SAT_TEST_RFCS: &[&str] = &["AAA010101AAA"];
/// Generic RFC for the general public (CFDI "público en general").
pub const GENERIC_NATIONAL_RFC: &str = "XAXX010101000";
/// Generic RFC for foreign residents.
pub const GENERIC_FOREIGN_RFC: &str = "XEXX010101000";

/// Which exceptional RFCs are acceptable where the validation is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RfcPolicy {
    /// Accept SAT's test RFCs (see [`SAT_TEST_RFCS`]) despite their check digit.
    pub allow_test: bool,
    /// Accept the generic RFCs `XAXX010101000` and `XEXX010101000`.
    pub allow_generic: bool,
}

impl RfcPolicy {
    /// Real taxpayers only.
    pub const STRICT: RfcPolicy = RfcPolicy {
        allow_test: false,
        allow_generic: false,
    };
    /// Real taxpayers and SAT's test RFCs (test environment).
    pub const TEST: RfcPolicy = RfcPolicy {
        allow_test: true,
        allow_generic: false,
    };
    /// Real taxpayers and the generic RFCs (invoice-like uses).
    pub const GENERIC: RfcPolicy = RfcPolicy {
        allow_test: false,
        allow_generic: true,
    };
}

/// What a valid RFC is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RfcKind {
    /// A taxpayer's RFC with a valid check digit.
    Taxpayer(Persona),
    /// One of SAT's test RFCs (allowed by policy).
    Test(Persona),
    /// `XAXX010101000` (allowed by policy).
    GenericNational,
    /// `XEXX010101000` (allowed by policy).
    GenericForeign,
}

/// Why an RFC is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RfcError {
    /// Wrong length or characters.
    #[error("{}", self.mensaje())]
    Format,
    /// The last character is not the check digit of the rest.
    #[error("{}", self.mensaje())]
    CheckDigit { expected: char },
    /// A SAT test RFC where the policy does not allow it.
    #[error("{}", self.mensaje())]
    TestNotAllowed,
    /// A generic RFC where the policy does not allow it.
    #[error("{}", self.mensaje())]
    GenericNotAllowed,
}

impl RfcError {
    /// Stable code.
    pub fn codigo(&self) -> &'static str {
        match self {
            Self::Format => "RFC_FORMATO_INVALIDO",
            Self::CheckDigit { .. } => "RFC_DIGITO_VERIFICADOR",
            Self::TestNotAllowed => "RFC_DE_PRUEBA_NO_PERMITIDO",
            Self::GenericNotAllowed => "RFC_GENERICO_NO_PERMITIDO",
        }
    }

    /// Spanish message.
    pub fn mensaje(&self) -> String {
        match self {
            Self::Format => "El RFC no tiene un formato válido: 12 caracteres para personas \
                 morales o 13 para personas físicas."
                .to_owned(),
            Self::CheckDigit { .. } => {
                "El RFC no es válido: su dígito verificador no corresponde.".to_owned()
            }
            Self::TestNotAllowed => {
                "El RFC es un RFC de pruebas del SAT y no se admite aquí.".to_owned()
            }
            Self::GenericNotAllowed => "No se admite un RFC genérico.".to_owned(),
        }
    }
}

/// Upper-cases and trims an RFC as typed by a person.
pub fn normalize_rfc(rfc: &str) -> String {
    rfc.trim().to_uppercase()
}

/// Validates an RFC (already normalised: upper case, no spaces) under `policy`.
pub fn validate_rfc(rfc: &str, policy: RfcPolicy) -> Result<RfcKind, RfcError> {
    let chars: Vec<char> = rfc.chars().collect();
    let persona = match chars.len() {
        12 => Persona::Moral,
        13 => Persona::Fisica,
        _ => return Err(RfcError::Format),
    };
    if !has_valid_format(&chars) {
        return Err(RfcError::Format);
    }
    if rfc == GENERIC_NATIONAL_RFC || rfc == GENERIC_FOREIGN_RFC {
        if !policy.allow_generic {
            return Err(RfcError::GenericNotAllowed);
        }
        return Ok(if rfc == GENERIC_NATIONAL_RFC {
            RfcKind::GenericNational
        } else {
            RfcKind::GenericForeign
        });
    }
    if SAT_TEST_RFCS.contains(&rfc) {
        if !policy.allow_test {
            return Err(RfcError::TestNotAllowed);
        }
        return Ok(RfcKind::Test(persona));
    }
    let expected = check_digit(&chars[..chars.len() - 1]).ok_or(RfcError::Format)?;
    if chars[chars.len() - 1] != expected {
        return Err(RfcError::CheckDigit { expected });
    }
    Ok(RfcKind::Taxpayer(persona))
}

/// The check digit of an RFC's first 11 (company) or 12 (person) characters.
pub fn check_digit(base: &[char]) -> Option<char> {
    let padded: Vec<char> = match base.len() {
        11 => std::iter::once(' ').chain(base.iter().copied()).collect(),
        12 => base.to_vec(),
        _ => return None,
    };
    let mut sum = 0u32;
    for (i, c) in padded.iter().enumerate() {
        let value = CHECK_ALPHABET.chars().position(|a| a == *c)? as u32;
        sum += value * (13 - i as u32);
    }
    Some(match 11 - sum % 11 {
        11 => '0',
        10 => 'A',
        d => char::from_digit(d, 10)?,
    })
}

fn has_valid_format(chars: &[char]) -> bool {
    let letters = chars.len() - 9;
    let (name, rest) = chars.split_at(letters);
    let is_letter = |c: &char| c.is_ascii_uppercase() || *c == 'Ñ' || *c == '&';
    let digits = |s: &[char]| s.iter().all(char::is_ascii_digit);
    let number = |s: &[char]| {
        s.iter()
            .fold(0u32, |acc, c| acc * 10 + c.to_digit(10).unwrap_or(0))
    };
    let (date, homoclave) = rest.split_at(6);
    name.iter().all(is_letter)
        && digits(date)
        && (1..=12).contains(&number(&date[2..4]))
        && (1..=31).contains(&number(&date[4..6]))
        && homoclave[..2]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && (homoclave[2] == 'A' || homoclave[2].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_rfcs_pass() {
        for rfc in [
            "EKU9003173C9",
            "L&O950913MSA",
            "CACX7605101P8",
            "FUAB770117BXA",
        ] {
            assert!(
                matches!(
                    validate_rfc(rfc, RfcPolicy::STRICT),
                    Ok(RfcKind::Taxpayer(_))
                ),
                "{rfc}"
            );
        }
        assert_eq!(
            validate_rfc("EKU9003173C9", RfcPolicy::STRICT),
            Ok(RfcKind::Taxpayer(Persona::Moral))
        );
        assert_eq!(
            validate_rfc("CACX7605101P8", RfcPolicy::STRICT),
            Ok(RfcKind::Taxpayer(Persona::Fisica))
        );
    }

    #[test]
    fn wrong_check_digit_fails() {
        assert_eq!(
            validate_rfc("EKU9003173C8", RfcPolicy::STRICT),
            Err(RfcError::CheckDigit { expected: '9' })
        );
    }

    #[test]
    fn format_errors() {
        for rfc in [
            "",
            "EKU900317",
            "EKU9013173C9",
            "EKU9003323C9",
            "EK19003173C9",
            "eku9003173c9",
        ] {
            assert_eq!(
                validate_rfc(rfc, RfcPolicy::STRICT),
                Err(RfcError::Format),
                "{rfc}"
            );
        }
    }

    #[test]
    fn test_and_generic_rfcs_need_policy() {
        assert_eq!(
            validate_rfc("AAA010101AAA", RfcPolicy::STRICT),
            Err(RfcError::TestNotAllowed)
        );
        assert_eq!(
            validate_rfc("AAA010101AAA", RfcPolicy::TEST),
            Ok(RfcKind::Test(Persona::Moral))
        );
        assert_eq!(
            validate_rfc("XAXX010101000", RfcPolicy::STRICT),
            Err(RfcError::GenericNotAllowed)
        );
        assert_eq!(
            validate_rfc("XAXX010101000", RfcPolicy::GENERIC),
            Ok(RfcKind::GenericNational)
        );
        assert_eq!(
            validate_rfc("XEXX010101000", RfcPolicy::GENERIC),
            Ok(RfcKind::GenericForeign)
        );
        // The test allowance does not open the door to other bad check digits.
        assert!(validate_rfc("AAA010101AA2", RfcPolicy::TEST).is_err());
    }

    #[test]
    fn normalizes_typed_input() {
        assert_eq!(normalize_rfc("  eku9003173c9 "), "EKU9003173C9");
        assert_eq!(normalize_rfc("ñ"), "Ñ");
    }
}
