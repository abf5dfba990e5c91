//! The argument parsing: every command and option, and the usage errors.

use chrono::Datelike;
use clap::CommandFactory;

use super::*;

fn parsed(argv: &[&str]) -> Command {
    match parse(argv.iter().copied()) {
        Ok(cli) => cli.command,
        Err(stop) => panic!("{argv:?}: {stop:?}"),
    }
}

fn usage(argv: &[&str]) -> String {
    match parse(argv.iter().copied()) {
        Err(Stop::Usage(message)) => message,
        other => panic!("{argv:?}: {other:?}"),
    }
}

fn shown(argv: &[&str]) -> String {
    match parse(argv.iter().copied()) {
        Err(Stop::Shown(help)) => help.to_string(),
        other => panic!("{argv:?}: {other:?}"),
    }
}

#[test]
fn the_command_line_is_well_formed() {
    Cli::command().debug_assert();
}

#[test]
fn inspect_takes_the_certificate_and_the_trust_options() {
    let Command::Inspect { cer, trust } = parsed(&[
        "efirma",
        "inspect",
        "--pruebas",
        "a.cer",
        "--at",
        "2025-03-01T06:00:00-06:00",
    ]) else {
        panic!("inspect")
    };
    assert_eq!(cer, PathBuf::from("a.cer"));
    assert!(trust.pruebas);
    assert_eq!(
        trust.at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2025-03-01T12:00:00+00:00")
    );
    let Command::Inspect { trust, .. } = parsed(&["efirma", "inspect", "a.cer"]) else {
        panic!("inspect")
    };
    assert!(!trust.pruebas && trust.at.is_none());
}

#[test]
fn check_key_takes_two_files_and_a_password_file() {
    let Command::CheckKey { cer, key, password } = parsed(&[
        "efirma",
        "check-key",
        "a.cer",
        "a.key",
        "--password-file",
        "p.txt",
    ]) else {
        panic!("check-key")
    };
    assert_eq!((cer, key), ("a.cer".into(), "a.key".into()));
    assert_eq!(password.password_file, Some("p.txt".into()));
}

#[test]
fn sign_and_verify_take_their_options() {
    let Command::Sign {
        cer, key, message, ..
    } = parsed(&[
        "efirma",
        "sign",
        "--cer",
        "a.cer",
        "--key",
        "a.key",
        "--message-file",
        "m.bin",
    ])
    else {
        panic!("sign")
    };
    assert_eq!((cer, key), ("a.cer".into(), "a.key".into()));
    assert_eq!(message.message_file, Some("m.bin".into()));
    let Command::Verify {
        signature,
        signature_file,
        message,
        trust,
        rfc,
        revoked_file,
        ..
    } = parsed(&[
        "efirma",
        "verify",
        "--cer",
        "a.cer",
        "--signature-file",
        "f.b64",
        "--stdin",
        "--pruebas",
        "--rfc",
        "EKU9003173C9",
        "--revoked-file",
        "r.txt",
    ])
    else {
        panic!("verify")
    };
    assert_eq!((signature, signature_file), (None, Some("f.b64".into())));
    assert!(message.stdin && trust.pruebas);
    assert_eq!(rfc.as_deref(), Some("EKU9003173C9"));
    assert_eq!(revoked_file, Some("r.txt".into()));
}

#[test]
fn verificar_acuse_answers_to_its_english_name_too() {
    for name in ["verificar-acuse", "verify-acuse"] {
        let Command::VerificarAcuse {
            acuse,
            llave_publica,
        } = parsed(&[
            "efirma",
            name,
            "--acuse",
            "a.pdf",
            "--llave-publica",
            "s.pem",
        ])
        else {
            panic!("{name}")
        };
        assert_eq!((acuse, llave_publica), ("a.pdf".into(), "s.pem".into()));
    }
}

#[test]
fn fields_repeat_in_order_and_may_start_with_a_hyphen_or_be_empty() {
    let Command::Cadena { message } = parsed(&[
        "efirma", "cadena", "--field", "x", "--field", "-y|z", "--field", "",
    ]) else {
        panic!("cadena")
    };
    assert_eq!(message.fields, ["x", "-y|z", ""]);
}

#[test]
fn a_repeated_option_takes_its_last_value_as_before_clap() {
    let Command::Inspect { trust, .. } = parsed(&[
        "efirma",
        "inspect",
        "a.cer",
        "--pruebas",
        "--pruebas",
        "--at",
        "2020-01-01T00:00:00Z",
        "--at",
        "2025-03-01T12:00:00Z",
    ]) else {
        panic!("inspect")
    };
    assert!(trust.pruebas);
    assert_eq!(trust.at.map(|t| t.year()), Some(2025));
}

#[test]
fn stdin_gives_way_to_fields_or_a_file_as_before_clap() {
    for argv in [
        &["efirma", "cadena", "--field", "a", "--stdin"][..],
        &["efirma", "cadena", "--message-file", "m.txt", "--stdin"],
    ] {
        let Command::Cadena { message } = parsed(argv) else {
            panic!("{argv:?}")
        };
        assert!(message.stdin);
    }
}

#[test]
fn help_is_shown_for_the_flag_and_the_old_help_command() {
    for argv in [
        &["efirma", "--help"][..],
        &["efirma", "-h"],
        &["efirma", "help"],
    ] {
        let text = shown(argv);
        assert!(text.contains("verificar-acuse"), "{argv:?}: {text}");
        assert!(text.contains("Estado de salida"), "{argv:?}: {text}");
    }
    for argv in [
        &["efirma", "inspect", "--help"][..],
        &["efirma", "help", "inspect"],
    ] {
        let text = shown(argv);
        assert!(
            text.contains("Uso: efirma inspect <ARCHIVO.cer>"),
            "{argv:?}: {text}"
        );
    }
    assert!(shown(&["efirma", "--version"]).starts_with("efirma "));
    assert_eq!(
        usage(&["efirma", "help", "nope"]),
        "Comando desconocido «nope»."
    );
}

#[test]
fn a_password_argument_is_refused_with_its_reason() {
    for argv in [
        &["efirma", "check-key", "a.cer", "a.key", "--password", "x"][..],
        &["efirma", "check-key", "a.cer", "a.key", "--password=x"],
        &["efirma", "--password", "x"],
    ] {
        assert_eq!(usage(argv), PASSWORD_REFUSED, "{argv:?}");
    }
    // A field's value is no option.
    parsed(&["efirma", "cadena", "--field", "--password"]);
}

#[test]
fn usage_errors_are_said_in_spanish() {
    for (argv, said) in [
        (&["efirma"][..], "Falta el comando."),
        (
            &["efirma", "desconocido"],
            "Comando desconocido «desconocido».",
        ),
        (
            &["efirma", "inspect", "a.cer", "--nope"],
            "Opción desconocida «--nope».",
        ),
        // Options belong to their command: inspect has no --rfc.
        (
            &["efirma", "inspect", "a.cer", "--rfc", "X"],
            "Opción desconocida «--rfc».",
        ),
        (
            &["efirma", "inspect", "a.cer", "b.cer"],
            "Argumento inesperado «b.cer».",
        ),
        (&["efirma", "inspect"], "Falta <ARCHIVO.cer>."),
        (
            &["efirma", "sign", "--cer"],
            "Falta el valor de --cer <ARCHIVO>.",
        ),
        (
            &["efirma", "inspect", "a.cer", "--at", "ayer"],
            "Valor inválido «ayer» para --at <FECHA>.",
        ),
        (
            &["efirma", "cadena", "--field", "a", "--message-file", "m"],
            "--field <VALOR> no se puede usar junto con --message-file <ARCHIVO>.",
        ),
        (
            &[
                "efirma",
                "verify",
                "--cer",
                "a",
                "--signature",
                "A",
                "--signature-file",
                "f",
            ],
            "--signature <BASE64> no se puede usar junto con --signature-file <ARCHIVO>.",
        ),
    ] {
        assert_eq!(usage(argv), said, "{argv:?}");
    }
}

/// The usage lines are written by hand: each option they name must be one of the command's.
#[test]
fn the_usage_lines_name_only_real_options() {
    let mut efirma = Cli::command();
    efirma.build();
    for command in efirma.get_subcommands() {
        let mut command = command.clone();
        let usage = command.render_usage().to_string();
        assert!(usage.contains(&format!("efirma {} ", command.get_name())));
        for word in usage.split(|c: char| c.is_whitespace() || "[]()|".contains(c)) {
            let Some(long) = word.strip_prefix("--") else {
                continue;
            };
            assert!(
                command.get_arguments().any(|a| a.get_long() == Some(long)),
                "{}: {word}",
                command.get_name()
            );
        }
    }
}
