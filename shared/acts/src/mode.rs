//! The service mode (`modo` Spin variable), read with one rule by the acts and by the page's
//! files. **It fails closed**: only an explicit `demo` is demo.

/// Demo (the project's demo CA and credentials, generated secrets) or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Demo,
    Produccion,
}

impl Mode {
    /// `modo` as read from Spin (empty = unset). Only an explicit `demo` is demo; unset is
    /// production; anything else is a configuration error (`None`).
    pub fn parse(modo: &str) -> Option<Mode> {
        match modo.trim().to_ascii_lowercase().as_str() {
            "demo" => Some(Mode::Demo),
            "" | "produccion" | "producción" => Some(Mode::Produccion),
            _ => None,
        }
    }

    /// The name `/api/v1/salud` reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Demo => "demo",
            Mode::Produccion => "produccion",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_explicit_demo_is_demo() {
        for m in ["demo", " Demo ", "DEMO"] {
            assert_eq!(Mode::parse(m), Some(Mode::Demo), "{m:?}");
        }
        for m in ["", "  ", "produccion", "PRODUCCION", "producción"] {
            assert_eq!(Mode::parse(m), Some(Mode::Produccion), "{m:?}");
        }
        for m in ["pruebas", "staging", "demo,produccion"] {
            assert_eq!(Mode::parse(m), None, "{m:?}");
        }
    }
}
