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

/// An acuse rendered by the service, with its seal, as a PDF file and the seal's public key.
fn sealed_acuse(dir: &std::path::Path) -> (String, String, avisos_acts::acuse::AcuseRecord) {
    use avisos_acts::acuse::{AcuseRecord, Dato};
    use avisos_acts::seal::ServiceSeal;
    use base64ct::{Base64, Encoding};
    let pem = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../acts/testdata/sello-pruebas.pem"),
    )
    .unwrap();
    let seal = ServiceSeal::from_pem(&pem).unwrap();
    let mut record = AcuseRecord {
        folio: "0500000042".into(),
        titulo: "Registro de Relaciones de Confianza".into(),
        accion: "ADICIONAR_RELACION".into(),
        fecha: "2026-11-23T18:00:00Z".parse().unwrap(),
        rfc: "EDE200101AB0".into(),
        nombre: "EMPRESA DEMOSTRACION SA DE CV".into(),
        numero_certificado: "90001000000100000001".into(),
        datos: vec![Dato::new("Servicio", "Avisos")],
        terminos: None,
        cadena_original: "||AVISOS|1|X||".into(),
        firma: "AAAA".into(),
        cadena_sello: String::new(),
        sello: String::new(),
        sello_huella: seal.fingerprint().into(),
    };
    record.cadena_sello = record.expected_cadena_sello();
    record.sello = Base64::encode_string(&seal.sign(record.cadena_sello.as_bytes()).unwrap());
    let pdf = dir.join("acuse.pdf");
    std::fs::write(&pdf, avisos_acts::pdf::render(&record)).unwrap();
    let public = dir.join("sello.pem");
    std::fs::write(&public, seal.public_key_pem()).unwrap();
    (
        pdf.to_string_lossy().into_owned(),
        public.to_string_lossy().into_owned(),
        record,
    )
}

#[test]
fn verificar_acuse_accepts_a_sealed_acuse_and_refuses_another_key() {
    let dir = std::env::temp_dir().join(format!("efirma-cli-acuse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pdf, public, record) = sealed_acuse(&dir);
    let out = efirma(&[
        "verificar-acuse",
        "--acuse",
        &pdf,
        "--llave-publica",
        &public,
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains(&record.folio));

    // Another key (the demo CA's is not a seal key; use a fresh RSA key in PEM).
    let other = dir.join("otra.pem");
    let status = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(dir.join("otra-priv.pem"))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let status = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(dir.join("otra-priv.pem"))
        .arg("-out")
        .arg(&other)
        .status()
        .unwrap();
    assert!(status.success());
    let out = efirma(&[
        "verificar-acuse",
        "--acuse",
        &pdf,
        "--llave-publica",
        &other.to_string_lossy(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SELLO_INVALIDO"));

    // Not an acuse at all.
    let out = efirma(&[
        "verificar-acuse",
        "--acuse",
        &public,
        "--llave-publica",
        &public,
    ]);
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inspect_exits_non_zero_when_its_verdict_is_a_refusal() {
    // Without --pruebas the test authority is unknown: the facts are shown, the exit says no.
    let out = efirma(&["inspect", &fixture("certificate.cer"), "--at", AT]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stdout(&out).contains("EFIRMA_EMISOR_DESCONOCIDO"));
    // Expired at the instant asked: a refusal too.
    let out = efirma(&[
        "inspect",
        &fixture("certificate.cer"),
        "--pruebas",
        "--at",
        "2040-01-01T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

#[test]
fn usage_errors_are_said_in_spanish_with_status_2() {
    for (argv, said) in [
        (&["desconocido"][..], "Comando desconocido"),
        (
            &["inspect", "a.cer", "--nope"],
            "Opción desconocida «--nope»",
        ),
        (&["inspect"], "Falta <ARCHIVO.cer>"),
        (&["sign", "--cer"], "Falta el valor de --cer"),
        (
            &["inspect", "a.cer", "--at", "ayer"],
            "Valor inválido «ayer»",
        ),
        (
            &["cadena", "--field", "a", "--message-file", "m.txt"],
            "no se puede usar junto con",
        ),
    ] {
        let out = efirma(argv);
        assert_eq!(out.status.code(), Some(2), "{argv:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(said), "{argv:?}: {err}");
    }
    let out = efirma(&["--help"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("verificar-acuse"));
}

#[test]
fn inspect_exit_status_is_the_verdict_with_the_same_facts_printed() {
    let cer = fixture("certificate.cer");
    let accepted = efirma(&["inspect", &cer, "--pruebas", "--at", AT]);
    let refused = efirma(&["inspect", &cer, "--at", AT]);
    assert_eq!(accepted.status.code(), Some(0), "{accepted:?}");
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    // A script may branch on the status alone; the facts are printed either way.
    let facts = |out: &Output| {
        stdout(out)
            .lines()
            .filter(|l| l.starts_with("RFC:") || l.starts_with("Número de certificado:"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(facts(&accepted).len(), 2);
    assert_eq!(facts(&accepted), facts(&refused));
    // A file that cannot be read is no verdict at all, yet still not a yes.
    let missing = efirma(&["inspect", "no-existe.cer", "--pruebas"]);
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
    assert!(stdout(&missing).is_empty());
}

#[test]
fn help_says_the_exit_statuses_and_the_help_command_still_works() {
    for argv in [&["--help"][..], &["help"]] {
        let out = efirma(argv);
        assert_eq!(out.status.code(), Some(0), "{argv:?}");
        let text = stdout(&out);
        assert!(text.contains("Estado de salida"), "{argv:?}: {text}");
        assert!(text.contains("2  un error de uso"), "{argv:?}: {text}");
    }
    let out = efirma(&["help", "verificar-acuse"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("--llave-publica"));
}
