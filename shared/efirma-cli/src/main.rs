//! `efirma`: inspect SAT certificates, check a .key against its .cer, sign and verify cadenas
//! originales. Passwords come from a file (`--password-file`) or an interactive prompt, never
//! from an argument (arguments show in `ps`).
//!
//! Exit status: 0 when the answer is yes (the certificate is a valid e.firma, the key matches,
//! the signature or seal is valid), 1 when it is a refusal (`inspect` included: it prints the
//! facts, then exits 1 when the certificate is not a valid e.firma) or a file cannot be read, 2
//! for a usage error. Scripts can rely on it; `efirma --help` says the same in Spanish.

mod cli;

use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;

use base64ct::{Base64, Encoding};
use chrono::{DateTime, Utc};
use efirma::{
    Certificate, CertificateKind, Credential, EfirmaError, Persona, RevocationList, TrustAnchors,
    TrustBundle, VerifyRequest, cadena::cadena_original, check_certificate, verify,
};
use zeroize::Zeroizing;

use cli::{Command, Message, PasswordSource, Stop, Trust};

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(Stop::Shown(help)) => {
            let _ = help.print();
            return ExitCode::SUCCESS;
        }
        Err(Stop::Usage(message)) => {
            eprintln!("{message}\n\nAyuda: efirma --help");
            return ExitCode::from(2);
        }
    };
    match run(cli.command) {
        Ok(Verdict::Yes) => ExitCode::SUCCESS,
        Ok(Verdict::Refused) => ExitCode::from(1),
        Err(Failure::Usage(message)) => {
            eprintln!("{message}\n\nAyuda: efirma --help");
            ExitCode::from(2)
        }
        Err(Failure::Efirma(err)) => {
            eprintln!("{}: {}", err.codigo(), err.mensaje());
            ExitCode::from(1)
        }
        Err(Failure::Io(message)) => {
            eprintln!("{message}");
            ExitCode::from(1)
        }
    }
}

/// What a command answered, when it answered: `inspect` reports a refusal and still prints.
enum Verdict {
    Yes,
    Refused,
}

enum Failure {
    Usage(String),
    Efirma(EfirmaError),
    Io(String),
}

impl From<EfirmaError> for Failure {
    fn from(err: EfirmaError) -> Self {
        Failure::Efirma(err)
    }
}

fn run(command: Command) -> Result<Verdict, Failure> {
    match command {
        Command::Inspect { cer, trust } => inspect(&cer, &trust),
        Command::CheckKey { cer, key, password } => check_key(&cer, &key, &password),
        Command::Cadena { message } => {
            println!("{}", message_from(&message)?.0);
            Ok(Verdict::Yes)
        }
        Command::Sign {
            cer,
            key,
            password,
            message,
        } => sign(&cer, &key, &password, &message),
        Command::Verify {
            cer,
            signature,
            signature_file,
            message,
            trust,
            rfc,
            revoked_file,
        } => {
            let signature = match (signature, signature_file) {
                (Some(text), None) => text.into_bytes(),
                (None, Some(path)) => read_file(&path)?,
                _ => {
                    return Err(Failure::Usage(
                        "Indique la firma con --signature o --signature-file.".to_owned(),
                    ));
                }
            };
            verify_command(
                &cer,
                &signature,
                &message,
                &trust,
                rfc.as_deref(),
                revoked_file.as_deref(),
            )
        }
        Command::VerificarAcuse {
            acuse,
            llave_publica,
        } => verify_acuse(&acuse, &llave_publica),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Io(format!("No se pudo leer {}: {e}", path.display())))
}

fn anchors(trust: &Trust) -> TrustAnchors {
    let bundle = if trust.pruebas {
        TrustBundle::Test
    } else {
        TrustBundle::Production
    };
    TrustAnchors::bundle(bundle)
}

fn instant(trust: &Trust) -> DateTime<Utc> {
    trust.at.unwrap_or_else(Utc::now)
}

fn password(source: &PasswordSource) -> Result<Zeroizing<Vec<u8>>, Failure> {
    if let Some(path) = &source.password_file {
        let mut bytes = Zeroizing::new(read_file(path)?);
        // Files written by editors end in a newline that is not part of the password.
        while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            bytes.pop();
        }
        return Ok(bytes);
    }
    if std::io::stdin().is_terminal() {
        let typed = rpassword::prompt_password("Contraseña de la clave privada: ")
            .map_err(|e| Failure::Io(format!("No se pudo leer la contraseña: {e}")))?;
        return Ok(Zeroizing::new(typed.into_bytes()));
    }
    // Not a terminal: the first line of standard input (e.g. from a pipe or a secret store).
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure::Io(format!("No se pudo leer la contraseña: {e}")))?;
    Ok(Zeroizing::new(
        line.trim_end_matches(['\n', '\r']).as_bytes().to_vec(),
    ))
}

/// The message to sign or verify: `--field`s as a cadena original, or a file's bytes.
fn message_from(message: &Message) -> Result<(String, Vec<u8>), Failure> {
    match (message.fields.is_empty(), &message.message_file) {
        (false, None) => {
            let fields: Vec<&str> = message.fields.iter().map(String::as_str).collect();
            let cadena = cadena_original(&fields);
            let bytes = cadena.clone().into_bytes();
            Ok((cadena, bytes))
        }
        (true, Some(path)) => {
            let bytes = read_file(path)?;
            Ok((String::from_utf8_lossy(&bytes).into_owned(), bytes))
        }
        (true, None) if message.stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Failure::Io(e.to_string()))?;
            Ok((String::from_utf8_lossy(&bytes).into_owned(), bytes))
        }
        _ => Err(Failure::Usage(
            "Indique los campos (--field), un archivo (--message-file) o --stdin.".to_owned(),
        )),
    }
}

fn kind_name(kind: CertificateKind) -> &'static str {
    match kind {
        CertificateKind::Fiel => "e.firma (FIEL)",
        CertificateKind::Csd => "Certificado de Sello Digital (CSD)",
        CertificateKind::Other => "otro",
    }
}

fn inspect(path: &Path, trust: &Trust) -> Result<Verdict, Failure> {
    let bytes = read_file(path)?;
    let cert = Certificate::parse(&bytes)?;
    let opt = |v: Option<&str>| v.unwrap_or("-").to_owned();
    println!("Tipo:                     {}", kind_name(cert.kind()));
    println!(
        "Persona:                  {}",
        match cert.persona() {
            Persona::Fisica => "física",
            Persona::Moral => "moral",
        }
    );
    println!("RFC:                      {}", opt(cert.rfc()));
    println!(
        "RFC del representante:    {}",
        opt(cert.representative_rfc())
    );
    println!("CURP:                     {}", opt(cert.curp()));
    println!(
        "CURP del representante:   {}",
        opt(cert.representative_curp())
    );
    println!("Nombre:                   {}", cert.name());
    println!(
        "Unidad (OU):              {}",
        opt(cert.organizational_unit())
    );
    println!("Correo:                   {}", opt(cert.email()));
    println!("Número de certificado:    {}", cert.certificate_number());
    println!(
        "Válido desde:             {}",
        cert.not_before().to_rfc3339()
    );
    println!(
        "Válido hasta:             {}",
        cert.not_after().to_rfc3339()
    );
    println!("Emisor:                   {}", cert.issuer_name());
    println!("Clave:                    {}", cert.key_algorithm());
    println!(
        "Firma del emisor:         {}",
        cert.signature_algorithm_name()
    );
    println!("Huella SHA-256:           {}", cert.fingerprint_hex());
    let anchors = anchors(trust);
    match anchors.issuer_of(&cert) {
        Some(issuer) => println!(
            "Emitido por (verificado): {} [{}]",
            issuer.name(),
            issuer.fingerprint_hex()
        ),
        None => println!("Emitido por (verificado): ninguna autoridad configurada"),
    }
    let now = instant(trust);
    match check_certificate((&cert).into(), &anchors, now, &RevocationList::new(), None) {
        Ok(_) => {
            println!(
                "Estado:                   e.firma válida al {}",
                now.to_rfc3339()
            );
            Ok(Verdict::Yes)
        }
        Err(err) => {
            println!(
                "Estado:                   {} ({})",
                err.mensaje(),
                err.codigo()
            );
            Ok(Verdict::Refused)
        }
    }
}

fn credential(cer: &Path, key: &Path, source: &PasswordSource) -> Result<Credential, Failure> {
    let cer = read_file(cer)?;
    let key = read_file(key)?;
    let password = password(source)?;
    Ok(Credential::open(&cer, &key, &password)?)
}

fn check_key(cer: &Path, key: &Path, source: &PasswordSource) -> Result<Verdict, Failure> {
    let credential = credential(cer, key, source)?;
    println!(
        "La clave privada (RSA-{}) corresponde al certificado {} de {}.",
        credential.key().bits(),
        credential.certificate().certificate_number(),
        credential.certificate().rfc().unwrap_or("-")
    );
    Ok(Verdict::Yes)
}

fn sign(
    cer: &Path,
    key: &Path,
    source: &PasswordSource,
    message: &Message,
) -> Result<Verdict, Failure> {
    let (cadena, message) = message_from(message)?;
    let credential = credential(cer, key, source)?;
    let signature = credential.sign(&message)?;
    eprintln!("Cadena original: {cadena}");
    println!("{}", Base64::encode_string(&signature));
    Ok(Verdict::Yes)
}

fn verify_command(
    cer_path: &Path,
    signature_text: &[u8],
    message: &Message,
    trust: &Trust,
    expected_rfc: Option<&str>,
    revoked_file: Option<&Path>,
) -> Result<Verdict, Failure> {
    let cer = read_file(cer_path)?;
    let compact: String = String::from_utf8_lossy(signature_text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let signature = Base64::decode_vec(&compact)
        .map_err(|e| Failure::Usage(format!("La firma no es base64 válido: {e}")))?;
    let (_, message) = message_from(message)?;
    let revocations = match revoked_file {
        Some(path) => RevocationList::parse_text(&String::from_utf8_lossy(&read_file(path)?)),
        None => RevocationList::new(),
    };
    let anchors = anchors(trust);
    let now = instant(trust);
    let mut request = VerifyRequest::new(&cer, &anchors, now, &revocations, &message, &signature);
    request.expected_rfc = expected_rfc;
    let identity = verify(&request)?;
    println!("Firma válida.");
    println!("RFC:                   {}", identity.rfc);
    if let Some(rfc) = &identity.representative_rfc {
        println!("RFC del representante: {rfc}");
    }
    println!("Nombre:                {}", identity.name);
    println!("Número de certificado: {}", identity.certificate_number);
    println!("Emisor:                {}", identity.issuer_name);
    Ok(Verdict::Yes)
}

/// Checks the service's seal on a downloaded acuse: the PDF's information dictionary carries the
/// seal's cadena (`AvisosCadenaSello`) and the seal (`AvisosSello`).
fn verify_acuse(pdf_path: &Path, key_path: &Path) -> Result<Verdict, Failure> {
    let pdf = read_file(pdf_path)?;
    let pem = String::from_utf8_lossy(&read_file(key_path)?).into_owned();
    let shown = pdf_path.display();
    let not_acuse = || Failure::Io(format!("{shown} no es un acuse del servicio (sin sello)."));
    let doc = lopdf::Document::load_mem(&pdf)
        .map_err(|e| Failure::Io(format!("{shown} no es un PDF válido: {e}")))?;
    let info_ref = doc
        .trailer
        .get(b"Info")
        .and_then(|o| o.as_reference())
        .map_err(|_| not_acuse())?;
    let info = doc.get_dictionary(info_ref).map_err(|_| not_acuse())?;
    let text = |key: &[u8]| -> Result<String, Failure> {
        let object = info.get(key).map_err(|_| not_acuse())?;
        lopdf::decode_text_string(object).map_err(|_| not_acuse())
    };
    let folio = text(b"AvisosFolio")?;
    let cadena = text(b"AvisosCadenaSello")?;
    let seal = Base64::decode_vec(text(b"AvisosSello")?.trim()).map_err(|_| not_acuse())?;
    if avisos_acts::seal::verify(&pem, cadena.as_bytes(), &seal) {
        println!(
            "Sello válido: el acuse con folio {folio} fue emitido por el servicio y no ha sido alterado."
        );
        println!("Cadena sellada: {cadena}");
        Ok(Verdict::Yes)
    } else {
        Err(Failure::Io(format!(
            "SELLO_INVALIDO: el sello del acuse {folio} no corresponde a la llave pública indicada \
             o el acuse fue alterado."
        )))
    }
}
