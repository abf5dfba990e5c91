//! Signed acts: the one mechanism every state-changing operation of avisos goes through.
//!
//! A client asks for a single-use [`nonce`] bound to its RFC and the action, builds the act's
//! cadena original ([`act::ActSpec::cadena`]), signs it with its e.firma and sends the certificate,
//! the data and the signature (never the key). [`act::verify_signed_act`] rebuilds the cadena,
//! verifies the e.firma and the signature and consumes the nonce; the component then performs the
//! act and records an [`acuse`] sealed with the service's own key ([`seal`]).
//!
//! Reads use short [`session`]s obtained the same way (an e.firma login). [`terms`] holds the
//! versioned terms and conditions whose hash every act carries; [`folio`] allocates case numbers.
//! Time, randomness and storage are parameters everywhere.

pub mod acceptance;
pub mod act;
pub mod acuse;
pub mod chains;
pub mod config;
pub mod error;
pub mod folio;
pub mod limits;
pub mod mode;
pub mod nonce;
pub mod pdf;
pub mod seal;
pub mod secret;
pub mod session;
pub mod terms;

pub use act::{ActSpec, SignedActRequest, VerifiedAct, verify_signed_act};
pub use config::{Mode, ServiceConfig};
pub use error::ActError;
pub use session::{Role, Session};

/// The instant formatting every act uses: ISO 8601 with offset, seconds precision.
pub fn iso(now: chrono::DateTime<chrono::Utc>) -> String {
    now.with_timezone(&mexico_city())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// America/Mexico_City: UTC−06:00 all year since daylight-saving time was abolished (Oct 2022).
pub fn mexico_city() -> chrono::FixedOffset {
    chrono::FixedOffset::west_opt(6 * 3600).expect("UTC-06:00 is a valid offset")
}

/// Today's date in America/Mexico_City: the day the guides' deadlines, vigencias and acuses
/// count in. The one definition; the domain crates re-export it.
pub fn today(now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    now.with_timezone(&mexico_city()).date_naive()
}

pub(crate) fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

pub(crate) fn b64url() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    efirma::to_hex(&sha2::Sha256::digest(data))
}

// The unit-test helpers of the domain crates (their dev-dependency's `testutil` feature); never
// in a production build.
#[cfg(any(test, feature = "testutil"))]
pub mod testutil;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveDate, Utc};

    #[test]
    fn today_is_mexico_city() {
        // 05:59 UTC is still the previous day in UTC−06:00.
        let now: DateTime<Utc> = "2026-11-24T05:59:00Z".parse().unwrap();
        assert_eq!(today(now), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let now: DateTime<Utc> = "2026-11-24T06:00:00Z".parse().unwrap();
        assert_eq!(today(now), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
    }
}
