//! The service's API as the client uses it.

use std::time::Duration;

use avisos_acts::act::ActSpec;
use base64ct::{Base64, Encoding};
use serde_json::{Map, Value, json};

use crate::Error;

/// The role the client logs in with.
const ROL: &str = "desarrollador";
/// Waits of a whole request the service refused with `Retry-After` before giving up.
const MAX_WAITS: u32 = 5;
/// The longest wait the client accepts from `Retry-After` (a longer one ends the run).
const MAX_WAIT_SECONDS: u64 = 120;

/// The developer's e.firma, opened here.
pub struct Credencial {
    inner: efirma::Credential,
    rfc: String,
}

impl Credencial {
    /// Opens the .cer and the .key with the key's password, checking that they belong together.
    pub fn abrir(cer: &[u8], key: &[u8], contrasena: &[u8]) -> Result<Credencial, Error> {
        let inner = efirma::Credential::open(cer, key, contrasena)
            .map_err(|e| Error::Efirma(e.mensaje()))?;
        let rfc = inner
            .certificate()
            .rfc()
            .ok_or_else(|| Error::Efirma("el certificado no trae el RFC de su titular".into()))?
            .to_string();
        Ok(Credencial { inner, rfc })
    }

    pub fn rfc(&self) -> &str {
        &self.rfc
    }
}

/// One consultation's outcome inside a batch's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Resultado {
    pub rfc_patron: String,
    pub estatus: u16,
    /// With `estatus` 200: the consultation's answer.
    pub respuesta: Option<Value>,
    /// Otherwise: `codigo`, `mensaje` and, when the service says when to ask again, the seconds.
    pub error: Option<(String, String, Option<u64>)>,
}

/// A session with the service.
pub struct Servicio {
    agent: ureq::Agent,
    base: String,
    credencial: Credencial,
    token: Option<String>,
    /// Requests sent so far (the run's summary reports them).
    pub solicitudes: u64,
}

impl Servicio {
    /// `base`: the service's address, e.g. `https://avisos.example.mx`.
    pub fn new(base: &str, credencial: Credencial) -> Servicio {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build();
        Servicio {
            agent: config.into(),
            base: base.trim_end_matches('/').to_string(),
            credencial,
            token: None,
            solicitudes: 0,
        }
    }

    fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value, Option<u64>), Error> {
        self.solicitudes += 1;
        let url = format!("{}{path}", self.base);
        let mut response = match (method, body) {
            ("GET", _) => {
                let mut req = self.agent.get(&url);
                if let Some(t) = &self.token {
                    req = req.header("authorization", &format!("Bearer {t}"));
                }
                req.call()
            }
            (_, body) => {
                let mut req = self.agent.post(&url);
                if let Some(t) = &self.token {
                    req = req.header("authorization", &format!("Bearer {t}"));
                }
                req.send_json(body.cloned().unwrap_or(Value::Null))
            }
        }
        .map_err(|e| Error::Conexion(e.to_string()))?;
        let status = response.status().as_u16();
        let retry = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let value: Value = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_json()
            .map_err(|e| Error::Conexion(format!("{url} no respondió JSON ({status}): {e}")))?;
        Ok((status, value, retry))
    }

    fn refusal(status: u16, v: &Value) -> Error {
        Error::Servicio {
            estatus: status,
            codigo: v["codigo"].as_str().unwrap_or("").to_string(),
            mensaje: v["mensaje"].as_str().unwrap_or("").to_string(),
        }
    }

    /// Logs in: a nonce for `INICIO_SESION`, the cadena original signed here with the
    /// service's time (so a skewed local clock does not matter), the session's token.
    pub fn iniciar_sesion(&mut self) -> Result<(), Error> {
        self.token = None;
        let rfc = self.credencial.rfc.clone();
        let (status, salud, _) = self.send("GET", "/api/v1/salud", None)?;
        let fecha = salud["hora"]
            .as_str()
            .ok_or_else(|| Error::Conexion(format!("/api/v1/salud no dio la hora ({status})")))?
            .to_string();
        let (status, nonce, _) = self.send(
            "POST",
            "/api/v1/nonces",
            Some(&json!({"rfc": rfc, "accion": "INICIO_SESION"})),
        )?;
        if status != 201 {
            return Err(Self::refusal(status, &nonce));
        }
        let nonce = nonce["nonce"].as_str().unwrap_or("").to_string();
        let mut datos = Map::new();
        datos.insert("rol".into(), json!(ROL));
        let spec = ActSpec::from_datos("INICIO_SESION", None, &["rol"], &datos)
            .map_err(|e| Error::Formato(e.mensaje()))?;
        let cadena = spec.cadena(&rfc, &fecha, &nonce, "");
        let firma = self
            .credencial
            .inner
            .sign(cadena.as_bytes())
            .map_err(|e| Error::Efirma(e.mensaje()))?;
        let body = json!({
            "rfc": rfc,
            "nonce": nonce,
            "fecha": fecha,
            "datos": datos,
            "certificado": Base64::encode_string(self.credencial.inner.certificate().der()),
            "firma": Base64::encode_string(&firma),
        });
        let (status, sesion, _) = self.send("POST", "/api/v1/sesiones", Some(&body))?;
        if status != 201 {
            return Err(Self::refusal(status, &sesion));
        }
        let token = sesion["token"]
            .as_str()
            .ok_or_else(|| Error::Conexion("la sesión no trae token".into()))?;
        self.token = Some(token.to_string());
        Ok(())
    }

    /// Sends a batch of consultations (each a consultation's body): one result per
    /// consultation, in order. Logs in again once when the session ended, and waits when the
    /// service refuses the whole request with `Retry-After` (up to a few times).
    pub fn consultar_lote(&mut self, consultas: &[Value]) -> Result<Vec<Resultado>, Error> {
        let body = json!({ "consultas": consultas });
        let mut relogged = false;
        let mut waits = 0;
        loop {
            if self.token.is_none() {
                self.iniciar_sesion()?;
            }
            let (status, v, retry) =
                self.send("POST", "/api/v1/avisos/consultas/lote", Some(&body))?;
            match status {
                200 => return parse_results(&v),
                401 if !relogged => {
                    relogged = true;
                    self.token = None;
                }
                429 | 503 if waits < MAX_WAITS && retry.is_some_and(|s| s <= MAX_WAIT_SECONDS) => {
                    waits += 1;
                    std::thread::sleep(Duration::from_secs(retry.unwrap_or(1).max(1)));
                }
                _ => return Err(Self::refusal(status, &v)),
            }
        }
    }
}

fn parse_results(v: &Value) -> Result<Vec<Resultado>, Error> {
    let items = v["resultados"]
        .as_array()
        .ok_or_else(|| Error::Conexion("la respuesta del lote no trae «resultados»".into()))?;
    Ok(items
        .iter()
        .map(|r| Resultado {
            rfc_patron: r["rfc_patron"].as_str().unwrap_or("").to_string(),
            estatus: r["estatus"].as_u64().unwrap_or(0) as u16,
            respuesta: r.get("respuesta").cloned(),
            error: r.get("error").map(|e| {
                (
                    e["codigo"].as_str().unwrap_or("").to_string(),
                    e["mensaje"].as_str().unwrap_or("").to_string(),
                    e["reintentar_en"].as_u64(),
                )
            }),
        })
        .collect())
}
