//! `efirma`: inspect SAT certificates, check a .key against its .cer, sign and verify cadenas
//! originales. Passwords come from a file (`--password-file`) or an interactive prompt, never
//! from an argument (arguments show in `ps`).
//!
//! Exit status: 0 when the answer is yes (the certificate is a valid e.firma, the key matches,
//! the signature or seal is valid), 1 when it is a refusal or a file cannot be read, 2 for a
//! usage error. Scripts can rely on it.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64ct::{Base64, Encoding};
use chrono::{DateTime, Utc};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgAction, Args, Parser, Subcommand};
use efirma::{
    Certificate, CertificateKind, Credential, EfirmaError, Persona, RevocationList, TrustAnchors,
    TrustBundle, VerifyRequest, cadena::cadena_original, check_certificate, verify,
};
use zeroize::Zeroizing;

const TEMPLATE: &str = "{about-with-newline}\nUso: {usage}\n\n{all-args}{after-help}";

/// Herramienta de la e.firma del SAT: inspecciona certificados, comprueba claves privadas,
/// firma y verifica cadenas originales y acuses.
#[derive(Debug, Parser)]
#[command(
    name = "efirma",
    version,
    help_template = TEMPLATE,
    subcommand_help_heading = "Comandos",
    subcommand_value_name = "COMANDO",
    disable_help_subcommand = true,
    disable_help_flag = true,
    disable_version_flag = true,
    after_help = "La contraseña de la clave nunca se acepta como argumento (sería visible en la \
                  lista de procesos): use --password-file o escríbala cuando se le pida."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Muestra esta ayuda.
    #[arg(short = 'h', long, action = ArgAction::Help, global = true, help_heading = "Opciones")]
    help: Option<bool>,
    /// Muestra la versión.
    #[arg(short = 'V', long, action = ArgAction::Version, help_heading = "Opciones")]
    version: Option<bool>,
}

#[derive(Debug, Subcommand)]
#[command(help_template = TEMPLATE, next_help_heading = "Opciones")]
enum Command {
    /// Muestra los datos del certificado y si es una e.firma vigente emitida por el SAT (sale
    /// con 1 si no lo es).
    #[command(help_template = TEMPLATE, next_help_heading = "Opciones")]
    Inspect {
        /// El certificado (.cer, DER o PEM).
        #[arg(value_name = "ARCHIVO.cer", help_heading = "Argumentos")]
        cer: PathBuf,
        #[command(flatten)]
        trust: Trust,
    },
    /// Descifra la clave privada y comprueba que corresponde al certificado.
    #[command(name = "check-key", help_template = TEMPLATE, next_help_heading = "Opciones")]
    CheckKey {
        /// El certificado (.cer).
        #[arg(value_name = "ARCHIVO.cer", help_heading = "Argumentos")]
        cer: PathBuf,
        /// La clave privada cifrada (.key).
        #[arg(value_name = "ARCHIVO.key", help_heading = "Argumentos")]
        key: PathBuf,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Imprime la cadena original ||a|b|c|| de los campos.
    #[command(help_template = TEMPLATE, next_help_heading = "Opciones")]
    Cadena {
        #[command(flatten)]
        message: Message,
    },
    /// Firma (RSA PKCS#1 v1.5, SHA-256) e imprime la firma en base64.
    #[command(help_template = TEMPLATE, next_help_heading = "Opciones")]
    Sign {
        /// El certificado (.cer).
        #[arg(long, value_name = "ARCHIVO")]
        cer: PathBuf,
        /// La clave privada cifrada (.key).
        #[arg(long, value_name = "ARCHIVO")]
        key: PathBuf,
        #[command(flatten)]
        password: PasswordSource,
        #[command(flatten)]
        message: Message,
    },
    /// Verifica la firma de una e.firma: certificado, cadena de confianza, vigencia, revocación,
    /// RFC y firma.
    #[command(help_template = TEMPLATE, next_help_heading = "Opciones")]
    Verify {
        /// El certificado del firmante (.cer).
        #[arg(long, value_name = "ARCHIVO")]
        cer: PathBuf,
        /// La firma en base64.
        #[arg(long, value_name = "BASE64", conflicts_with = "signature_file")]
        signature: Option<String>,
        /// Un archivo con la firma en base64.
        #[arg(long, value_name = "ARCHIVO")]
        signature_file: Option<PathBuf>,
        #[command(flatten)]
        message: Message,
        #[command(flatten)]
        trust: Trust,
        /// El RFC que debe tener el firmante.
        #[arg(long)]
        rfc: Option<String>,
        /// Lista de números de certificado revocados, uno por línea.
        #[arg(long, value_name = "ARCHIVO")]
        revoked_file: Option<PathBuf>,
    },
    /// Verifica sin conexión el sello del servicio en un acuse (PDF) con la llave pública
    /// publicada en GET /api/v1/sello?formato=pem.
    #[command(
        name = "verificar-acuse",
        alias = "verify-acuse",
        help_template = TEMPLATE,
        next_help_heading = "Opciones"
    )]
    VerificarAcuse {
        /// El acuse descargado (PDF).
        #[arg(long, value_name = "ARCHIVO.pdf")]
        acuse: PathBuf,
        /// La llave pública del sello (PEM).
        #[arg(long, value_name = "ARCHIVO.pem")]
        llave_publica: PathBuf,
    },
}

#[derive(Debug, Args)]
struct Trust {
    /// Confía en las autoridades de pruebas del SAT (por omisión: producción).
    #[arg(long)]
    pruebas: bool,
    /// Instante de la verificación, RFC 3339 (por omisión: ahora).
    #[arg(long, value_name = "FECHA", value_parser = parse_instant)]
    at: Option<DateTime<Utc>>,
}

#[derive(Debug, Args)]
struct PasswordSource {
    /// Archivo con la contraseña de la clave; sin él se pregunta en la terminal (o se lee la
    /// primera línea de la entrada estándar).
    #[arg(long, value_name = "ARCHIVO")]
    password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct Message {
    /// Un campo de la cadena original (repetible, en orden).
    #[arg(long = "field", value_name = "VALOR", allow_hyphen_values = true)]
    fields: Vec<String>,
    /// Firma o verifica los bytes de un archivo en lugar de campos.
    #[arg(long, value_name = "ARCHIVO", conflicts_with_all = ["fields", "stdin"])]
    message_file: Option<PathBuf>,
    /// Lee el mensaje de la entrada estándar.
    #[arg(long, conflicts_with = "fields")]
    stdin: bool,
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("fecha inválida «{text}»: {e}"))
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    // Before clap: its answer to an unknown option would not say why this one is refused.
    if argv
        .iter()
        .skip(1)
        .any(|a| a == "--password" || a.starts_with("--password="))
    {
        eprintln!(
            "La contraseña no se acepta como argumento (sería visible en la lista de procesos): \
             use --password-file o escríbala cuando se le pida."
        );
        return ExitCode::from(2);
    }
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // Help and version: stdout, 0.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("{}\n\nAyuda: efirma --help", usage_error(&err));
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

/// clap's usage errors, said in Spanish (clap speaks only English).
fn usage_error(err: &clap::Error) -> String {
    let context = |kind| match err.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    match err.kind() {
        ErrorKind::InvalidSubcommand => format!(
            "Comando desconocido «{}».",
            context(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::UnknownArgument => {
            format!("Opción desconocida «{}».", context(ContextKind::InvalidArg))
        }
        ErrorKind::MissingRequiredArgument => {
            format!("Falta {}.", context(ContextKind::InvalidArg))
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "Falta el comando.".to_owned()
        }
        ErrorKind::ArgumentConflict => format!(
            "{} no se puede usar junto con {}.",
            context(ContextKind::InvalidArg),
            context(ContextKind::PriorArg)
        ),
        ErrorKind::InvalidValue if context(ContextKind::InvalidValue).is_empty() => {
            format!("Falta el valor de {}.", context(ContextKind::InvalidArg))
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => format!(
            "Valor inválido «{}» para {}.",
            context(ContextKind::InvalidValue),
            context(ContextKind::InvalidArg)
        ),
        ErrorKind::TooManyValues | ErrorKind::NoEquals => {
            format!(
                "Argumento inesperado «{}».",
                context(ContextKind::InvalidArg)
            )
        }
        _ => format!("Argumentos inválidos ({:?}).", err.kind()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn fields_repeat_in_order_and_may_start_with_a_hyphen() {
        let cli = Cli::try_parse_from(["efirma", "cadena", "--field", "x", "--field", "-y|z"])
            .expect("parses");
        let Command::Cadena { message } = cli.command else {
            panic!("cadena")
        };
        assert_eq!(message.fields, ["x", "-y|z"]);
    }

    #[test]
    fn refuses_unknown_options_missing_values_and_two_messages() {
        for argv in [
            &["efirma", "inspect", "a.cer", "--nope"][..],
            &["efirma", "sign", "--cer"],
            &[
                "efirma",
                "cadena",
                "--field",
                "a",
                "--message-file",
                "m.txt",
            ],
            &["efirma", "inspect", "a.cer", "--at", "ayer"],
            &["efirma", "desconocido"],
        ] {
            assert!(Cli::try_parse_from(argv).is_err(), "{argv:?}");
        }
    }
}
