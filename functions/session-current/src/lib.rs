//! `GET /api/v1/sesiones/actual` (who am I) and `DELETE /api/v1/sesiones/actual` (logout).

use avisos_acts::session;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use serde_json::json;

avisos_spin::endpoint!([Get, Delete], 0, handle_request);

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
