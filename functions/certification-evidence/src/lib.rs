//! `POST /api/v1/certificaciones/:folio/evidencias`: «Enviar archivo». The body is the workbook
//! itself (at most 5 MiB, refused by `serve` before it is read whole), read only once the session
//! and its `evidencias` limit passed (`gate::reader`, on the head); it is checked against the
//! current test set and, when accepted, stored with its grading and the request goes to
//! «En análisis». A workbook with problems answers 422 with every problem and changes nothing.

use avisos_acts::limits::Bucket;
use avisos_acts::session::Session;
use avisos_certification::answer;
use avisos_certification::view::{self, Viewer};
use avisos_certification::workflow::{self, Upload, UploadError, check_upload, media_type};
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error, gate};

// The workbook is read only once the session and its `evidencias` limit passed.
avisos_spin::endpoint!(
    [Post],
    avisos_evidence::MAX_WORKBOOK_BYTES,
    gate::reader(Bucket::Evidencias) => handle_request
);

fn handle_request(req: HttpRequest, (env, session): (Env, Session)) -> Result<HttpResponse, Error> {
    let folio = req.param("folio")?;
    let name = req
        .header("x-nombre-archivo")
        .map(avisos_http::request::percent_decode)
        .or_else(|| req.query_param("archivo"));
    let content_type = req.header("content-type").unwrap_or_default();
    let file_name = check_upload(name.as_deref(), content_type, &req.body)?;
    let carga = avisos_certification::hex(&avisos_spin::random::<8>());
    let up = Upload {
        bytes: &req.body,
        file_name: &file_name,
        content_type: media_type(content_type),
        carga: &carga,
    };
    match workflow::upload(env.kv(), &session, &folio, &up, env.now) {
        Ok(c) => {
            let cal = workflow::calendar_of(env.kv(), &c)?;
            Ok(HttpResponse::json(
                201,
                &view::view(&c, &cal, env.now, Viewer::Desarrollador),
            ))
        }
        Err(UploadError::Refused(e)) => Err(e.into()),
        Err(UploadError::Rejected(r)) => Ok(HttpResponse::json(422, &answer::rejection_body(&r))),
    }
}
