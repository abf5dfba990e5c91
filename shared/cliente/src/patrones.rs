//! The employers to keep in sync: a text file with one employer per line,
//! `RFC,archivo-de-contraseña` (the file that holds that employer's service password; a
//! relative path is read from the employers file's folder). Blank lines and lines starting
//! with `#` are skipped. Passwords live in their own files so they never appear in a command
//! line or in the employers list.

use std::collections::BTreeSet;
use std::path::Path;

use zeroize::Zeroizing;

use crate::Error;

/// One employer and its service password.
pub struct Patron {
    pub rfc: String,
    pub contrasena: Zeroizing<String>,
}

/// Reads the employers file and each password file it names.
pub fn leer(ruta: &Path) -> Result<Vec<Patron>, Error> {
    let texto = std::fs::read_to_string(ruta).map_err(|e| Error::archivo(ruta, e))?;
    let carpeta = ruta.parent().unwrap_or(Path::new("."));
    let mut vistos = BTreeSet::new();
    let mut out = Vec::new();
    for (n, linea) in texto.lines().enumerate() {
        let linea = linea.trim();
        if linea.is_empty() || linea.starts_with('#') {
            continue;
        }
        let formato = |detalle: &str| {
            Error::Formato(format!("{}, línea {}: {detalle}", ruta.display(), n + 1))
        };
        let (rfc, archivo) = linea
            .split_once(',')
            .ok_or_else(|| formato("se esperaba «RFC,archivo-de-contraseña»"))?;
        let rfc = rfc.trim().to_uppercase();
        if rfc.is_empty() || archivo.trim().is_empty() {
            return Err(formato("se esperaba «RFC,archivo-de-contraseña»"));
        }
        if !vistos.insert(rfc.clone()) {
            return Err(formato(&format!("el RFC {rfc} aparece más de una vez")));
        }
        let archivo = carpeta.join(archivo.trim());
        let contrasena =
            std::fs::read_to_string(&archivo).map_err(|e| Error::archivo(&archivo, e))?;
        // Files written by editors end in a newline that is not part of the password.
        let contrasena = Zeroizing::new(contrasena.trim_end_matches(['\n', '\r']).to_string());
        if contrasena.is_empty() {
            return Err(formato(&format!("{} está vacío", archivo.display())));
        }
        out.push(Patron { rfc, contrasena });
    }
    if out.is_empty() {
        return Err(Error::Formato(format!(
            "{} no lista ningún patrón",
            ruta.display()
        )));
    }
    Ok(out)
}
