//! A small argument parser: positionals, `--flag`, `--name value` and repeated `--name value`.

use std::collections::HashMap;

/// Options that take no value.
const FLAGS: &[&str] = &["pruebas", "stdin"];
/// Options that take a value.
const VALUED: &[&str] = &[
    "acuse",
    "llave-publica",
    "at",
    "cer",
    "field",
    "key",
    "message-file",
    "password-file",
    "revoked-file",
    "rfc",
    "signature",
    "signature-file",
];

#[derive(Debug, Default)]
pub struct Args {
    positionals: Vec<String>,
    flags: Vec<String>,
    values: HashMap<String, Vec<String>>,
}

impl Args {
    pub fn parse(argv: &[String]) -> Result<Args, String> {
        let mut args = Args::default();
        let mut iter = argv.iter();
        while let Some(arg) = iter.next() {
            let Some(name) = arg.strip_prefix("--") else {
                args.positionals.push(arg.clone());
                continue;
            };
            if name == "password" {
                return Err(
                    "La contraseña no se acepta como argumento (sería visible en la lista \
                     de procesos): use --password-file o escríbala cuando se le pida."
                        .to_owned(),
                );
            }
            if FLAGS.contains(&name) {
                args.flags.push(name.to_owned());
            } else if VALUED.contains(&name) {
                let value = iter
                    .next()
                    .ok_or_else(|| format!("Falta el valor de --{name}."))?;
                args.values
                    .entry(name.to_owned())
                    .or_default()
                    .push(value.clone());
            } else {
                return Err(format!("Opción desconocida --{name}."));
            }
        }
        Ok(args)
    }

    pub fn positional(&self, index: usize) -> Option<&str> {
        self.positionals.get(index).map(String::as_str)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    pub fn values(&self, name: &str) -> Vec<&str> {
        self.values
            .get(name)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_repeated_values_flags_and_positionals() {
        let args = Args::parse(&argv(&[
            "a.cer",
            "--field",
            "x",
            "--pruebas",
            "--field",
            "y|z",
        ]))
        .unwrap();
        assert_eq!(args.positional(0), Some("a.cer"));
        assert!(args.flag("pruebas"));
        assert_eq!(args.values("field"), vec!["x", "y|z"]);
    }

    #[test]
    fn refuses_password_arguments_and_unknown_options() {
        assert!(Args::parse(&argv(&["--password", "secreto"])).is_err());
        assert!(Args::parse(&argv(&["--nope"])).is_err());
        assert!(Args::parse(&argv(&["--cer"])).is_err());
    }
}
