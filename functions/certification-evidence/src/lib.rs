//! `POST /api/v1/certificaciones/:folio/evidencias`: «Enviar archivo». The body is the workbook
//! itself (at most 5 MiB, refused by `serve` before it is read whole); it is checked against the
//! current test set and, when accepted, stored with its grading and the request goes to
//! «En análisis». A workbook with problems answers 422 with every problem and changes nothing.

use avisos_acts::limits::Bucket;
use avisos_certification::answer;
use avisos_certification::view::{self, Viewer};
use avisos_certification::workflow::{self, Upload, UploadError};
use avisos_http::{ApiError, HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

/// Content types accepted for the evidence upload.
const WORKBOOK_TYPES: [&str; 3] = [
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
];
/// Longest file name kept (characters).
const MAX_FILE_NAME: usize = 200;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], avisos_evidence::MAX_WORKBOOK_BYTES);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let folio = req.param("folio").ok_or_else(ApiError::not_found)?;
    let env = Env::load()?;
    let session = env.limited_read(&req, Bucket::Evidencias)?;
    let name = req
        .header("x-nombre-archivo")
        .map(avisos_http::request::percent_decode)
        .or_else(|| req.query_param("archivo"));
    let content_type = req.header("content-type").unwrap_or_default();
    let file_name = check_upload_headers(name.as_deref(), content_type)?;
    if req.body.is_empty() {
        return Err(ApiError::bad_request(
            "ARCHIVO_VACIO",
            "El cuerpo de la solicitud debe ser el archivo de evidencias.",
        ));
    }
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
        Err(UploadError::Api(e)) => Err(e),
        Err(UploadError::Rejected(r)) => Ok(HttpResponse::json(422, &answer::rejection_body(&r))),
    }
}

/// The `Content-Type` without its parameters, as stored with the evidence.
fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// Checks the request's headers before the workbook is parsed.
fn check_upload_headers(file_name: Option<&str>, content_type: &str) -> Result<String, ApiError> {
    let media = media_type(content_type).to_ascii_lowercase();
    if !WORKBOOK_TYPES.contains(&media.as_str()) {
        return Err(ApiError::new(
            415,
            "TIPO_DE_CONTENIDO_INVALIDO",
            "Envía el archivo tal cual con Content-Type de Excel (.xls: application/vnd.ms-excel; .xlsx: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet).",
        ));
    }
    let name = file_name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or_default().trim())
        .filter(|n| !n.is_empty() && n.chars().count() <= MAX_FILE_NAME)
        .filter(|n| !n.chars().any(char::is_control))
        .ok_or_else(|| {
            ApiError::bad_request(
                "NOMBRE_ARCHIVO_REQUERIDO",
                "Indica el nombre del archivo (.xls o .xlsx) en la cabecera x-nombre-archivo o el parámetro archivo.",
            )
        })?;
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_headers_are_checked_before_the_workbook() {
        assert_eq!(
            check_upload_headers(Some("a.xls"), "text/plain")
                .unwrap_err()
                .status,
            415
        );
        assert_eq!(
            check_upload_headers(
                None,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
            .unwrap_err()
            .codigo,
            "NOMBRE_ARCHIVO_REQUERIDO"
        );
        assert_eq!(
            check_upload_headers(Some("C:\\x\\ev.xls"), "application/vnd.ms-excel").unwrap(),
            "ev.xls"
        );
        assert_eq!(
            media_type("application/vnd.ms-excel; q=1"),
            "application/vnd.ms-excel"
        );
    }
}
