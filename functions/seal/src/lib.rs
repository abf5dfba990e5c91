//! `GET /api/v1/sello`: the public key of the service's seal, to verify acuses offline.
//! `?formato=pem` returns the PEM alone.

use avisos_http::{HttpRequest, HttpResponse, RequestError};
use avisos_portal::{Env, Error};
use serde_json::json;

avisos_spin::endpoint!([Get, Head], 0, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let seal = env.seal()?;
    match req.query_param("formato").as_deref() {
        Some("pem") => Ok(HttpResponse::new(
            200,
            "application/x-pem-file",
            seal.public_key_pem().to_string(),
        )),
        None | Some("json") => Ok(HttpResponse::json(
            200,
            &json!({
                "algoritmo": "RSA PKCS#1 v1.5 con SHA-256",
                "llave_publica_pem": seal.public_key_pem(),
                "huella_sha256": seal.fingerprint(),
            }),
        )),
        Some(_) => Err(RequestError::FormatInvalid {
            expected: "«json» o «pem»",
        }
        .into()),
    }
}
