//! `POST /api/v1/terminos/:id/aceptaciones`: accepting a service's terms and conditions ("He leído
//! y acepto las condiciones de este servicio" + Continuar) as a signed act with its acuse.
//! `GET` on the same route tells the session's RFC whether it accepted the current version.

use avisos_acts::ActError;
use avisos_acts::act::{ActSpec, SignedActRequest, actions, verify_signed_act};
use avisos_acts::acuse::{self, Dato};
use avisos_acts::folio;
use avisos_acts::terms::{self, TermsId};
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_kv::KeyValueJson;
use avisos_portal::{Env, Error};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Serialize, Deserialize)]
struct Acceptance {
    folio: String,
    version: String,
    sha256: String,
    fecha: chrono::DateTime<chrono::Utc>,
}

avisos_spin::endpoint!([Get, Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

fn key(rfc: &str, id: TermsId) -> String {
    format!("terminos:aceptacion:{rfc}:{}", id.slug())
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let id = req
        .param("id")
        .ok()
        .and_then(|slug| TermsId::from_slug(&slug))
        .ok_or(ActError::TermsNotFound { slug: None })?;
    let env = Env::load()?;
    let current = terms::current(id);
    if req.method == Method::Get {
        let session = env.require_session(&req)?;
        let accepted: Option<Acceptance> = env.kv().get_json(&key(&session.rfc, id))?;
        return Ok(HttpResponse::json(
            200,
            &json!({
                "terminos": id.slug(),
                "version_vigente": current.version,
                "sha256_vigente": current.sha256,
                "aceptados": accepted.as_ref().is_some_and(|a| a.sha256 == current.sha256),
                "ultima_aceptacion": accepted,
            }),
        ));
    }
    let body: SignedActRequest = req.json()?;
    let spec = ActSpec::from_datos(actions::ACEPTACION_TERMINOS, Some(id), &[], &body.datos)?;
    let seal = env.seal()?;
    let act = verify_signed_act(&env.act_context(&req), &body, spec)?;
    let folio = folio::allocate(env.kv())?;
    let record = acuse::issue(
        env.kv(),
        &seal,
        &act,
        &folio,
        "Aceptación de Términos y Condiciones",
        vec![
            Dato::new("Términos y condiciones", current.titulo),
            Dato::new("Versión", current.version),
        ],
        env.now,
    )?;
    env.kv().set_json(
        &key(&record.rfc, id),
        &Acceptance {
            folio: folio.clone(),
            version: current.version.to_string(),
            sha256: current.sha256.clone(),
            fecha: record.fecha,
        },
    )?;
    Ok(HttpResponse::json(
        201,
        &avisos_acts::acuse::Receipt::of(&record),
    ))
}
