//! Builds forged certificates by hand (DER surgery on real ones) for the refusal tests.

use der::{Decode, Header, Reader, SliceReader};
use rand::SeedableRng;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer};

/// A DER TLV with definite length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// The TLVs inside a SEQUENCE.
pub fn children(sequence: &[u8]) -> Vec<Vec<u8>> {
    let mut reader = SliceReader::new(sequence).unwrap();
    let _ = Header::decode(&mut reader).unwrap();
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(reader.tlv_bytes().unwrap().to_vec());
    }
    out
}

/// Parts of a certificate: tbs children, signature algorithm TLV.
pub struct Parts {
    pub tbs: Vec<Vec<u8>>,
    pub signature_algorithm: Vec<u8>,
}

pub const VERSION: usize = 0;
pub const SERIAL: usize = 1;
pub const ISSUER: usize = 3;
pub const VALIDITY: usize = 4;
pub const SUBJECT: usize = 5;
pub const SPKI: usize = 6;

pub fn split(certificate_der: &[u8]) -> Parts {
    let top = children(certificate_der);
    Parts {
        tbs: children(&top[0]),
        signature_algorithm: top[1].clone(),
    }
}

/// Deterministic RSA keys for tests (seeded, so runs are reproducible).
pub fn rsa_key(seed: u64) -> rsa::RsaPrivateKey {
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(seed);
    rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap()
}

pub fn spki_der(key: &rsa::RsaPrivateKey) -> Vec<u8> {
    key.to_public_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

pub fn pkcs8_der(key: &rsa::RsaPrivateKey) -> Vec<u8> {
    key.to_pkcs8_der().unwrap().as_bytes().to_vec()
}

/// Assembles and signs (sha256WithRSAEncryption) a certificate from TBS children.
pub fn assemble(
    tbs_children: &[Vec<u8>],
    signature_algorithm: &[u8],
    key: &rsa::RsaPrivateKey,
) -> Vec<u8> {
    let tbs = tlv(0x30, &tbs_children.concat());
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
    let signature = signer.sign(&tbs).to_vec();
    let mut bits = vec![0u8];
    bits.extend_from_slice(&signature);
    tlv(
        0x30,
        &[tbs, signature_algorithm.to_vec(), tlv(0x03, &bits)].concat(),
    )
}
