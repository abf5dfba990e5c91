//! `POST /api/v1/avisos/publicaciones`: the analyst publishes an employer's avisos (act
//! `PUBLICAR_AVISOS`; bulk JSON up to 10,000 avisos, per-row report, acuse).

use avisos_acts::session::{Role, Session};
use avisos_http::{HttpRequest, HttpResponse};
use avisos_notices::publicacion::{self, Resultado};
use avisos_portal::{Env, Error, gate, no_owner};

// Sized for 10,000 avisos; larger bodies are refused before they are read, and any body before
// the analyst's session is checked.
avisos_spin::endpoint!(
    [Post],
    publicacion::BODY_LIMIT,
    gate::signer(Role::Analista) => handle_request
);

/// The publication is signed over a digest of its rows, so it reads its own body and joins the
/// common preamble at the signer check (`Env::verify_act`).
fn handle_request(req: HttpRequest, (env, session): (Env, Session)) -> Result<HttpResponse, Error> {
    let prepared = publicacion::prepare(&req.body, env.config.mode)?;
    let signed = env.verify_act(
        &req,
        session,
        Role::Analista,
        &prepared.request,
        prepared.spec,
        no_owner,
    )?;
    match publicacion::publish(
        env.kv(),
        &signed.seal,
        &signed.act,
        &prepared.patron,
        &prepared.rows,
        env.now,
    )? {
        Resultado::Publicada(p) => Ok(HttpResponse::json(201, &p)),
        Resultado::Rechazada(r) => Ok(HttpResponse::json(422, &r)),
    }
}
