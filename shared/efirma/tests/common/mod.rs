//! Fixture access shared by the integration tests.
#![allow(dead_code)]

pub mod forge;

use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, Utc};
use efirma::{Certificate, TrustAnchors};

pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sat")
}

pub fn read(relative: &str) -> Vec<u8> {
    let path = testdata().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One credential (or public certificate) as the fixtures' manifest.json describes it.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub path: String,
    pub kind: String,
    pub unique_id: String,
    pub rfc: String,
    pub serial_attr: String,
    pub cn: String,
    pub ou: Option<String>,
    pub number: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub issuer_cn: String,
    pub issuing_ca_file: String,
    pub password: Option<String>,
    pub certificate_sha256: String,
    pub file_format: String,
    pub signature_algorithm: String,
}

impl Fixture {
    pub fn certificate_bytes(&self) -> Vec<u8> {
        if self.path.ends_with(".cer") {
            read(&self.path)
        } else {
            read(&format!("{}/certificate.cer", self.path))
        }
    }

    pub fn key_bytes(&self) -> Vec<u8> {
        read(&format!("{}/private_key.key", self.path))
    }

    pub fn password_file(&self) -> Vec<u8> {
        read(&format!("{}/password.txt", self.path))
    }

    pub fn is_test(&self) -> bool {
        self.issuing_ca_file.starts_with("ca/test/")
    }

    pub fn anchors(&self) -> TrustAnchors {
        if self.is_test() {
            TrustAnchors::sat_test()
        } else {
            TrustAnchors::sat_production()
        }
    }
}

fn date(value: &serde_json::Value) -> DateTime<Utc> {
    let text = value.as_str().expect("date");
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%SZ")
        .expect("manifest date")
        .and_utc()
}

fn fixture(entry: &serde_json::Value) -> Fixture {
    let s = |k: &str| entry[k].as_str().unwrap_or_default().to_owned();
    Fixture {
        path: s("path"),
        kind: s("kind"),
        unique_id: s("x500UniqueIdentifier"),
        rfc: s("rfc"),
        serial_attr: s("serialNumber_attr"),
        cn: s("subject_cn"),
        ou: entry["subject_ou"].as_str().map(str::to_owned),
        number: s("certificate_number"),
        not_before: date(&entry["not_before"]),
        not_after: date(&entry["not_after"]),
        issuer_cn: s("issuer_cn"),
        issuing_ca_file: s("issuing_ca_file"),
        password: entry["password"].as_str().map(str::to_owned),
        certificate_sha256: s("certificate_sha256"),
        file_format: s("certificate_file_format"),
        signature_algorithm: s("signature_algorithm"),
    }
}

fn manifest() -> serde_json::Value {
    serde_json::from_slice(&read("manifest.json")).expect("manifest.json")
}

/// The 35 credentials (certificate + key + password).
pub fn credentials() -> Vec<Fixture> {
    manifest()["credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .map(fixture)
        .collect()
}

/// The 4 certificates that come without a key.
pub fn public_certificates() -> Vec<Fixture> {
    manifest()["public_certificates"]
        .as_array()
        .expect("public_certificates")
        .iter()
        .map(fixture)
        .collect()
}

pub fn credential(path: &str) -> Fixture {
    credentials()
        .into_iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no fixture {path}"))
}

/// The current FIEL of the test company EKU9003173C9 (valid 2023-05-18 .. 2027-05-17).
pub const FIEL_EKU: &str = "FIEL_EKU9003173C9_30001000000500003415";
/// Another FIEL (a person), to mix keys.
pub const FIEL_CACX: &str = "FIEL_CACX7605101P8_30001000000500003282";
/// The CSD of the same company.
pub const CSD_EKU: &str = "CSD_EKU9003173C9_30001000000500003416";

/// An instant inside the validity of the certificate and of every CA above it.
pub fn pinned_instant(certificate: &Certificate, anchors: &TrustAnchors) -> DateTime<Utc> {
    let mut from = certificate.not_before();
    let mut until = certificate.not_after();
    let mut current = certificate.clone();
    for _ in 0..6 {
        let Some(issuer) = anchors.issuer_of(&current) else {
            break;
        };
        from = from.max(issuer.not_before());
        until = until.min(issuer.not_after());
        if issuer.is_self_issued() {
            break;
        }
        current = issuer.clone();
    }
    assert!(from < until, "no instant where the whole chain is valid");
    from + (until - from) / 2
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    efirma::to_hex(&sha2::Sha256::digest(bytes))
}
