//! `efirma`: inspect SAT certificates, check a .key against its .cer, sign and verify cadenas
//! originales. Passwords come from a file (`--password-file`) or an interactive prompt, never
//! from an argument (arguments show in `ps`).

mod args;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use base64ct::{Base64, Encoding};
use chrono::{DateTime, Utc};
use efirma::{
    Certificate, CertificateKind, Credential, EfirmaError, Persona, RevocationList, TrustAnchors,
    TrustBundle, VerifyRequest, cadena::cadena_original, check_certificate, verify,
};
use zeroize::Zeroizing;

use args::Args;

const USAGE: &str = "\
Uso: efirma <comando> [opciones]

Comandos:
  inspect <archivo.cer> [--pruebas] [--at FECHA]
      Muestra los datos del certificado y si es una e.firma vigente emitida por el SAT.
  check-key <archivo.cer> <archivo.key> [--password-file ARCHIVO]
      Descifra la clave privada y comprueba que corresponde al certificado.
  cadena --field VALOR [--field VALOR ...]
      Imprime la cadena original ||a|b|c|| de los campos.
  sign --cer ARCHIVO --key ARCHIVO [--password-file ARCHIVO]
       (--field VALOR ... | --message-file ARCHIVO)
      Firma (RSA PKCS#1 v1.5, SHA-256) e imprime la firma en base64.
  verify --cer ARCHIVO (--signature BASE64 | --signature-file ARCHIVO)
         (--field VALOR ... | --message-file ARCHIVO)
         [--pruebas] [--at FECHA] [--rfc RFC] [--revoked-file ARCHIVO]
      Verifica la firma de una e.firma: certificado, cadena de confianza, vigencia,
      revocación, RFC y firma.
  verificar-acuse --acuse ARCHIVO.pdf --llave-publica ARCHIVO.pem
      Verifica sin conexión el sello del servicio en un acuse (PDF) con la llave pública
      publicada en GET /api/v1/sello?formato=pem.

Opciones comunes:
  --pruebas            confía en las autoridades de pruebas del SAT (por omisión: producción)
  --at FECHA           instante de la verificación, RFC 3339 (por omisión: ahora)
  --password-file      archivo con la contraseña de la clave; sin él se pregunta en la terminal
";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match run(&argv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("{message}\n\n{USAGE}");
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

fn run(argv: &[String]) -> Result<(), Failure> {
    let Some((command, rest)) = argv.split_first() else {
        return Err(Failure::Usage("Falta el comando.".to_owned()));
    };
    let args = Args::parse(rest).map_err(Failure::Usage)?;
    match command.as_str() {
        "inspect" => inspect(&args),
        "check-key" => check_key(&args),
        "cadena" => {
            println!("{}", message_from(&args)?.0);
            Ok(())
        }
        "sign" => sign(&args),
        "verify" => verify_command(&args),
        "verificar-acuse" | "verify-acuse" => verify_acuse(&args),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(Failure::Usage(format!("Comando desconocido «{other}»."))),
    }
}

fn read_file(path: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Io(format!("No se pudo leer {path}: {e}")))
}

fn anchors(args: &Args) -> TrustAnchors {
    let bundle = if args.flag("pruebas") {
        TrustBundle::Test
    } else {
        TrustBundle::Production
    };
    TrustAnchors::bundle(bundle)
}

fn instant(args: &Args) -> Result<DateTime<Utc>, Failure> {
    match args.value("at") {
        None => Ok(Utc::now()),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| Failure::Usage(format!("Fecha inválida «{text}»: {e}"))),
    }
}

fn password(args: &Args) -> Result<Zeroizing<Vec<u8>>, Failure> {
    if let Some(path) = args.value("password-file") {
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
fn message_from(args: &Args) -> Result<(String, Vec<u8>), Failure> {
    let fields = args.values("field");
    match (fields.is_empty(), args.value("message-file")) {
        (false, None) => {
            let cadena = cadena_original(&fields);
            let bytes = cadena.clone().into_bytes();
            Ok((cadena, bytes))
        }
        (true, Some(path)) => {
            let bytes = read_file(path)?;
            Ok((String::from_utf8_lossy(&bytes).into_owned(), bytes))
        }
        (true, None) if args.flag("stdin") => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Failure::Io(e.to_string()))?;
            Ok((String::from_utf8_lossy(&bytes).into_owned(), bytes))
        }
        _ => Err(Failure::Usage(
            "Indique los campos (--field) o un archivo (--message-file), no ambos.".to_owned(),
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

fn inspect(args: &Args) -> Result<(), Failure> {
    let path = args
        .positional(0)
        .ok_or_else(|| Failure::Usage("Falta el archivo .cer.".to_owned()))?;
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
    let anchors = anchors(args);
    match anchors.issuer_of(&cert) {
        Some(issuer) => println!(
            "Emitido por (verificado): {} [{}]",
            issuer.name(),
            issuer.fingerprint_hex()
        ),
        None => println!("Emitido por (verificado): ninguna autoridad configurada"),
    }
    let now = instant(args)?;
    match check_certificate((&cert).into(), &anchors, now, &RevocationList::new(), None) {
        Ok(_) => println!(
            "Estado:                   e.firma válida al {}",
            now.to_rfc3339()
        ),
        Err(err) => println!(
            "Estado:                   {} ({})",
            err.mensaje(),
            err.codigo()
        ),
    }
    Ok(())
}

fn credential(args: &Args, cer: &str, key: &str) -> Result<Credential, Failure> {
    let cer = read_file(cer)?;
    let key = read_file(key)?;
    let password = password(args)?;
    Ok(Credential::open(&cer, &key, &password)?)
}

fn check_key(args: &Args) -> Result<(), Failure> {
    let (Some(cer), Some(key)) = (args.positional(0), args.positional(1)) else {
        return Err(Failure::Usage("Faltan el .cer y el .key.".to_owned()));
    };
    let credential = credential(args, cer, key)?;
    println!(
        "La clave privada (RSA-{}) corresponde al certificado {} de {}.",
        credential.key().bits(),
        credential.certificate().certificate_number(),
        credential.certificate().rfc().unwrap_or("-")
    );
    Ok(())
}

fn sign(args: &Args) -> Result<(), Failure> {
    let (Some(cer), Some(key)) = (args.value("cer"), args.value("key")) else {
        return Err(Failure::Usage("Faltan --cer y --key.".to_owned()));
    };
    let (cadena, message) = message_from(args)?;
    let credential = credential(args, cer, key)?;
    let signature = credential.sign(&message)?;
    eprintln!("Cadena original: {cadena}");
    println!("{}", Base64::encode_string(&signature));
    Ok(())
}

fn verify_command(args: &Args) -> Result<(), Failure> {
    let cer_path = args
        .value("cer")
        .ok_or_else(|| Failure::Usage("Falta --cer.".to_owned()))?;
    let cer = read_file(cer_path)?;
    let signature_text = match (args.value("signature"), args.value("signature-file")) {
        (Some(text), None) => text.as_bytes().to_vec(),
        (None, Some(path)) => read_file(path)?,
        _ => {
            return Err(Failure::Usage(
                "Indique la firma con --signature o --signature-file.".to_owned(),
            ));
        }
    };
    let compact: String = String::from_utf8_lossy(&signature_text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let signature = Base64::decode_vec(&compact)
        .map_err(|e| Failure::Usage(format!("La firma no es base64 válido: {e}")))?;
    let (_, message) = message_from(args)?;
    let revocations = match args.value("revoked-file") {
        Some(path) => RevocationList::parse_text(&String::from_utf8_lossy(&read_file(path)?)),
        None => RevocationList::new(),
    };
    let anchors = anchors(args);
    let now = instant(args)?;
    let mut request = VerifyRequest::new(&cer, &anchors, now, &revocations, &message, &signature);
    request.expected_rfc = args.value("rfc");
    let identity = verify(&request)?;
    println!("Firma válida.");
    println!("RFC:                   {}", identity.rfc);
    if let Some(rfc) = &identity.representative_rfc {
        println!("RFC del representante: {rfc}");
    }
    println!("Nombre:                {}", identity.name);
    println!("Número de certificado: {}", identity.certificate_number);
    println!("Emisor:                {}", identity.issuer_name);
    Ok(())
}

/// Checks the service's seal on a downloaded acuse: the PDF's information dictionary carries the
/// seal's cadena (`AvisosCadenaSello`) and the seal (`AvisosSello`).
fn verify_acuse(args: &Args) -> Result<(), Failure> {
    let pdf_path = args
        .value("acuse")
        .ok_or_else(|| Failure::Usage("Falta --acuse ARCHIVO.pdf.".to_owned()))?;
    let key_path = args
        .value("llave-publica")
        .ok_or_else(|| Failure::Usage("Falta --llave-publica ARCHIVO.pem.".to_owned()))?;
    let pdf = read_file(pdf_path)?;
    let pem = String::from_utf8_lossy(&read_file(key_path)?).into_owned();
    let not_acuse = || {
        Failure::Io(format!(
            "{pdf_path} no es un acuse del servicio (sin sello)."
        ))
    };
    let doc = lopdf::Document::load_mem(&pdf)
        .map_err(|e| Failure::Io(format!("{pdf_path} no es un PDF válido: {e}")))?;
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
        Ok(())
    } else {
        Err(Failure::Io(format!(
            "SELLO_INVALIDO: el sello del acuse {folio} no corresponde a la llave pública indicada \
             o el acuse fue alterado."
        )))
    }
}
