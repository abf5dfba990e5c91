//! SAT e.firma (FIEL) for the avisos portal: parse and classify certificates, decrypt keys,
//! sign, and verify signatures against SAT's certification authorities.
//!
//! Pure Rust, no I/O: trust anchors, the current instant and the revocation list are parameters
//! (the webpki way), so the same code runs natively, in Spin components (wasm32-wasip2) and in
//! the browser (wasm32-unknown-unknown).
//!
//! ```no_run
//! use efirma::{RevocationList, TrustAnchors, VerifyRequest, cadena::cadena_original, verify};
//! # fn demo(cer: &[u8], signature: &[u8]) -> Result<(), efirma::EfirmaError> {
//! let anchors = TrustAnchors::sat_production();
//! let revoked = RevocationList::new();
//! let message = cadena_original(&["RELACION_ALTA", "EKU9003173C9", "nonce-123"]);
//! let identity = verify(
//!     &VerifyRequest::new(cer, &anchors, chrono::Utc::now(), &revoked, message.as_bytes(), signature)
//!         .expected_rfc("EKU9003173C9"),
//! )?;
//! println!("{} ({})", identity.name, identity.rfc);
//! # Ok(()) }
//! ```
//!
//! Verification order (the first failing check is the error): parse → algorithm policy → kind
//! (FIEL only) → validity at `now` → revocation → chain (issuer chosen by signature, every CA
//! valid at `now`) → expected RFC → RSA PKCS#1 v1.5 SHA-256 signature over the message.

pub mod cadena;
mod certificate;
mod encoding;
mod error;
#[cfg(feature = "sign")]
mod key;
mod pubkey;
pub mod rfc;
mod text;
mod trust;
mod verify;

pub use certificate::{Certificate, CertificateKind, Persona};
pub use error::EfirmaError;
#[cfg(feature = "sign")]
pub use key::{Credential, PrivateKey};
pub use trust::{TrustAnchors, TrustBundle};
pub use verify::{
    CertificateSource, ChainCache, KnownChain, RevocationList, VerifiedIdentity, VerifyRequest,
    check_certificate, verify, verify_recording,
};

/// Lowercase hex of bytes (fingerprints in logs and tools).
pub fn to_hex(bytes: &[u8]) -> String {
    encoding::hex(bytes)
}
