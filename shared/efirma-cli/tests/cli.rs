//! Runs the real `efirma` binary on the SAT test credential.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../efirma/testdata/sat/FIEL_EKU9003173C9_30001000000500003415")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn efirma(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_efirma"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run efirma")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const AT: &str = "2025-03-01T12:00:00Z";

#[test]
fn inspect_shows_the_facts() {
    let out = efirma(&[
        "inspect",
        &fixture("certificate.cer"),
        "--pruebas",
        "--at",
        AT,
    ]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains("EKU9003173C9"), "{text}");
    assert!(text.contains("30001000000500003415"));
    assert!(text.contains("e.firma (FIEL)"));
    assert!(text.contains("e.firma válida"));
}

#[test]
fn check_key_with_password_file() {
    let out = efirma(&[
        "check-key",
        &fixture("certificate.cer"),
        &fixture("private_key.key"),
        "--password-file",
        &fixture("password.txt"),
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("corresponde"));
}

#[test]
fn password_is_never_an_argument() {
    let out = efirma(&[
        "check-key",
        &fixture("certificate.cer"),
        &fixture("private_key.key"),
        "--password",
        "12345678a",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sign_then_verify_and_tampering_fails() {
    let fields = [
        "--field",
        "RELACION_ALTA",
        "--field",
        "EKU9003173C9",
        "--field",
        "n|1",
    ];
    let (cer, key, password) = (
        fixture("certificate.cer"),
        fixture("private_key.key"),
        fixture("password.txt"),
    );
    let mut sign_args = vec![
        "sign",
        "--cer",
        &cer,
        "--key",
        &key,
        "--password-file",
        &password,
    ];
    sign_args.extend_from_slice(&fields);
    let out = efirma(&sign_args);
    assert!(out.status.success(), "{out:?}");
    let signature = stdout(&out).trim().to_owned();

    let mut verify_args = vec![
        "verify",
        "--cer",
        &cer,
        "--signature",
        &signature,
        "--pruebas",
        "--at",
        AT,
        "--rfc",
        "EKU9003173C9",
    ];
    verify_args.extend_from_slice(&fields);
    let out = efirma(&verify_args);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("Firma válida"));

    let mut tampered = verify_args.clone();
    let last = tampered.len() - 1;
    tampered[last] = "n|2";
    let out = efirma(&tampered);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("EFIRMA_FIRMA_INVALIDA"));

    // Production trust refuses the test certificate.
    let production: Vec<&str> = verify_args
        .iter()
        .copied()
        .filter(|a| *a != "--pruebas")
        .collect();
    let out = efirma(&production);
    assert!(String::from_utf8_lossy(&out.stderr).contains("EFIRMA_EMISOR_DESCONOCIDO"));
}

#[test]
fn cadena_prints_the_escaped_string() {
    let out = efirma(&["cadena", "--field", "a|b", "--field", "c"]);
    assert_eq!(stdout(&out).trim_end(), "||a\\|b|c||");
}
