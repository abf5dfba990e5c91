//! `GET /api/v1/sello`: the public key of the service's seal, to verify acuses offline.
//! `?formato=pem` returns the PEM alone.

use avisos_http::{HttpRequest, HttpResponse, Method, RequestError};
use avisos_portal::{Env, Error};
use serde_json::json;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint = avisos_spin::Endpoint::new(&[Method::Get, Method::Head], 0);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

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
