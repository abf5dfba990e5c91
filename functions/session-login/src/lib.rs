//! `POST /api/v1/sesiones`: e.firma login. The client signs the act `INICIO_SESION` with datos
//! `{ "rol": "patron" | "desarrollador" | "analista" }`; the answer carries a short-lived token,
//! also set as an HttpOnly, Secure, SameSite=Strict cookie for the web page.

use avisos_acts::ActError;
use avisos_acts::act::{ActSpec, SignedActRequest, actions, verify_signed_act};
use avisos_acts::session::{self, Role};
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error, random};
use serde_json::json;

avisos_spin::endpoint!([Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let body: SignedActRequest = req.json()?;
    let spec = ActSpec::from_datos(actions::INICIO_SESION, None, &["rol"], &body.datos)?;
    let rol = spec
        .field("rol")
        .and_then(Role::parse)
        .ok_or(ActError::RoleInvalid)?;
    let env = Env::load()?;
    if rol == Role::Analista && !env.config.is_analyst(&body.rfc) {
        return Err(ActError::NotAnAnalyst.into());
    }
    let key = env.session_key()?;
    let act = verify_signed_act(&env.act_context(&req), &body, spec)?;
    let (token, sesion) = session::issue(
        &key,
        &act.identity.rfc,
        &act.identity.name,
        rol,
        env.now,
        random(),
    );
    Ok(
        HttpResponse::json(201, &json!({ "token": token, "sesion": sesion }))
            .with_header("set-cookie", &session::set_cookie(&token)),
    )
}
