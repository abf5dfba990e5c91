//! The command line: what `efirma` accepts (clap derive) and how a usage error is said, in
//! Spanish. Nothing here reads a file or runs a command.

use std::ffi::OsString;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgAction, Args, Parser, Subcommand};

const TEMPLATE: &str = "{about-with-newline}\nUso: {usage}\n\n{all-args}{after-help}";

const AFTER_HELP: &str = "\
La contraseña de la clave nunca se acepta como argumento (sería visible en la lista de \
procesos): use --password-file o escríbala cuando se le pida.

Estado de salida:
  0  la respuesta es sí: el certificado es una e.firma válida (inspect), la clave corresponde,
     la firma o el sello son válidos
  1  una negativa (inspect también muestra los datos y sale con 1 si el certificado no es una
     e.firma válida), o un archivo que no se pudo leer
  2  un error de uso (comando u opción desconocidos, falta un argumento)";

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
    // As before clap: a repeated option takes its last value (`--field` still accumulates).
    args_override_self = true,
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Muestra esta ayuda.
    #[arg(short = 'h', long, action = ArgAction::Help, global = true, help_heading = "Opciones")]
    help: Option<bool>,
    /// Muestra la versión.
    #[arg(short = 'V', long, action = ArgAction::Version, help_heading = "Opciones")]
    version: Option<bool>,
}

// Each usage line is written out: clap's own says `[OPTIONS]`, in English.
#[derive(Debug, Subcommand)]
#[command(help_template = TEMPLATE, next_help_heading = "Opciones")]
pub enum Command {
    /// Muestra los datos del certificado y si es una e.firma vigente emitida por el SAT (sale
    /// con 1 si no lo es).
    #[command(
        help_template = TEMPLATE,
        next_help_heading = "Opciones",
        override_usage = "efirma inspect <ARCHIVO.cer> [--pruebas] [--at FECHA]"
    )]
    Inspect {
        /// El certificado (.cer, DER o PEM).
        #[arg(value_name = "ARCHIVO.cer", help_heading = "Argumentos")]
        cer: PathBuf,
        #[command(flatten)]
        trust: Trust,
    },
    /// Descifra la clave privada y comprueba que corresponde al certificado.
    #[command(
        name = "check-key",
        help_template = TEMPLATE,
        next_help_heading = "Opciones",
        override_usage = "efirma check-key <ARCHIVO.cer> <ARCHIVO.key> [--password-file ARCHIVO]"
    )]
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
    #[command(
        help_template = TEMPLATE,
        next_help_heading = "Opciones",
        override_usage = "efirma cadena (--field VALOR ... | --message-file ARCHIVO | --stdin)"
    )]
    Cadena {
        #[command(flatten)]
        message: Message,
    },
    /// Firma (RSA PKCS#1 v1.5, SHA-256) e imprime la firma en base64.
    #[command(
        help_template = TEMPLATE,
        next_help_heading = "Opciones",
        override_usage = "efirma sign --cer ARCHIVO --key ARCHIVO [--password-file ARCHIVO]\n     \
                          (--field VALOR ... | --message-file ARCHIVO | --stdin)"
    )]
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
    #[command(
        help_template = TEMPLATE,
        next_help_heading = "Opciones",
        override_usage = "efirma verify --cer ARCHIVO (--signature BASE64 | --signature-file ARCHIVO)\n     \
                          (--field VALOR ... | --message-file ARCHIVO | --stdin)\n     \
                          [--pruebas] [--at FECHA] [--rfc RFC] [--revoked-file ARCHIVO]"
    )]
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
        next_help_heading = "Opciones",
        override_usage = "efirma verificar-acuse --acuse ARCHIVO.pdf --llave-publica ARCHIVO.pem"
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
pub struct Trust {
    /// Confía en las autoridades de pruebas del SAT (por omisión: producción).
    #[arg(long)]
    pub pruebas: bool,
    /// Instante de la verificación, RFC 3339 (por omisión: ahora).
    #[arg(long, value_name = "FECHA", value_parser = parse_instant)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Args)]
pub struct PasswordSource {
    /// Archivo con la contraseña de la clave; sin él se pregunta en la terminal (o se lee la
    /// primera línea de la entrada estándar).
    #[arg(long, value_name = "ARCHIVO")]
    pub password_file: Option<PathBuf>,
}

/// The message to sign or verify. As before clap, `--field`s win over `--message-file`, which
/// wins over `--stdin`; only fields and a file together are refused.
#[derive(Debug, Args)]
pub struct Message {
    /// Un campo de la cadena original (repetible, en orden).
    #[arg(long = "field", value_name = "VALOR", allow_hyphen_values = true)]
    pub fields: Vec<String>,
    /// Firma o verifica los bytes de un archivo en lugar de campos.
    #[arg(long, value_name = "ARCHIVO", conflicts_with = "fields")]
    pub message_file: Option<PathBuf>,
    /// Lee el mensaje de la entrada estándar.
    #[arg(long)]
    pub stdin: bool,
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("fecha inválida «{text}»: {e}"))
}

/// Why the command line did not name a command to run.
#[derive(Debug)]
pub enum Stop {
    /// Help or version was asked for: print it on standard output, exit 0.
    Shown(clap::Error),
    /// A usage error, already said in Spanish: standard error, exit 2.
    Usage(String),
}

const PASSWORD_REFUSED: &str = "La contraseña no se acepta como argumento (sería visible en la \
    lista de procesos): use --password-file o escríbala cuando se le pida.";

/// Parses `argv` (program name first).
pub fn parse<I, T>(argv: I) -> Result<Cli, Stop>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let mut argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    // `efirma help [COMANDO]` was a command before clap: it is `efirma [COMANDO] --help`.
    if argv.get(1).is_some_and(|a| a == "help") {
        argv.remove(1);
        argv.push("--help".into());
    }
    match Cli::try_parse_from(argv) {
        Ok(cli) => Ok(cli),
        Err(err) if !err.use_stderr() => Err(Stop::Shown(err)),
        Err(err) if is_password_option(&err) => Err(Stop::Usage(PASSWORD_REFUSED.to_owned())),
        Err(err) => Err(Stop::Usage(usage_error(&err))),
    }
}

/// `--password` is no option: say why instead of calling it unknown.
fn is_password_option(err: &clap::Error) -> bool {
    err.kind() == ErrorKind::UnknownArgument
        && matches!(
            err.get(ContextKind::InvalidArg),
            Some(ContextValue::String(arg)) if arg == "--password" || arg.starts_with("--password=")
        )
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
            let arg = context(ContextKind::InvalidArg);
            if arg.starts_with('-') {
                format!("Opción desconocida «{arg}».")
            } else {
                // An extra positional, e.g. a second .cer for `inspect`.
                format!("Argumento inesperado «{arg}».")
            }
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

#[cfg(test)]
mod tests;
