//! `POST /api/v1/contrasena-servicio/cancelacion`: the act `CANCELAR_CONTRASENA`. The service
//! password stops working at once; relations are kept (see `avisos_relations::password`).

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{ActRoute, Env, Error, SignedAct, no_owner, no_read};
use avisos_relations::password;

avisos_spin::endpoint!([Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

const ACT: ActRoute = ActRoute::new(actions::CANCELAR_CONTRASENA, Role::Patron);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let SignedAct { seal, act, .. } = env.signed_act(&req, &ACT, no_read, no_owner)?;
    let done = password::cancel(env.kv(), &seal, &act, env.now)?;
    Ok(HttpResponse::json(201, &done))
}
