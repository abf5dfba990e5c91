//! Rate limits, checked before any expensive work (RSA verification, Argon2id, writes).
//!
//! Fixed windows: the counter `limite:<bucket>:<subject>:<window>` counts the requests of one
//! subject (an RFC, or a client address) in one window of `ventana` seconds. Every request
//! increments it atomically first (so concurrent requests on any number of hosts cannot slip
//! past the limit) and is refused with 429, `Retry-After` (the rest of the window) and a Spanish
//! message once the count exceeds the maximum. The request that creates a window's counter
//! registers it to expire when the window ends (`avisos_kv::expiring`), so counters of subjects
//! that never come back (client addresses, RFC + client pairs chosen by anyone) do not pile up.
//!
//! Buckets and defaults (Spin variable `limites`, e.g. `actos=60/60,sesiones=10/60`; missing
//! entries keep their default):
//!
//! | bucket | subject | default | counted in |
//! | --- | --- | --- | --- |
//! | `actos_cliente` | client address | 600 per 60 s | [`crate::verify_signed_act`], every signed act and login, before any RSA work |
//! | `firmas_fallidas` | RFC + client address | 10 per 60 s | [`crate::verify_signed_act`]: refusals of the e.firma or signature; once over, that client is refused for that RFC before any RSA work, and a refusal counted over the limit (a burst already past the check) is answered 429 |
//! | `actos` | signer's RFC | 60 per 60 s | [`crate::verify_signed_act`], every act but the login, once its signature verified |
//! | `sesiones` | signer's RFC | 10 per 60 s | [`crate::verify_signed_act`] of `INICIO_SESION`, once its signature verified |
//! | `nonces` | RFC asked for + client address | 120 per 60 s | the nonce endpoint (unauthenticated, writes a key) |
//! | `nonces_cliente` | client address | 600 per 60 s | the nonce endpoint |
//! | `tablas` | session's RFC | 60 per 60 s | the relations table and «Exportar tabla» (up to 10,000 and 20,000 rows read each) |
//! | `consultas` | session's RFC | 300 per 60 s | avisos consultations (each writes to the employer's audit) |
//! | `bitacora` | session's RFC | 60 per 60 s | the employer's audit of consultations |
//! | `directorio` | session's RFC | 120 per 60 s | the directory search |
//! | `evidencias` | session's RFC | 10 per 60 s | evidence uploads (a 5 MiB workbook read and graded each) |
//! | `descargas` | session's RFC | 60 per 60 s | downloads: acuses, test sets, stored evidence, the acuse de cancelación |
//! | `lecturas_cliente` | client address | 1200 per 60 s | every read above and the relations table, before the session is checked |
//!
//! **Nothing is charged to an RFC before a signature by that RFC has verified**: RFCs are public
//! (every CFDI prints them), so a third party sending junk in someone's name is charged to its
//! own client address (and to the pair RFC + its address), never to the RFC, whose owner can
//! log in from anywhere else at once. The client address is the `spin-client-addr` value Spin
//! appends (the last one; a client's own is ignored, see `avisos_spin::read_head`).
//!
//! Reads that cost or write (the buckets from `tablas` on) are charged to the client address
//! in `lecturas_cliente` before the session is checked (so a request with a bad or no token
//! pays too), then to the session's RFC, which the session proves (it was opened by a verified
//! signature): `avisos_portal::Env::limited_read`.

use crate::ActError;
use avisos_kv::{KeyValue, expiring};
use chrono::{DateTime, Utc};

/// At most `max` requests per `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window_seconds: i64,
}

impl Limit {
    pub const fn new(max: i64, window_seconds: i64) -> Self {
        Self {
            max,
            window_seconds,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Actos,
    Sesiones,
    ActosCliente,
    FirmasFallidas,
    Nonces,
    NoncesCliente,
    Tablas,
    Consultas,
    Bitacora,
    Directorio,
    Evidencias,
    Descargas,
    LecturasCliente,
}

impl Bucket {
    pub const ALL: [Bucket; 13] = [
        Bucket::Actos,
        Bucket::Sesiones,
        Bucket::ActosCliente,
        Bucket::FirmasFallidas,
        Bucket::Nonces,
        Bucket::NoncesCliente,
        Bucket::Tablas,
        Bucket::Consultas,
        Bucket::Bitacora,
        Bucket::Directorio,
        Bucket::Evidencias,
        Bucket::Descargas,
        Bucket::LecturasCliente,
    ];

    /// The name used in the `limites` variable and in counter keys.
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Actos => "actos",
            Bucket::Sesiones => "sesiones",
            Bucket::ActosCliente => "actos_cliente",
            Bucket::FirmasFallidas => "firmas_fallidas",
            Bucket::Nonces => "nonces",
            Bucket::NoncesCliente => "nonces_cliente",
            Bucket::Tablas => "tablas",
            Bucket::Consultas => "consultas",
            Bucket::Bitacora => "bitacora",
            Bucket::Directorio => "directorio",
            Bucket::Evidencias => "evidencias",
            Bucket::Descargas => "descargas",
            Bucket::LecturasCliente => "lecturas_cliente",
        }
    }

    /// What is limited, for messages.
    fn what(self) -> &'static str {
        match self {
            Bucket::Actos => "actos firmados por RFC",
            Bucket::Sesiones => "inicios de sesión por RFC",
            Bucket::ActosCliente => "actos firmados o inicios de sesión por equipo cliente",
            Bucket::FirmasFallidas => {
                "firmas o e.firmas rechazadas por RFC desde un mismo equipo cliente"
            }
            Bucket::Nonces => "nonces por RFC desde un mismo equipo cliente",
            Bucket::NoncesCliente => "nonces por equipo cliente",
            Bucket::Tablas => "consultas de la tabla de relaciones o exportaciones por RFC",
            Bucket::Consultas => "consultas de avisos por RFC",
            Bucket::Bitacora => "consultas de la bitácora por RFC",
            Bucket::Directorio => "búsquedas en el directorio de desarrolladores por RFC",
            Bucket::Evidencias => "envíos de evidencias por RFC",
            Bucket::Descargas => "descargas de acuses, sets de pruebas o evidencias por RFC",
            Bucket::LecturasCliente => {
                "consultas, búsquedas, descargas o envíos por equipo cliente"
            }
        }
    }
}

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub actos: Limit,
    pub sesiones: Limit,
    pub actos_cliente: Limit,
    pub firmas_fallidas: Limit,
    pub nonces: Limit,
    pub nonces_cliente: Limit,
    pub tablas: Limit,
    pub consultas: Limit,
    pub bitacora: Limit,
    pub directorio: Limit,
    pub evidencias: Limit,
    pub descargas: Limit,
    pub lecturas_cliente: Limit,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            actos: Limit::new(60, 60),
            sesiones: Limit::new(10, 60),
            actos_cliente: Limit::new(600, 60),
            firmas_fallidas: Limit::new(10, 60),
            nonces: Limit::new(120, 60),
            nonces_cliente: Limit::new(600, 60),
            tablas: Limit::new(60, 60),
            consultas: Limit::new(300, 60),
            bitacora: Limit::new(60, 60),
            directorio: Limit::new(120, 60),
            evidencias: Limit::new(10, 60),
            descargas: Limit::new(60, 60),
            lecturas_cliente: Limit::new(1200, 60),
        }
    }
}

impl Limits {
    /// Parses the `limites` variable: `bucket=max/seconds` entries separated by commas,
    /// semicolons or spaces; empty = defaults. Anything else is a configuration error.
    pub fn parse(s: &str) -> Result<Limits, ActError> {
        let mut limits = Limits::default();
        for entry in s
            .split([',', ';', '\n', ' '])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let bad = || ActError::Misconfigured("limites");
            let (name, value) = entry.split_once('=').ok_or_else(bad)?;
            let (max, window) = value.split_once('/').ok_or_else(bad)?;
            let max: i64 = max.trim().parse().map_err(|_| bad())?;
            let window: i64 = window.trim().parse().map_err(|_| bad())?;
            if max < 1 || !(1..=86_400).contains(&window) {
                return Err(bad());
            }
            let bucket = Bucket::ALL
                .into_iter()
                .find(|b| b.name() == name.trim())
                .ok_or_else(bad)?;
            *limits.get_mut(bucket) = Limit::new(max, window);
        }
        Ok(limits)
    }

    pub fn get(&self, bucket: Bucket) -> Limit {
        match bucket {
            Bucket::Actos => self.actos,
            Bucket::Sesiones => self.sesiones,
            Bucket::ActosCliente => self.actos_cliente,
            Bucket::FirmasFallidas => self.firmas_fallidas,
            Bucket::Nonces => self.nonces,
            Bucket::NoncesCliente => self.nonces_cliente,
            Bucket::Tablas => self.tablas,
            Bucket::Consultas => self.consultas,
            Bucket::Bitacora => self.bitacora,
            Bucket::Directorio => self.directorio,
            Bucket::Evidencias => self.evidencias,
            Bucket::Descargas => self.descargas,
            Bucket::LecturasCliente => self.lecturas_cliente,
        }
    }

    fn get_mut(&mut self, bucket: Bucket) -> &mut Limit {
        match bucket {
            Bucket::Actos => &mut self.actos,
            Bucket::Sesiones => &mut self.sesiones,
            Bucket::ActosCliente => &mut self.actos_cliente,
            Bucket::FirmasFallidas => &mut self.firmas_fallidas,
            Bucket::Nonces => &mut self.nonces,
            Bucket::NoncesCliente => &mut self.nonces_cliente,
            Bucket::Tablas => &mut self.tablas,
            Bucket::Consultas => &mut self.consultas,
            Bucket::Bitacora => &mut self.bitacora,
            Bucket::Directorio => &mut self.directorio,
            Bucket::Evidencias => &mut self.evidencias,
            Bucket::Descargas => &mut self.descargas,
            Bucket::LecturasCliente => &mut self.lecturas_cliente,
        }
    }

    /// Counts one request of `subject` in `bucket`; 429 once over the limit.
    pub fn admit(
        &self,
        kv: &dyn KeyValue,
        bucket: Bucket,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ActError> {
        let (limit, window, key) = self.window(bucket, subject, now);
        let n = kv.increment(&key(window), 1)?;
        if n == 1 {
            // Best effort: an unregistered counter is one leftover key, the request goes on.
            let ends = (window + 1) * limit.window_seconds;
            let _ = expiring::expire(kv, &[&key(window)], ends, now.timestamp());
        }
        if n <= limit.max {
            return Ok(());
        }
        Err(self.refusal(bucket, limit, window, now))
    }

    /// Refuses when `subject` already used up `bucket` in this window, without counting
    /// (nor writing anything when it has no count yet).
    pub fn check(
        &self,
        kv: &dyn KeyValue,
        bucket: Bucket,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ActError> {
        let (limit, window, key) = self.window(bucket, subject, now);
        if !kv.exists(&key(window))? {
            return Ok(());
        }
        // Counters are read with a zero increment (their encoding is the store's).
        if kv.increment(&key(window), 0)? < limit.max {
            return Ok(());
        }
        Err(self.refusal(bucket, limit, window, now))
    }

    fn window(
        &self,
        bucket: Bucket,
        subject: &str,
        now: DateTime<Utc>,
    ) -> (Limit, i64, impl Fn(i64) -> String) {
        let limit = self.get(bucket);
        let window = now.timestamp().div_euclid(limit.window_seconds);
        let subject = subject.trim().to_uppercase();
        let name = bucket.name();
        (limit, window, move |w: i64| {
            format!("limite:{name}:{subject}:{w}")
        })
    }

    fn refusal(&self, bucket: Bucket, limit: Limit, window: i64, now: DateTime<Utc>) -> ActError {
        let t = now.timestamp();
        let retry = ((window + 1) * limit.window_seconds - t).max(1);
        ActError::RateLimited {
            max: limit.max,
            what: bucket.what(),
            window_seconds: limit.window_seconds,
            retry_after: u32::try_from(retry).unwrap_or(u32::MAX),
        }
    }
}

/// The client address of a request that came with none.
pub const UNKNOWN_CLIENT: &str = "sin-direccion";

/// The subject of a per-(RFC, client) bucket.
pub fn rfc_and_client(rfc: &str, client: &str) -> String {
    format!("{}|{client}", rfc.trim().to_uppercase())
}

/// The client's address from Spin's `spin-client-addr` header (`ip:port`), without the port.
pub fn client_address(header: Option<&str>) -> Option<String> {
    let value = header?.trim();
    if value.is_empty() {
        return None;
    }
    let addr = match value.parse::<std::net::SocketAddr>() {
        Ok(sa) => sa.ip().to_string(),
        Err(_) => value.to_string(),
    };
    Some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(Limits::parse("").unwrap(), Limits::default());
        let l = Limits::parse("actos=5/10; sesiones=2/60 nonces_cliente=1/1").unwrap();
        assert_eq!(l.actos, Limit::new(5, 10));
        assert_eq!(l.sesiones, Limit::new(2, 60));
        assert_eq!(l.nonces, Limits::default().nonces);
        assert_eq!(l.nonces_cliente, Limit::new(1, 1));
        for bad in [
            "actos",
            "actos=5",
            "actos=x/10",
            "actos=0/10",
            "actos=5/0",
            "otros=1/1",
        ] {
            let e = Limits::parse(bad).unwrap_err();
            assert_eq!(e.codigo(), "CONFIGURACION_INVALIDA", "{bad}");
        }
    }

    #[test]
    fn every_bucket_is_configurable_by_its_own_name() {
        let spec: Vec<String> = Bucket::ALL
            .iter()
            .enumerate()
            .map(|(i, b)| format!("{}={}/{}", b.name(), i + 1, 100 + i))
            .collect();
        let limits = Limits::parse(&spec.join(",")).unwrap();
        for (i, b) in Bucket::ALL.into_iter().enumerate() {
            assert_eq!(
                limits.get(b),
                Limit::new(i as i64 + 1, 100 + i as i64),
                "{b:?}"
            );
        }
        let mut names: Vec<&str> = Bucket::ALL.iter().map(|b| b.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Bucket::ALL.len(), "names are distinct");
    }

    #[test]
    fn reads_that_cost_have_defaults_and_their_own_messages() {
        let d = Limits::default();
        assert_eq!(d.consultas, Limit::new(300, 60));
        assert_eq!(d.bitacora, Limit::new(60, 60));
        assert_eq!(d.directorio, Limit::new(120, 60));
        assert_eq!(d.evidencias, Limit::new(10, 60));
        assert_eq!(d.descargas, Limit::new(60, 60));
        assert_eq!(d.lecturas_cliente, Limit::new(1200, 60));
        let l = Limits::parse("consultas=2/60,lecturas_cliente=9/30").unwrap();
        assert_eq!(l.consultas, Limit::new(2, 60));
        assert_eq!(l.lecturas_cliente, Limit::new(9, 30));
        assert_eq!(l.bitacora, d.bitacora);
        let kv = MemoryKv::new();
        let now = at("2026-11-23T18:00:00Z");
        for _ in 0..2 {
            l.admit(&kv, Bucket::Consultas, "NDE190512XY6", now)
                .unwrap();
        }
        let e = l
            .admit(&kv, Bucket::Consultas, "NDE190512XY6", now)
            .unwrap_err();
        assert!(matches!(
            e,
            ActError::RateLimited {
                retry_after: 60,
                ..
            }
        ));
        assert!(
            e.mensaje().contains("2 consultas de avisos por RFC"),
            "{}",
            e.mensaje()
        );
        // The client's reads are a bucket of their own.
        l.admit(&kv, Bucket::LecturasCliente, "NDE190512XY6", now)
            .unwrap();
    }

    #[test]
    fn the_limit_holds_per_subject_and_window() {
        let kv = MemoryKv::new();
        let limits = Limits::parse("actos=3/60").unwrap();
        let now = at("2026-11-23T18:00:45Z");
        for _ in 0..3 {
            limits
                .admit(&kv, Bucket::Actos, "EDE200101AB0", now)
                .unwrap();
        }
        let e = limits
            .admit(&kv, Bucket::Actos, "ede200101ab0", now)
            .unwrap_err();
        assert_eq!(e.codigo(), "LIMITE_EXCEDIDO");
        assert!(
            matches!(
                e,
                ActError::RateLimited {
                    retry_after: 15,
                    ..
                }
            ),
            "the rest of the window"
        );
        assert!(
            e.mensaje()
                .contains("3 actos firmados por RFC cada 60 segundos")
        );
        // Another RFC and another bucket are unaffected.
        limits
            .admit(&kv, Bucket::Actos, "DELP900303MN5", now)
            .unwrap();
        limits
            .admit(&kv, Bucket::Sesiones, "EDE200101AB0", now)
            .unwrap();
        // The next window starts clean.
        let later = at("2026-11-23T18:01:00Z");
        limits
            .admit(&kv, Bucket::Actos, "EDE200101AB0", later)
            .unwrap();
        // Once the old window is past its expiry's grace, later requests (of anyone) sweep
        // its counter away: a subject that never comes back leaves nothing behind.
        let old = format!("limite:actos:EDE200101AB0:{}", now.timestamp() / 60);
        assert!(kv.exists(&old).unwrap());
        let much_later = later + chrono::Duration::minutes(10);
        for i in 0..4 {
            limits
                .admit(&kv, Bucket::Actos, &format!("OTRO{i}"), much_later)
                .unwrap();
        }
        assert!(!kv.exists(&old).unwrap());
    }

    #[test]
    fn check_refuses_a_used_up_bucket_without_counting_or_writing() {
        let kv = MemoryKv::new();
        let limits = Limits::parse("firmas_fallidas=2/60").unwrap();
        let now = at("2026-11-23T18:00:45Z");
        let pair = rfc_and_client("ede200101ab0", "10.0.0.1");
        limits
            .check(&kv, Bucket::FirmasFallidas, &pair, now)
            .unwrap();
        assert!(kv.is_empty(), "a check writes nothing");
        for _ in 0..2 {
            limits
                .check(&kv, Bucket::FirmasFallidas, &pair, now)
                .unwrap();
            limits
                .admit(&kv, Bucket::FirmasFallidas, &pair, now)
                .unwrap();
        }
        let e = limits
            .check(&kv, Bucket::FirmasFallidas, &pair, now)
            .unwrap_err();
        assert_eq!(e.codigo(), "LIMITE_EXCEDIDO");
        assert!(
            e.mensaje().contains("desde un mismo equipo cliente"),
            "{}",
            e.mensaje()
        );
        // The same RFC from another client is not affected.
        let other = rfc_and_client("EDE200101AB0", "10.0.0.2");
        limits
            .check(&kv, Bucket::FirmasFallidas, &other, now)
            .unwrap();
    }

    #[test]
    fn concurrent_requests_cannot_exceed_the_limit() {
        let kv = std::sync::Arc::new(MemoryKv::new());
        let limits = Limits::parse("nonces=50/60").unwrap();
        let now = at("2026-11-23T18:00:00Z");
        let admitted: usize = (0..8)
            .map(|_| {
                let kv = kv.clone();
                std::thread::spawn(move || {
                    (0..20)
                        .filter(|_| limits.admit(&*kv, Bucket::Nonces, "X", now).is_ok())
                        .count()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .sum();
        assert_eq!(admitted, 50);
    }

    #[test]
    fn an_unavailable_store_is_503_not_a_free_pass() {
        let kv = MemoryKv::new();
        kv.set_failing(true);
        let e = Limits::default()
            .admit(&kv, Bucket::Actos, "X", at("2026-11-23T18:00:00Z"))
            .unwrap_err();
        assert!(matches!(e, ActError::Store(_)), "{e:?}");
    }

    #[test]
    fn client_addresses_drop_the_port() {
        assert_eq!(
            client_address(Some("127.0.0.1:5555")).as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(client_address(Some("[::1]:80")).as_deref(), Some("::1"));
        assert_eq!(client_address(Some("")), None);
        assert_eq!(client_address(None), None);
    }
}
