//! `avisos-cliente`: keeps a payroll system's employers in sync with their avisos.
//!
//! ```sh
//! avisos-cliente --url https://avisos.example.mx --cer certificado.cer --key clave.key \
//!   sincronizar --patrones patrones.txt --salida avisos/ --estado estado.json
//! ```
//!
//! The key's password is read from `--contrasena-archivo`, or asked on the terminal, or read
//! from the first line of standard input; never from an argument. Exit status: 0 when every
//! employer is up to date, 1 when any was refused (each with its reason), 2 when the run could
//! not start or stopped (the e.firma, the service, a file).

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use avisos_cliente::api::{Credencial, Servicio};
use avisos_cliente::estado::Estado;
use avisos_cliente::salida::{Formato, Salida};
use avisos_cliente::sincronizar::{Opciones, sincronizar};
use avisos_cliente::{Error, patrones};
use clap::{Parser, Subcommand};
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "avisos-cliente",
    version,
    about = "Cliente de referencia del Servicio de Intercomunicación de Avisos"
)]
struct Cli {
    /// Dirección del servicio.
    #[arg(long, env = "AVISOS_URL", default_value = "http://127.0.0.1:3000")]
    url: String,
    /// Certificado (.cer) de la e.firma del desarrollador.
    #[arg(long)]
    cer: PathBuf,
    /// Clave privada (.key) de la e.firma del desarrollador.
    #[arg(long)]
    key: PathBuf,
    /// Archivo con la contraseña de la clave privada (sin él, se pide en la terminal).
    #[arg(long)]
    contrasena_archivo: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Trae los cambios de los avisos de cada patrón desde la última ejecución.
    Sincronizar {
        /// Un patrón por línea: «RFC,archivo-de-contraseña-del-servicio».
        #[arg(long)]
        patrones: PathBuf,
        /// Carpeta de salida: un archivo por patrón.
        #[arg(long, default_value = "avisos")]
        salida: PathBuf,
        /// Archivo de estado (cursores); la siguiente ejecución continúa desde él.
        #[arg(long, default_value = "avisos-estado.json")]
        estado: PathBuf,
        #[arg(long, value_enum, default_value = "jsonl")]
        formato: Formato,
        /// Cambios por patrón y solicitud (1 a 100).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
        por_pagina: u32,
        /// Patrones por solicitud (1 a 100).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
        lote: u32,
    },
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::Archivo {
        ruta: path.display().to_string(),
        detalle: e.to_string(),
    })
}

fn key_password(file: Option<&Path>) -> Result<Zeroizing<Vec<u8>>, Error> {
    if let Some(path) = file {
        let mut bytes = Zeroizing::new(read(path)?);
        while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            bytes.pop();
        }
        return Ok(bytes);
    }
    let io = |e: std::io::Error| Error::Formato(format!("No se pudo leer la contraseña: {e}"));
    if std::io::stdin().is_terminal() {
        let typed = rpassword::prompt_password("Contraseña de la clave privada: ").map_err(io)?;
        return Ok(Zeroizing::new(typed.into_bytes()));
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin().read_line(&mut line).map_err(io)?;
    Ok(Zeroizing::new(
        line.trim_end_matches(['\n', '\r']).as_bytes().to_vec(),
    ))
}

fn run(cli: Cli) -> Result<bool, Error> {
    let password = key_password(cli.contrasena_archivo.as_deref())?;
    let credencial = Credencial::abrir(&read(&cli.cer)?, &read(&cli.key)?, &password)?;
    drop(password);
    let mut servicio = Servicio::new(&cli.url, credencial);
    let Command::Sincronizar {
        patrones: lista,
        salida,
        estado,
        formato,
        por_pagina,
        lote,
    } = cli.command;
    let patrones = patrones::leer(&lista)?;
    let salida = Salida::new(&salida, formato)?;
    let mut estado = Estado::cargar(&estado)?;
    servicio.iniciar_sesion()?;
    let barra = indicatif::ProgressBar::new(patrones.len() as u64);
    barra.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} patrones · {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let opciones = Opciones {
        lote: lote as usize,
        por_pagina,
    };
    let resumen = sincronizar(
        &mut servicio,
        &patrones,
        &salida,
        &mut estado,
        opciones,
        |a| {
            barra.set_position(a.terminados as u64);
            barra.set_message(format!("{} cambios", a.cambios));
            ControlFlow::Continue(())
        },
    )?;
    barra.finish_and_clear();
    println!(
        "Patrones: {} · al día: {} · rechazados: {} · cambios recibidos: {} · solicitudes: {}",
        resumen.patrones,
        resumen.al_dia,
        resumen.rechazados.len(),
        resumen.cambios,
        resumen.solicitudes
    );
    for r in &resumen.rechazados {
        println!("  {}: {} ({}) {}", r.rfc, r.codigo, r.estatus, r.mensaje);
    }
    Ok(resumen.rechazados.is_empty())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("avisos-cliente: {e}");
            ExitCode::from(2)
        }
    }
}
