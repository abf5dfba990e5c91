//! `POST /api/v1/nonces`: a single-use nonce for one RFC and one action, valid five minutes.
//! The client puts it in the cadena original it signs. Unauthenticated and writing a key per
//! call, so it is rate-limited per client address and per RFC before anything is stored.

use avisos_acts::ActError;
use avisos_acts::act::{actions, validate_actor_rfc};
use avisos_acts::limits::{Bucket, rfc_and_client};
use avisos_acts::nonce;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error, random};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NonceRequest {
    rfc: String,
    accion: String,
}

avisos_spin::endpoint!([Post], 4 * 1024, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let body: NonceRequest = req.json()?;
    let env = Env::load()?;
    let rfc = validate_actor_rfc(&body.rfc, env.config.mode)?;
    if !actions::is_known(&body.accion) {
        return Err(ActError::UnknownAction(body.accion).into());
    }
    // Nobody has proven to be `rfc` yet: the client pays, never the RFC (anyone can type it).
    let limits = &env.config.limits;
    let client = env.client_address(&req);
    limits.admit(env.kv(), Bucket::NoncesCliente, &client, env.now)?;
    limits.admit(
        env.kv(),
        Bucket::Nonces,
        &rfc_and_client(&rfc, &client),
        env.now,
    )?;
    let issued = nonce::issue(env.kv(), &rfc, &body.accion, env.now, random())?;
    Ok(HttpResponse::json(201, &issued))
}
