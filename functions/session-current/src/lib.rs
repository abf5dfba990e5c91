//! `GET /api/v1/sesiones/actual` (who am I) and `DELETE /api/v1/sesiones/actual` (logout).

use avisos_acts::session;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use serde_json::json;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Get, Method::Delete], 0);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let current = env.require_session(&req)?;
    if req.method == Method::Delete {
        session::revoke(env.kv(), &current, env.now)?;
        return Ok(HttpResponse::json(
            200,
            &json!({ "mensaje": "La sesión se cerró correctamente." }),
        )
        .with_header("set-cookie", &session::clear_cookie()));
    }
    Ok(HttpResponse::json(200, &current))
}
