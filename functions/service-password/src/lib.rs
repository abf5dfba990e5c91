//! `GET /api/v1/contrasena-servicio`: the state of the employer's service password (never the
//! password). `POST`: the act `GENERAR_CONTRASENA` (tab «Generación de contraseña»), which
//! generates or regenerates it and answers it **once**.

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{ActRoute, Env, Error, SignedAct, no_owner, no_read, random};
use avisos_relations::password;

avisos_spin::endpoint!([Get, Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

const ACT: ActRoute = ActRoute::new(actions::GENERAR_CONTRASENA, Role::Patron);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    if req.method == Method::Get {
        let session = env.signer_session(&req, Role::Patron)?;
        let status = password::status(env.kv(), &session.rfc)?;
        return Ok(HttpResponse::json(200, &status));
    }
    let SignedAct { seal, act, .. } = env.signed_act(&req, &ACT, no_read, no_owner)?;
    let key = env.password_key()?;
    let generated =
        password::generate(env.kv(), &seal, &act, &key, env.now, random::<32>, random())?;
    Ok(HttpResponse::json(201, &generated))
}
