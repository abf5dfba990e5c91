//! The consultations of avisos as the edge answers them: one ([`Env::consult_request`]) or a
//! batch of many employers' ([`Env::consult_batch_request`]), each decided, limited and audited
//! on its own, its refusal carried with the status it alone would have answered with.

use avisos_acts::limits::Bucket;
use avisos_acts::secret::HmacKey;
use avisos_acts::session::{Role, Session};
use avisos_http::HttpRequest;
use avisos_notices::consulta::{self, Answer, Caller, Consulta, ConsultaLote, ConsultaRequest};
use serde::Serialize;

use crate::{Env, Error};

/// The answer of a batch: one result per consultation sent, in order.
#[derive(Debug, Serialize)]
pub struct BatchAnswer {
    pub resultados: Vec<BatchResult>,
}

/// One employer's outcome in a batch.
#[derive(Debug, Serialize)]
pub struct BatchResult {
    /// As sent (upper case), or as read once valid.
    pub rfc_patron: String,
    /// The status this consultation alone would have answered with.
    pub estatus: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub respuesta: Option<Answer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<BatchRefusal>,
}

/// Why one consultation of a batch was refused.
#[derive(Debug, Serialize)]
pub struct BatchRefusal {
    pub codigo: String,
    pub mensaje: String,
    /// Seconds to wait before asking for this employer again (a throttle or a limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reintentar_en: Option<u32>,
}

impl BatchResult {
    fn refused(rfc_patron: String, e: Error) -> BatchResult {
        BatchResult {
            rfc_patron,
            estatus: e.status(),
            respuesta: None,
            error: Some(BatchRefusal {
                codigo: e.codigo().to_string(),
                mensaje: e.mensaje().to_string(),
                reintentar_en: e.0.retry_after,
            }),
        }
    }
}

impl Env {
    /// `POST /api/v1/avisos/consultas`: the developer's session (charged one `consultas`), the
    /// body read and checked, then the consultation.
    pub fn consult_request(&self, req: &HttpRequest) -> Result<Answer, Error> {
        let session = self.consultant(req)?;
        let body: ConsultaRequest = req.json()?;
        let c = consulta::parse(body, self.config.mode, avisos_relations::today(self.now))?;
        let key = self.password_key()?;
        Ok(self.consult(&session, &c, &key)?)
    }

    /// `POST /api/v1/avisos/consultas/lote`: the developer's session (charged the first
    /// consultation), the batch read, then each consultation on its own.
    pub fn consult_batch_request(&self, req: &HttpRequest) -> Result<BatchAnswer, Error> {
        let session = self.consultant(req)?;
        let body: ConsultaLote = req.json()?;
        let items = consulta::parse_batch(body)?;
        let key = self.password_key()?;
        Ok(self.consult_batch(&session, items, &key))
    }

    /// A payroll system's session: a developer's, charged one `consultas` (and the client's
    /// read before it).
    fn consultant(&self, req: &HttpRequest) -> Result<Session, Error> {
        let session = self.limited_read(req, Bucket::Consultas)?;
        session.require_role(&[Role::Desarrollador])?;
        Ok(session)
    }

    /// A consultation of avisos by the session's developer (gate, query, audit), with the
    /// status of its outcome in the employer's audit.
    fn consult(
        &self,
        session: &Session,
        c: &Consulta,
        password_key: &HmacKey,
    ) -> Result<Answer, avisos_notices::AvisosError> {
        let caller = Caller {
            rfc: &session.rfc,
            nombre: &session.nombre,
        };
        consulta::consult(
            &self.kv,
            caller,
            c,
            password_key,
            self.now,
            Error::consultation_status,
        )
    }

    /// The consultations of a batch (as [`consulta::parse_batch`] let them through), each read
    /// ([`consulta::parse_batch_item`]), charged one `consultas` (the first was charged with the
    /// request), then consulted. A refusal stays with its consultation.
    fn consult_batch(
        &self,
        session: &Session,
        items: Vec<serde_json::Value>,
        password_key: &HmacKey,
    ) -> BatchAnswer {
        let today = avisos_relations::today(self.now);
        let mut resultados = Vec::with_capacity(items.len());
        for (i, raw) in items.into_iter().enumerate() {
            let c = match consulta::parse_batch_item(raw, self.config.mode, today) {
                Ok(c) => c,
                Err((rfc, e)) => {
                    resultados.push(BatchResult::refused(rfc, e.into()));
                    continue;
                }
            };
            let limits = &self.config.limits;
            if i > 0
                && let Err(e) = limits.admit(&self.kv, Bucket::Consultas, &session.rfc, self.now)
            {
                resultados.push(BatchResult::refused(c.patron, e.into()));
                continue;
            }
            resultados.push(match self.consult(session, &c, password_key) {
                Ok(answer) => BatchResult {
                    rfc_patron: c.patron,
                    estatus: 200,
                    respuesta: Some(answer),
                    error: None,
                },
                Err(e) => BatchResult::refused(c.patron, e.into()),
            });
        }
        BatchAnswer { resultados }
    }
}
