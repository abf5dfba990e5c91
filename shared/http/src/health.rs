//! `GET /api/v1/salud`: proves the wiring (the component runs, the store answers, the clock works)
//! and says which mode runs and what in the configuration would refuse requests.

use avisos_kv::KeyValue;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::{ApiError, HttpResponse};

/// Prefix of the probe keys; each check writes its own key and deletes it, so concurrent checks
/// never read each other's value and the store does not grow.
pub const PROBE_PREFIX: &str = "salud:sonda:";

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct HealthReport {
    pub estado: &'static str,
    pub version: String,
    pub almacen: StoreCheck,
    /// The mode in force and the configuration's problems.
    pub configuracion: ConfigCheck,
    /// Current instant, ISO 8601 in America/Mexico_City.
    pub hora: String,
    /// Same instant in UTC.
    pub hora_utc: String,
}

/// What `avisos_acts::config::diagnose` found, as reported.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ConfigCheck {
    /// `demo` or `produccion`; `null` when `modo` itself is invalid.
    pub modo: Option<&'static str>,
    pub valida: bool,
    /// The variables that are missing or invalid (never their values).
    pub problemas: Vec<ConfigProblem>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ConfigProblem {
    pub variable: &'static str,
    pub mensaje: String,
}

impl ConfigCheck {
    /// `modo`: the mode in force as `/api/v1/salud` names it (`None` when `modo` is invalid).
    pub fn new(modo: Option<&'static str>, problems: &[&'static str]) -> ConfigCheck {
        ConfigCheck {
            modo,
            valida: problems.is_empty(),
            problemas: problems
                .iter()
                .map(|&variable| ConfigProblem {
                    variable,
                    mensaje: format!(
                        "La variable «{variable}» falta o no es válida: las solicitudes que la \
                         usan responden 503 CONFIGURACION_INVALIDA."
                    ),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct StoreCheck {
    pub disponible: bool,
    pub detalle: String,
}

/// How far the store is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// One read (of a key nobody writes): what a load balancer's probe every few seconds
    /// needs, and it writes nothing.
    Read,
    /// `?profundo=1`: writes the current instant under a key of its own (the id must be unique
    /// per request), reads it back and deletes it, so a store that answers reads but refuses
    /// writes (full) shows too.
    Deep { probe_id: String },
}

/// Checks the store as `probe` says.
pub fn check(
    kv: &dyn KeyValue,
    now: DateTime<Utc>,
    version: &str,
    probe: &Probe,
    configuracion: ConfigCheck,
) -> HealthReport {
    let stamp = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let outcome = match probe {
        Probe::Read => kv
            .get(&format!("{PROBE_PREFIX}lectura"))
            .map(|_| Some(stamp.clone().into_bytes())),
        Probe::Deep { probe_id } => {
            let key = format!("{PROBE_PREFIX}{probe_id}");
            let read = kv.set(&key, stamp.as_bytes()).and_then(|()| kv.get(&key));
            let cleaned = kv.delete(&key);
            read.and_then(|v| cleaned.map(|()| v))
        }
    };
    let almacen = match outcome {
        Ok(Some(v)) if v == stamp.as_bytes() => StoreCheck {
            disponible: true,
            detalle: match probe {
                Probe::Read => "Lectura correcta.",
                Probe::Deep { .. } => "Escritura y lectura correctas.",
            }
            .into(),
        },
        Ok(_) => StoreCheck {
            disponible: false,
            detalle: "El valor leído no coincide con el escrito.".into(),
        },
        Err(_) => StoreCheck {
            disponible: false,
            detalle: "El almacenamiento no respondió.".into(),
        },
    };
    HealthReport {
        estado: if almacen.disponible && configuracion.valida {
            "ok"
        } else {
            "degradado"
        },
        version: version.to_string(),
        almacen,
        configuracion,
        hora: mexico_city(now),
        hora_utc: stamp,
    }
}

/// The handler: 200 when healthy, 503 (same body) when the store fails or the configuration
/// would refuse requests, so load balancers notice.
pub fn handle(
    kv: Result<&dyn KeyValue, ApiError>,
    now: DateTime<Utc>,
    version: &str,
    probe: &Probe,
    configuracion: ConfigCheck,
) -> Result<HttpResponse, ApiError> {
    let report = match kv {
        Ok(kv) => check(kv, now, version, probe, configuracion),
        Err(_) => HealthReport {
            estado: "degradado",
            version: version.to_string(),
            almacen: StoreCheck {
                disponible: false,
                detalle: "No se pudo abrir el almacenamiento.".into(),
            },
            configuracion,
            hora: mexico_city(now),
            hora_utc: now.to_rfc3339_opts(SecondsFormat::Millis, true),
        },
    };
    let status = if report.estado == "ok" { 200 } else { 503 };
    Ok(HttpResponse::json(status, &report))
}

/// Mexico City has had no daylight-saving time since October 2022: UTC−06:00 all year.
pub fn mexico_city(now: DateTime<Utc>) -> String {
    let offset = chrono::FixedOffset::west_opt(6 * 3600).expect("valid offset");
    now.with_timezone(&offset)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;
    use chrono::TimeZone;

    fn valid() -> ConfigCheck {
        ConfigCheck::new(Some("produccion"), &[])
    }

    fn deep(id: &str) -> Probe {
        Probe::Deep {
            probe_id: id.into(),
        }
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 18, 30, 0).unwrap()
    }

    #[test]
    fn healthy_store_gives_200_with_version_and_local_time() {
        let kv = MemoryKv::new();
        let r = handle(Ok(&kv), at(), "1.2.3", &deep("p1"), valid()).unwrap();
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["estado"], "ok");
        assert_eq!(v["version"], "1.2.3");
        assert_eq!(v["almacen"]["disponible"], true);
        assert_eq!(v["hora"], "2026-11-23T12:30:00-06:00");
        assert_eq!(v["hora_utc"], "2026-11-23T18:30:00.000Z");
        assert_eq!(v["configuracion"]["modo"], "produccion");
        assert_eq!(v["configuracion"]["valida"], true);
        assert!(kv.is_empty(), "the probe cleans up after itself");
        assert_eq!(v["almacen"]["detalle"], "Escritura y lectura correctas.");
    }

    /// The plain probe (load balancers, every few seconds) reads and writes nothing.
    #[test]
    fn the_plain_probe_only_reads() {
        let kv = avisos_kv::CountingKv::new(MemoryKv::new());
        let r = handle(Ok(&kv), at(), "1", &Probe::Read, valid()).unwrap();
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["almacen"]["detalle"], "Lectura correcta.");
        assert_eq!(kv.trips(), 1);
        assert!(kv.inner().is_empty());
        kv.inner().set_failing(true);
        let r = handle(Ok(&kv), at(), "1", &Probe::Read, valid()).unwrap();
        assert_eq!(r.status, 503);
    }

    #[test]
    fn failing_store_gives_503() {
        let kv = MemoryKv::new();
        kv.set_failing(true);
        let r = handle(Ok(&kv), at(), "1", &deep("p2"), valid()).unwrap();
        assert_eq!(r.status, 503);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["estado"], "degradado");
        assert_eq!(v["almacen"]["disponible"], false);
    }

    #[test]
    fn unopenable_store_gives_503() {
        let r = handle(
            Err(ApiError::store_unavailable()),
            at(),
            "1",
            &Probe::Read,
            valid(),
        )
        .unwrap();
        assert_eq!(r.status, 503);
    }

    #[test]
    fn a_configuration_problem_gives_503_naming_the_variable() {
        let kv = MemoryKv::new();
        let config = ConfigCheck::new(None, &["modo", "llave_sello"]);
        let r = handle(Ok(&kv), at(), "1", &Probe::Read, config).unwrap();
        assert_eq!(r.status, 503);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["estado"], "degradado");
        assert_eq!(v["almacen"]["disponible"], true);
        assert_eq!(v["configuracion"]["modo"], serde_json::Value::Null);
        assert_eq!(v["configuracion"]["valida"], false);
        assert_eq!(
            v["configuracion"]["problemas"][1]["variable"],
            "llave_sello"
        );
    }
}
