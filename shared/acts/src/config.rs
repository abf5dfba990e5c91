//! Service configuration from Spin variables: mode, which e.firma authorities to trust, revoked
//! certificates, analysts. Secrets (session key, seal key) are resolved in [`crate::session`] and
//! [`crate::seal`].
//!
//! **Configuration fails closed.** Only `modo = "demo"`, asked for explicitly (`make run` does),
//! runs the demo rules: it may trust `demo` (the project's demo CA, see tests/demo-pki) and SAT's
//! test CAs (both by default), keeps the demo analyst by default, and generates missing secrets
//! once, storing them in the key-value store. Anything else, an unset `modo` included, is
//! production: SAT's production CAs only (the default), no analyst unless `analistas` names one,
//! and every secret configured, or the acts that need it answer 503 `CONFIGURACION_INVALIDA`
//! naming the variable. A `modo` that is neither is refused at every request. [`diagnose`] lists
//! every problem at once for `/api/v1/salud`.

use crate::ActError;
use efirma::{RevocationList, TrustAnchors, TrustBundle};

use crate::session::{Role, Session};

/// The project's demo certification authority (tests/demo-pki/generate.sh).
pub const DEMO_CA_DER: &[u8] = include_bytes!("../../../static/demo/ac-demo.cer");

/// What an empty `confianza_efirma` trusts in demo mode.
pub const DEMO_TRUST: &str = "demo,sat-pruebas";
/// What an empty `confianza_efirma` trusts in production.
pub const PRODUCTION_TRUST: &str = "sat-produccion";
/// The demo analyst (tests/demo-pki), who an empty `analistas` names in demo mode only.
pub const DEMO_ANALYST: &str = "AIGL850215QR5";

pub use crate::mode::Mode;

/// Variable values as read (empty string = unset).
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    pub modo: String,
    pub confianza_efirma: String,
    pub efirma_revocados: String,
    pub analistas: String,
    /// Rate limits (`limites`, see [`crate::limits`]); empty = defaults.
    pub limites: String,
    /// `cabecera_cliente`: the header a trusted proxy in front of Spin puts the client's address
    /// in (e.g. `x-forwarded-for`); empty = Spin's own `spin-client-addr`.
    pub cabecera_cliente: String,
}

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub mode: Mode,
    /// The authorities `confianza_efirma` names (validated; parsed only by [`Self::trust`]).
    pub trust_names: Vec<String>,
    /// Parsed on first use: most requests verify no signature, and a component instance serves
    /// one request, so parsing the bundles up front would cost every request.
    trust: std::sync::OnceLock<TrustAnchors>,
    pub revocations: RevocationList,
    /// Analysts' RFCs, upper case.
    pub analysts: Vec<String>,
    pub limits: crate::limits::Limits,
    /// The trusted proxy's client-address header, lower case (`cabecera_cliente`).
    pub client_header: Option<String>,
}

impl ServiceConfig {
    pub fn from_raw(raw: &RawConfig) -> Result<ServiceConfig, ActError> {
        let mode = Mode::parse(&raw.modo).ok_or(ActError::Misconfigured("modo"))?;
        let trust_names = trust_names(&raw.confianza_efirma, mode)?;
        let revocations = RevocationList::from_numbers(split_list(&raw.efirma_revocados));
        let analysts = match (raw.analistas.trim(), mode) {
            ("", Mode::Demo) => vec![DEMO_ANALYST.to_owned()],
            (list, _) => split_list(list).map(|r| r.to_uppercase()).collect(),
        };
        let limits = crate::limits::Limits::parse(&raw.limites)?;
        let client_header = client_header(&raw.cabecera_cliente)?;
        Ok(ServiceConfig {
            mode,
            trust_names,
            trust: std::sync::OnceLock::new(),
            revocations,
            analysts,
            limits,
            client_header,
        })
    }

    /// The address the request came from, for per-client limits: with `cabecera_cliente`, the
    /// last address of that header's last value (what the trusted proxy appended: anything
    /// before it is the client's to choose); otherwise, or when the proxy sent none, the
    /// `spin-client-addr` Spin appended. Without the port; [`crate::limits::UNKNOWN_CLIENT`]
    /// when the platform gave none (all such requests then share one budget).
    ///
    /// `last_header(name)` is the last value of a request header.
    pub fn client_address<'a>(&self, last_header: impl Fn(&str) -> Option<&'a str>) -> String {
        let from_proxy = self.client_header.as_deref().and_then(|h| {
            last_header(h)
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| crate::limits::client_address(Some(v)))
        });
        from_proxy
            .or_else(|| crate::limits::client_address(last_header("spin-client-addr")))
            .unwrap_or_else(|| crate::limits::UNKNOWN_CLIENT.to_owned())
    }

    /// The trusted e.firma authorities.
    pub fn trust(&self) -> &TrustAnchors {
        self.trust.get_or_init(|| anchors(&self.trust_names))
    }

    pub fn is_analyst(&self, rfc: &str) -> bool {
        self.analysts
            .iter()
            .any(|a| a.eq_ignore_ascii_case(rfc.trim()))
    }

    /// An analyst's session: role analista and an RFC still listed in `analistas` (a session
    /// outlives a removal from the list by at most its lifetime otherwise).
    pub fn require_analyst(&self, session: &Session) -> Result<(), ActError> {
        session.require_role(&[Role::Analista])?;
        if !self.is_analyst(&session.rfc) {
            return Err(ActError::AnalystRevoked);
        }
        Ok(())
    }
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', ';', '\n', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
}

/// `confianza_efirma` (empty = the mode's default): the names of the authorities to trust.
fn trust_names(confianza: &str, mode: Mode) -> Result<Vec<String>, ActError> {
    let confianza = match (confianza.trim(), mode) {
        ("", Mode::Demo) => DEMO_TRUST,
        ("", Mode::Produccion) => PRODUCTION_TRUST,
        (list, _) => list,
    };
    let mut names = Vec::new();
    for name in split_list(confianza) {
        let name = name.to_ascii_lowercase();
        match (name.as_str(), mode) {
            ("sat-produccion", _) | ("sat-pruebas", Mode::Demo) | ("demo", Mode::Demo) => {}
            // Production never trusts test or demo authorities, whatever the variable says.
            _ => return Err(ActError::Misconfigured("confianza_efirma")),
        }
        names.push(name);
    }
    if names.is_empty() {
        return Err(ActError::Misconfigured("confianza_efirma"));
    }
    Ok(names)
}

/// The certificates of validated `names`. The bundles are embedded and tested to parse; one
/// that did not would only trust less.
fn anchors(names: &[String]) -> TrustAnchors {
    let mut trust = TrustAnchors::empty();
    for name in names {
        match name.as_str() {
            "sat-produccion" => {
                for c in TrustAnchors::bundle(TrustBundle::Production).certificates() {
                    trust.add(c.clone());
                }
            }
            "sat-pruebas" => {
                for c in TrustAnchors::bundle(TrustBundle::Test).certificates() {
                    trust.add(c.clone());
                }
            }
            "demo" => {
                let _ = trust.extend(&[DEMO_CA_DER]);
            }
            _ => {}
        }
    }
    trust
}

/// `cabecera_cliente`: a header name, lower case, and never one of Spin's own (a client can
/// send those too); empty = none.
fn client_header(raw: &str) -> Result<Option<String>, ActError> {
    match raw.trim().to_ascii_lowercase() {
        h if h.is_empty() => Ok(None),
        h if h.starts_with("spin-")
            || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            Err(ActError::Misconfigured("cabecera_cliente"))
        }
        h => Ok(Some(h)),
    }
}

/// Every configuration problem at once, for `/api/v1/salud`: the mode in force (`None` when
/// `modo` itself is invalid) and the variables that would make a request answer 503
/// `CONFIGURACION_INVALIDA`. The secrets are checked, never reported.
pub fn diagnose(raw: &RawConfig, secrets: &Secrets<'_>) -> Diagnosis {
    let mode = Mode::parse(&raw.modo);
    let rules = mode.unwrap_or(Mode::Produccion);
    let mut problems = Vec::new();
    if mode.is_none() {
        problems.push("modo");
    }
    if trust_names(&raw.confianza_efirma, rules).is_err() {
        problems.push("confianza_efirma");
    }
    if crate::limits::Limits::parse(&raw.limites).is_err() {
        problems.push("limites");
    }
    if client_header(&raw.cabecera_cliente).is_err() {
        problems.push("cabecera_cliente");
    }
    // Demo mode generates a missing secret; a configured one must be valid in every mode.
    let generated = |v: &str| rules == Mode::Demo && v.trim().is_empty();
    for (variable, value) in [
        ("clave_sesion", secrets.clave_sesion),
        ("clave_contrasena", secrets.clave_contrasena),
    ] {
        if !generated(value) && crate::secret::configured(variable, value).is_err() {
            problems.push(variable);
        }
    }
    let llave_sello = secrets.llave_sello;
    if !generated(llave_sello) && crate::seal::ServiceSeal::from_pem(llave_sello).is_err() {
        problems.push("llave_sello");
    }
    Diagnosis { mode, problems }
}

/// The secret variables as read (empty string = unset), for [`diagnose`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Secrets<'a> {
    pub clave_sesion: &'a str,
    pub clave_contrasena: &'a str,
    pub llave_sello: &'a str,
}

/// The answer of [`diagnose`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub mode: Option<Mode>,
    /// Names of the variables that are missing or invalid.
    pub problems: Vec<&'static str>,
}

/// A demo-mode secret generated on first use: the first request to create it wins (create-once
/// compare-and-swap); a request that loses the race waits briefly for the winner's value.
pub(crate) fn demo_secret(
    kv: &dyn avisos_kv::KeyValue,
    key: &str,
    generate: impl FnOnce() -> Result<Vec<u8>, ActError>,
) -> Result<Vec<u8>, ActError> {
    if let Some(existing) = kv.get(key)? {
        return Ok(existing);
    }
    let value = generate()?;
    if kv.compare_and_swap(key, None, &value)? {
        return Ok(value);
    }
    for _ in 0..50 {
        if let Some(existing) = kv.get(key)? {
            return Ok(existing);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Err(ActError::Store(avisos_kv::KvError::Unavailable(
        "the demo secret could not be stored".into(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(modo: &str, confianza: &str) -> RawConfig {
        RawConfig {
            modo: modo.into(),
            confianza_efirma: confianza.into(),
            efirma_revocados: "90001000000100000009, 30001000000400002300".into(),
            analistas: "aigl850215qr5".into(),
            ..RawConfig::default()
        }
    }

    #[test]
    fn the_client_address_comes_from_spin_or_from_the_trusted_proxy() {
        let req = |name: &str| match name {
            "x-forwarded-for" => Some("6.6.6.6, 203.0.113.9"),
            "spin-client-addr" => Some("10.0.0.5:41000"),
            _ => None,
        };
        let spin_only = ServiceConfig::from_raw(&raw("demo", "demo")).unwrap();
        assert_eq!(spin_only.client_address(req), "10.0.0.5");
        let behind_proxy = ServiceConfig::from_raw(&RawConfig {
            cabecera_cliente: "X-Forwarded-For".into(),
            ..raw("demo", "demo")
        })
        .unwrap();
        assert_eq!(
            behind_proxy.client_address(req),
            "203.0.113.9",
            "the address the proxy appended, not the client's own"
        );
        let no_header = |name: &str| (name == "spin-client-addr").then_some("10.0.0.5:41000");
        assert_eq!(behind_proxy.client_address(no_header), "10.0.0.5");
        for bad in ["spin-client-addr", "x forwarded", "x_forwarded"] {
            let e = ServiceConfig::from_raw(&RawConfig {
                cabecera_cliente: bad.into(),
                ..raw("demo", "demo")
            })
            .unwrap_err();
            assert_eq!(e.codigo(), "CONFIGURACION_INVALIDA", "{bad}");
        }
    }

    #[test]
    fn demo_trusts_demo_and_sat_test() {
        let c = ServiceConfig::from_raw(&raw("demo", "sat-pruebas,demo")).unwrap();
        assert_eq!(c.mode, Mode::Demo);
        // Nothing parsed until a verification asks for the anchors.
        assert!(c.trust.get().is_none());
        let demo = efirma::Certificate::parse(DEMO_CA_DER).unwrap();
        assert!(c.trust().contains(&demo.fingerprint_sha256()));
        assert!(c.trust().len() > 1);
        assert!(c.revocations.contains("30001000000400002300"));
        assert!(c.is_analyst("AIGL850215QR5"));
        assert!(!c.is_analyst("EDE200101AB0"));
    }

    #[test]
    fn analysts_need_the_role_and_the_list() {
        let c = ServiceConfig::from_raw(&raw("demo", "demo")).unwrap();
        let session = |rfc: &str, rol: Role| Session {
            rfc: rfc.into(),
            rol,
            nombre: String::new(),
            emitida: chrono::DateTime::UNIX_EPOCH,
            expira: chrono::DateTime::UNIX_EPOCH,
            sid: String::new(),
        };
        assert!(
            c.require_analyst(&session("AIGL850215QR5", Role::Analista))
                .is_ok()
        );
        for (rfc, rol) in [
            ("AIGL850215QR5", Role::Patron),
            ("EDE200101AB0", Role::Analista),
        ] {
            let e = c.require_analyst(&session(rfc, rol)).unwrap_err();
            assert_eq!(e.codigo(), "ROL_NO_PERMITIDO", "{rfc}");
        }
    }

    #[test]
    fn production_refuses_demo_and_test_authorities() {
        for confianza in ["demo", "sat-pruebas", "sat-produccion,demo"] {
            let e = ServiceConfig::from_raw(&raw("produccion", confianza)).unwrap_err();
            assert_eq!(e.codigo(), "CONFIGURACION_INVALIDA", "{confianza}");
        }
        let c = ServiceConfig::from_raw(&raw("produccion", "sat-produccion")).unwrap();
        let demo = efirma::Certificate::parse(DEMO_CA_DER).unwrap();
        assert!(!c.trust().contains(&demo.fingerprint_sha256()));
    }

    #[test]
    fn unknown_mode_or_bundle_is_a_configuration_error() {
        assert!(ServiceConfig::from_raw(&raw("staging", "demo")).is_err());
        assert!(ServiceConfig::from_raw(&raw("demo", "otro")).is_err());
    }

    #[test]
    fn an_unset_mode_runs_the_production_rules() {
        let demo = efirma::Certificate::parse(DEMO_CA_DER).unwrap();
        // Nothing set at all: SAT's production authorities, no analyst.
        let c = ServiceConfig::from_raw(&RawConfig::default()).unwrap();
        assert_eq!(c.mode, Mode::Produccion);
        assert_eq!(c.trust_names, ["sat-produccion"]);
        assert!(!c.trust().contains(&demo.fingerprint_sha256()));
        assert!(c.analysts.is_empty());
        assert!(!c.is_analyst(DEMO_ANALYST));
        // Asking an unset mode for the demo authority is refused like production's.
        for confianza in ["demo", "sat-pruebas"] {
            let e = ServiceConfig::from_raw(&raw("", confianza)).unwrap_err();
            assert_eq!(e.codigo(), "CONFIGURACION_INVALIDA");
        }
        for modo in ["", " ", "PRODUCCION", "producción"] {
            assert_eq!(Mode::parse(modo), Some(Mode::Produccion), "{modo:?}");
        }
        assert_eq!(Mode::parse(" Demo "), Some(Mode::Demo));
        assert_eq!(Mode::parse("pruebas"), None);
    }

    #[test]
    fn demo_mode_asked_for_has_the_demo_defaults() {
        let c = ServiceConfig::from_raw(&RawConfig {
            modo: "demo".into(),
            ..RawConfig::default()
        })
        .unwrap();
        assert_eq!(c.trust_names, ["demo", "sat-pruebas"]);
        assert!(c.is_analyst(DEMO_ANALYST));
        // An explicit list replaces the demo analyst.
        let c = ServiceConfig::from_raw(&RawConfig {
            modo: "demo".into(),
            analistas: "EDE200101AB0".into(),
            ..RawConfig::default()
        })
        .unwrap();
        assert!(!c.is_analyst(DEMO_ANALYST));
    }

    #[test]
    fn diagnose_lists_every_problem_and_never_a_secret() {
        const SEAL: &str = include_str!("../testdata/sello-pruebas.pem");
        const KEY: &str = "clave-de-sesion-solo-para-pruebas-0123456789";
        let none = Secrets::default();
        let all = Secrets {
            clave_sesion: KEY,
            clave_contrasena: KEY,
            llave_sello: SEAL,
        };
        // Production with nothing configured: every secret missing.
        let d = diagnose(&RawConfig::default(), &none);
        assert_eq!(d.mode, Some(Mode::Produccion));
        assert_eq!(
            d.problems,
            ["clave_sesion", "clave_contrasena", "llave_sello"]
        );
        // Production, complete.
        assert_eq!(diagnose(&RawConfig::default(), &all).problems, [""; 0]);
        // Demo generates missing secrets, but a configured one must still be valid.
        let demo = raw("demo", "");
        assert!(diagnose(&demo, &none).problems.is_empty());
        let wrong = Secrets {
            clave_sesion: "corta",
            clave_contrasena: "corta",
            llave_sello: "no es pem",
        };
        assert_eq!(
            diagnose(&demo, &wrong).problems,
            ["clave_sesion", "clave_contrasena", "llave_sello"]
        );
        // Everything wrong at once, each named once.
        let bad = RawConfig {
            modo: "pruebas".into(),
            confianza_efirma: "demo".into(),
            limites: "actos=muchos".into(),
            cabecera_cliente: "spin-client-addr".into(),
            ..RawConfig::default()
        };
        let d = diagnose(&bad, &all);
        assert_eq!(d.mode, None);
        assert_eq!(
            d.problems,
            ["modo", "confianza_efirma", "limites", "cabecera_cliente"]
        );
    }
}
