//! `POST /api/v1/relaciones/:no_caso/cancelacion`: «Borrar», the act `CANCELAR_RELACION`. The
//! relation becomes «Relación cancelada por usuario» with today as its fecha de cancelación
//! anticipada, and the cancellation gets its own acuse.

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{ActRoute, Env, Error, SignedAct, no_owner};
use avisos_relations::relation;

avisos_spin::endpoint!([Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

const ACT: ActRoute =
    ActRoute::new(actions::CANCELAR_RELACION, Role::Patron).fields(&relation::CANCEL_FIELDS);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let no_caso = req.param("no_caso")?;
    let env = Env::load()?;
    let SignedAct { seal, act, .. } = env.signed_act(
        &req,
        &ACT,
        |spec| relation::require_no_caso(spec, &no_caso),
        no_owner,
    )?;
    let done = relation::cancel(env.kv(), &seal, &act, &no_caso, env.now)?;
    Ok(HttpResponse::json(201, &done))
}
