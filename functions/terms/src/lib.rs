//! `GET /api/v1/terminos` (every text) and `GET /api/v1/terminos/:id` ("Ver Términos y
//! condiciones"): the current text, version and SHA-256 that a signed act must carry.

use avisos_acts::ActError;
use avisos_acts::terms::{self, TermsId};
use avisos_http::{HttpRequest, HttpResponse, Method, RequestError};
use avisos_portal::Error;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint = avisos_spin::Endpoint::new(&[Method::Get, Method::Head], 0);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    match req.wildcard_segments().as_slice() {
        [] => {
            let all: Vec<_> = TermsId::ALL.into_iter().map(terms::current).collect();
            Ok(HttpResponse::json(200, &all))
        }
        [slug] => {
            let id = TermsId::from_slug(slug).ok_or_else(|| ActError::TermsNotFound {
                slug: Some(slug.clone()),
            })?;
            Ok(HttpResponse::json(200, &terms::current(id)))
        }
        _ => Err(RequestError::NotFound.into()),
    }
}
