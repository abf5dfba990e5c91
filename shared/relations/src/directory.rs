//! Directorio de desarrolladores certificados: who an employer may choose.
//!
//! The truth about a developer is its record `desarrollador:<RFC>` ([`Developer`]); only status
//! *Certificación autorizada* lets an employer add a relation with it ([`require_certified`]).
//! The certification workflow (`avisos-certification`) calls [`set_status`] when the developer
//! signs the approval (authorised) or cancels (cancelled); analysts can also set it directly with
//! the administrative act `REGISTRAR_DESARROLLADOR` ([`register`]).
//!
//! Search (by RFC or name, prefix, case- and accent-insensitive, see [`crate::text::fold`]) reads
//! one small **prefix bucket** `directorio:prefijo:<first two folded characters>` that lists the
//! authorised developers having a token with that beginning. A developer's tokens are its RFC,
//! its whole name, and every word of its name of three or more characters except legal-form
//! words and connectors ([`STOP_WORDS`]). A query matches when it is a prefix of the RFC, of the
//! name, or of the name from any word on (`nomina demo` finds «SISTEMAS DE NOMINA DEMO SC»).
//! A developer is in a handful of buckets, a bucket holds a small share of the directory, so a
//! search is one read and a filter in memory, whatever the directory's size.
//!
//! Write order: the record first, the buckets after (compare-and-swap, retried). If a bucket
//! update fails, the search may be stale until the act is repeated, but the record decides: a
//! stale entry can never let a relation be added with an uncertified developer.

use avisos_acts::acuse::{self, Dato};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::{VerifiedAct, folio};
use avisos_http::ApiError;
use avisos_kv::{KeyValue, KeyValueJson};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::text;

/// Characters of the bucket key.
pub const BUCKET_CHARS: usize = 2;
/// Results per search.
pub const MAX_RESULTS: usize = 20;
/// Longest accepted razón social (SAT allows 254).
pub const MAX_NAME_CHARS: usize = 254;
/// Words not indexed on their own (the whole name and the RFC always are).
pub const STOP_WORDS: &[&str] = &["SAB", "SAPI", "DEL", "LAS", "LOS", "CIA", "SOC", "COOP"];
/// Bounded retries of a bucket's compare-and-swap under contention.
const CAS_ATTEMPTS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertStatus {
    #[serde(rename = "Certificación autorizada")]
    Autorizada,
    #[serde(rename = "Certificación cancelada")]
    Cancelada,
}

impl CertStatus {
    pub fn texto(self) -> &'static str {
        match self {
            CertStatus::Autorizada => "Certificación autorizada",
            CertStatus::Cancelada => "Certificación cancelada",
        }
    }

    /// `autorizada` or `cancelada` (as sent in `datos.estatus`).
    pub fn parse(s: &str) -> Result<CertStatus, ApiError> {
        match s.trim().to_lowercase().as_str() {
            "autorizada" => Ok(CertStatus::Autorizada),
            "cancelada" => Ok(CertStatus::Cancelada),
            _ => Err(ApiError::bad_request(
                "ESTATUS_INVALIDO",
                "El estatus de la certificación debe ser «autorizada» o «cancelada».",
            )),
        }
    }
}

/// `desarrollador:<RFC>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Developer {
    pub rfc: String,
    pub razon_social: String,
    pub estatus: CertStatus,
    pub actualizado: DateTime<Utc>,
    /// Folio of the act that set the status.
    pub folio: String,
    /// RFC of whoever set it (the analyst, or the developer's own certification act).
    pub registrado_por: String,
}

/// One search result (and one bucket entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub rfc: String,
    pub razon_social: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchResult {
    pub consulta: String,
    pub resultados: Vec<SearchRow>,
    /// More matches than shown: refine the search.
    pub hay_mas: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchRow {
    pub rfc: String,
    pub razon_social: String,
    pub estatus: &'static str,
}

fn key(rfc: &str) -> String {
    format!("desarrollador:{}", rfc.to_uppercase())
}

fn bucket_key(bucket: &str) -> String {
    format!("directorio:prefijo:{bucket}")
}

/// The buckets a developer is listed in.
pub fn buckets(rfc: &str, razon_social: &str) -> Vec<String> {
    let name = text::fold(razon_social);
    let mut tokens: Vec<String> = vec![text::fold(rfc), name.clone()];
    tokens.extend(
        text::words(&name)
            .filter(|w| w.chars().count() >= 3 && !STOP_WORDS.contains(w))
            .map(str::to_string),
    );
    let mut out: Vec<String> = tokens
        .iter()
        .map(|t| text::prefix(t, BUCKET_CHARS))
        .filter(|p| p.chars().count() == BUCKET_CHARS)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether `query` (folded) matches a developer.
pub fn matches(query: &str, rfc: &str, razon_social: &str) -> bool {
    if text::fold(rfc).starts_with(query) {
        return true;
    }
    let name = text::fold(razon_social);
    // The name from each word boundary on.
    std::iter::once(0)
        .chain(name.match_indices(' ').map(|(i, _)| i + 1))
        .any(|start| name[start..].starts_with(query))
}

pub fn load(kv: &dyn KeyValue, rfc: &str) -> Result<Option<Developer>, ApiError> {
    Ok(kv.get_json(&key(rfc))?)
}

/// The developer, if its certification is authorised.
pub fn require_certified(kv: &dyn KeyValue, rfc: &str) -> Result<Developer, ApiError> {
    match load(kv, rfc)? {
        Some(d) if d.estatus == CertStatus::Autorizada => Ok(d),
        _ => Err(ApiError::new(
            409,
            "DESARROLLADOR_NO_CERTIFICADO",
            format!(
                "El desarrollador {} no se encuentra certificado: no puedes crear una relación de confianza con él.",
                rfc.to_uppercase()
            ),
        )),
    }
}

/// Searches authorised developers by RFC or name prefix.
pub fn search(kv: &dyn KeyValue, query: &str) -> Result<SearchResult, ApiError> {
    let q = text::fold(query);
    if q.chars().count() < BUCKET_CHARS {
        return Err(ApiError::bad_request(
            "BUSQUEDA_CORTA",
            "Escribe al menos dos letras o números del RFC o del nombre del desarrollador.",
        ));
    }
    let bucket: Vec<Entry> = kv
        .get_json(&bucket_key(&text::prefix(&q, BUCKET_CHARS)))?
        .unwrap_or_default();
    let mut found: Vec<&Entry> = bucket
        .iter()
        .filter(|e| matches(&q, &e.rfc, &e.razon_social))
        .collect();
    found.sort_by_cached_key(|e| (text::fold(&e.razon_social), e.rfc.clone()));
    let hay_mas = found.len() > MAX_RESULTS;
    Ok(SearchResult {
        consulta: query.trim().to_string(),
        resultados: found
            .into_iter()
            .take(MAX_RESULTS)
            .map(|e| SearchRow {
                rfc: e.rfc.clone(),
                razon_social: e.razon_social.clone(),
                estatus: CertStatus::Autorizada.texto(),
            })
            .collect(),
        hay_mas,
    })
}

/// Applies `change` to a bucket with compare-and-swap, retrying under contention.
fn update_bucket(
    kv: &dyn KeyValue,
    bucket: &str,
    change: impl Fn(&mut Vec<Entry>),
) -> Result<(), ApiError> {
    let k = bucket_key(bucket);
    for _ in 0..CAS_ATTEMPTS {
        let before = kv.get(&k)?;
        let mut entries: Vec<Entry> = match &before {
            None => Vec::new(),
            Some(b) => serde_json::from_slice(b)
                .map_err(|_| ApiError::internal("corrupt directory bucket"))?,
        };
        change(&mut entries);
        let after = serde_json::to_vec(&entries).map_err(|e| ApiError::internal(&e.to_string()))?;
        if before.as_deref() == Some(after.as_slice()) {
            return Ok(());
        }
        if kv.compare_and_swap(&k, before.as_deref(), &after)? {
            return Ok(());
        }
    }
    Err(ApiError::new(
        503,
        "DIRECTORIO_OCUPADO",
        "El directorio se está actualizando por muchas solicitudes a la vez. Intenta de nuevo en unos segundos.",
    ))
}

/// Sets a developer's certification status (record first, then the search buckets).
pub fn set_status(kv: &dyn KeyValue, developer: Developer) -> Result<Developer, ApiError> {
    let previous = load(kv, &developer.rfc)?;
    kv.set_json(&key(&developer.rfc), &developer)?;
    let new_buckets = if developer.estatus == CertStatus::Autorizada {
        buckets(&developer.rfc, &developer.razon_social)
    } else {
        Vec::new()
    };
    // Leave the buckets of an earlier name (or all of them, once cancelled).
    if let Some(p) = &previous {
        for b in buckets(&p.rfc, &p.razon_social) {
            if !new_buckets.contains(&b) {
                update_bucket(kv, &b, |entries| entries.retain(|e| e.rfc != developer.rfc))?;
            }
        }
    }
    let entry = Entry {
        rfc: developer.rfc.clone(),
        razon_social: developer.razon_social.clone(),
    };
    for b in &new_buckets {
        update_bucket(kv, b, |entries| {
            entries.retain(|e| e.rfc != entry.rfc);
            let at = entries.partition_point(|e| e.rfc < entry.rfc);
            entries.insert(at, entry.clone());
        })?;
    }
    Ok(developer)
}

/// The data of `REGISTRAR_DESARROLLADOR`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub rfc: String,
    pub razon_social: String,
    pub estatus: CertStatus,
}

impl Registration {
    /// From the act's fields `rfc_desarrollador`, `razon_social`, `estatus`.
    pub fn parse(
        rfc: &str,
        razon_social: &str,
        estatus: &str,
        mode: avisos_acts::Mode,
    ) -> Result<Registration, ApiError> {
        let rfc = avisos_acts::act::validate_actor_rfc(rfc, mode)?;
        let razon_social = text::clean_name(razon_social, MAX_NAME_CHARS).ok_or_else(|| {
            ApiError::bad_request(
                "RAZON_SOCIAL_INVALIDA",
                format!(
                    "La razón social es obligatoria, de hasta {MAX_NAME_CHARS} caracteres y sin caracteres de control."
                ),
            )
        })?;
        Ok(Registration {
            rfc,
            razon_social,
            estatus: CertStatus::parse(estatus)?,
        })
    }
}

/// `REGISTRAR_DESARROLLADOR` (analysts): sets a developer's status, with its acuse.
pub fn register(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    registration: &Registration,
    now: DateTime<Utc>,
) -> Result<crate::relation::Registered, ApiError> {
    let folio = folio::allocate(kv)?;
    let record = acuse::issue(
        kv,
        seal,
        act,
        &folio,
        "Registro de Desarrollador Certificado",
        vec![
            Dato::new("RFC del desarrollador", &registration.rfc),
            Dato::new("Razón social", &registration.razon_social),
            Dato::new("Estatus", registration.estatus.texto()),
        ],
        now,
    )?;
    set_status(
        kv,
        Developer {
            rfc: registration.rfc.clone(),
            razon_social: registration.razon_social.clone(),
            estatus: registration.estatus,
            actualizado: record.fecha,
            folio: folio.clone(),
            registrado_por: record.rfc.clone(),
        },
    )?;
    Ok(crate::relation::Registered::from_acuse(&record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use avisos_acts::Mode;
    use avisos_kv::MemoryKv;

    pub(crate) fn add(kv: &dyn KeyValue, rfc: &str, name: &str, estatus: CertStatus) {
        set_status(
            kv,
            Developer {
                rfc: rfc.into(),
                razon_social: name.into(),
                estatus,
                actualizado: t0(),
                folio: "0500000001".into(),
                registrado_por: ANALISTA.into(),
            },
        )
        .unwrap();
    }

    fn rfcs(r: &SearchResult) -> Vec<&str> {
        r.resultados.iter().map(|x| x.rfc.as_str()).collect()
    }

    #[test]
    fn buckets_of_a_developer() {
        assert_eq!(
            buckets("SDN180301K23", "Sistemas de Nómina Demo, S.C."),
            ["DE", "NO", "SD", "SI"]
        );
    }

    #[test]
    fn search_by_rfc_name_or_word_prefix_ignoring_case_and_accents() {
        let kv = MemoryKv::new();
        add(
            &kv,
            DEV,
            "NÓMINAS DEMOSTRACIÓN SA DE CV",
            CertStatus::Autorizada,
        );
        add(
            &kv,
            DEV_2,
            "SISTEMAS DE NOMINA DEMO SC",
            CertStatus::Autorizada,
        );
        add(
            &kv,
            "PME380607P35",
            "Peña Márquez Software",
            CertStatus::Autorizada,
        );
        let s = |q: &str| search(&kv, q).unwrap();
        assert_eq!(rfcs(&s("nde19")), [DEV]);
        assert_eq!(rfcs(&s("NDE190512XY6")), [DEV]);
        assert_eq!(rfcs(&s("nominas")), [DEV]);
        assert_eq!(rfcs(&s("Nóminas demostracion")), [DEV]);
        // Word prefix: both names have a word starting with NOMINA; sorted by name.
        assert_eq!(rfcs(&s("nomina")), [DEV, DEV_2]);
        assert_eq!(rfcs(&s("nomina demo")), [DEV_2]);
        assert_eq!(rfcs(&s("pena")), ["PME380607P35"]);
        assert_eq!(rfcs(&s("MARQUEZ")), ["PME380607P35"]);
        assert!(s("zz").resultados.is_empty());
        assert!(s("software x").resultados.is_empty());
        assert_eq!(
            s("nomina").resultados[0].estatus,
            "Certificación autorizada"
        );
        assert_eq!(search(&kv, "n").unwrap_err().codigo, "BUSQUEDA_CORTA");
        assert_eq!(search(&kv, " ¿? ").unwrap_err().codigo, "BUSQUEDA_CORTA");
    }

    #[test]
    fn only_authorised_developers_appear_and_can_be_chosen() {
        let kv = MemoryKv::new();
        add(
            &kv,
            DEV,
            "NOMINAS DEMOSTRACION SA DE CV",
            CertStatus::Autorizada,
        );
        add(
            &kv,
            DEV_2,
            "SISTEMAS DE NOMINA DEMO SC",
            CertStatus::Cancelada,
        );
        assert_eq!(rfcs(&search(&kv, "nomina").unwrap()), [DEV]);
        assert!(require_certified(&kv, DEV).is_ok());
        assert_eq!(
            require_certified(&kv, DEV_2).unwrap_err().codigo,
            "DESARROLLADOR_NO_CERTIFICADO"
        );
        assert_eq!(
            require_certified(&kv, "XYZ010101AB1").unwrap_err().codigo,
            "DESARROLLADOR_NO_CERTIFICADO"
        );
        // Cancelling removes it from every bucket; authorising again brings it back.
        add(
            &kv,
            DEV,
            "NOMINAS DEMOSTRACION SA DE CV",
            CertStatus::Cancelada,
        );
        assert!(search(&kv, "nomina").unwrap().resultados.is_empty());
        assert!(search(&kv, "NDE").unwrap().resultados.is_empty());
        add(
            &kv,
            DEV,
            "NOMINAS DEMOSTRACION SA DE CV",
            CertStatus::Autorizada,
        );
        assert_eq!(rfcs(&search(&kv, "demostracion").unwrap()), [DEV]);
    }

    #[test]
    fn renaming_moves_the_developer_between_buckets() {
        let kv = MemoryKv::new();
        add(
            &kv,
            DEV,
            "NOMINAS DEMOSTRACION SA DE CV",
            CertStatus::Autorizada,
        );
        add(&kv, DEV, "ZETA SOFTWARE SA DE CV", CertStatus::Autorizada);
        assert!(search(&kv, "nominas").unwrap().resultados.is_empty());
        let r = search(&kv, "zeta").unwrap();
        assert_eq!(r.resultados[0].razon_social, "ZETA SOFTWARE SA DE CV");
        // Still once in its RFC bucket.
        assert_eq!(search(&kv, "nde").unwrap().resultados.len(), 1);
    }

    #[test]
    fn results_are_capped() {
        let kv = MemoryKv::new();
        for i in 0..25 {
            add(
                &kv,
                &format!("AAA0101{:02}AA{}", i % 28 + 1, i % 10),
                &format!("NOMINAS {i:02}"),
                CertStatus::Autorizada,
            );
        }
        let r = search(&kv, "nominas").unwrap();
        assert_eq!(r.resultados.len(), MAX_RESULTS);
        assert!(r.hay_mas);
        assert_eq!(r.resultados[0].razon_social, "NOMINAS 00");
    }

    #[test]
    fn concurrent_registrations_all_land_in_the_shared_bucket() {
        let kv = std::sync::Arc::new(MemoryKv::new());
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let kv = kv.clone();
                std::thread::spawn(move || {
                    for i in 0..10 {
                        add(
                            &*kv,
                            &format!("BBB0101{:02}A{t}{}", i + 1, i),
                            &format!("NOMINAS HILO {t} NUM {i}"),
                            CertStatus::Autorizada,
                        );
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let bucket: Vec<Entry> = kv.get_json(&bucket_key("NO")).unwrap().unwrap();
        assert_eq!(bucket.len(), 80);
    }

    #[test]
    fn registration_act_validates_and_issues_an_acuse() {
        let kv = MemoryKv::new();
        let bad = |rfc: &str, name: &str, st: &str| {
            Registration::parse(rfc, name, st, Mode::Demo)
                .unwrap_err()
                .codigo
        };
        assert_eq!(
            bad("NDE190512XY7", "X", "autorizada"),
            "RFC_DIGITO_VERIFICADOR"
        );
        assert_eq!(bad(DEV, "  ", "autorizada"), "RAZON_SOCIAL_INVALIDA");
        assert_eq!(bad(DEV, "X", "vigente"), "ESTATUS_INVALIDO");
        let reg = Registration::parse(
            " nde190512xy6 ",
            " NOMINAS  DEMOSTRACION SA DE CV ",
            "Autorizada",
            Mode::Demo,
        )
        .unwrap();
        assert_eq!(reg.rfc, DEV);
        assert_eq!(reg.razon_social, "NOMINAS DEMOSTRACION SA DE CV");
        let act = act(
            ANALISTA,
            "REGISTRAR_DESARROLLADOR",
            &[
                ("rfc_desarrollador", DEV),
                ("razon_social", "NOMINAS DEMOSTRACION SA DE CV"),
                ("estatus", "autorizada"),
            ],
        );
        let done = register(&kv, &seal(), &act, &reg, t0()).unwrap();
        let d = load(&kv, DEV).unwrap().unwrap();
        assert_eq!(d.folio, done.folio);
        assert_eq!(d.registrado_por, ANALISTA);
        assert!(acuse_json(&kv, &done.folio).contains("Registro de Desarrollador Certificado"));
        assert_eq!(rfcs(&search(&kv, "nominas").unwrap()), [DEV]);
    }
}
