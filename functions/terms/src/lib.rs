//! `GET /api/v1/terminos` (every text) and `GET /api/v1/terminos/:id` ("Ver Términos y
//! condiciones"): the current text, version and SHA-256 that a signed act must carry.

use avisos_acts::ActError;
use avisos_acts::terms::{self, TermsId};
use avisos_http::{HttpRequest, HttpResponse, RequestError};
use avisos_portal::Error;

avisos_spin::endpoint!([Get, Head], 0, handle_request);

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
