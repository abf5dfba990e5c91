//! `POST /api/v1/terminos/:id/aceptaciones`: accepting a service's terms and conditions ("He leído
//! y acepto las condiciones de este servicio" + Continuar) as a signed act with its acuse.
//! `GET` on the same route tells the session's RFC whether it accepted the current version.

use avisos_acts::ActError;
use avisos_acts::acceptance;
use avisos_acts::acuse::Receipt;
use avisos_acts::terms::TermsId;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Get, Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let id = req
        .param("id")
        .ok()
        .and_then(|slug| TermsId::from_slug(&slug))
        .ok_or(ActError::TermsNotFound { slug: None })?;
    let env = Env::load()?;
    if req.method == Method::Get {
        let session = env.require_session(&req)?;
        let status = acceptance::status(env.kv(), &session.rfc, id)?;
        return Ok(HttpResponse::json(200, &status));
    }
    let (seal, act) = env.terms_act(&req, id)?;
    let record = acceptance::accept(env.kv(), &seal, &act, id, env.now)?;
    Ok(HttpResponse::json(201, &Receipt::of(&record)))
}
