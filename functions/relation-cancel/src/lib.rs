//! `POST /api/v1/relaciones/:no_caso/cancelacion`: «Borrar», the act `CANCELAR_RELACION`. The
//! relation becomes «Relación cancelada por usuario» with today as its fecha de cancelación
//! anticipada, and the cancellation gets its own acuse.

use avisos_acts::act::{ActSpec, SignedActRequest, actions, verify_signed_act};
use avisos_acts::session::Role;
use avisos_http::{ApiError, HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use avisos_relations::relation;
use avisos_relations::require_actor;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], avisos_spin::JSON_BODY_LIMIT);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let no_caso = req.param("no_caso").ok_or_else(ApiError::not_found)?;
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    session.require_role(&[Role::Patron])?;
    let body: SignedActRequest = req.json()?;
    let spec = ActSpec::from_datos(
        actions::CANCELAR_RELACION,
        None,
        &relation::CANCEL_FIELDS,
        &body.datos,
    )?;
    if spec.field("no_caso") != Some(no_caso.as_str()) {
        return Err(ApiError::bad_request(
            "NO_CASO_NO_COINCIDE",
            "El No. de Caso firmado no corresponde al de la relación que intentas cancelar.",
        ));
    }
    require_actor(&session, Role::Patron, &body.rfc)?;
    let seal = env.seal()?;
    let act = verify_signed_act(&env.act_context(&req), &body, spec)?;
    let done = relation::cancel(env.kv(), &seal, &act, &no_caso, env.now)?;
    Ok(HttpResponse::json(201, &done))
}
