//! `POST /api/v1/desarrolladores/registro`: the analysts' act `REGISTRAR_DESARROLLADOR`, which
//! sets a developer's certification status (`autorizada` or `cancelada`) until the certification
//! workflow does it itself.

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{ActRoute, Env, Error, SignedAct, no_owner};
use avisos_relations::directory::{self, Registration};

avisos_spin::endpoint!([Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

const ACT: ActRoute = ActRoute::new(actions::REGISTRAR_DESARROLLADOR, Role::Analista)
    .fields(&directory::REGISTER_FIELDS);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let SignedAct {
        seal,
        act,
        request: registration,
        ..
    } = env.signed_act(
        &req,
        &ACT,
        |spec| Registration::from_spec(spec, env.config.mode),
        no_owner,
    )?;
    let done = directory::register(env.kv(), &seal, &act, &registration, env.now)?;
    Ok(HttpResponse::json(201, &done))
}
