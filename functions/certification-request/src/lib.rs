//! `POST /api/v1/certificaciones`: «Solicitud de certificación», the developer's act
//! `SOLICITAR_CERTIFICACION` over the terms `certificacion-solicitud`. Answers the folio, the
//! status and the responsiva (the acuse), and e-mails the first test set.

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_certification::view::Viewer;
use avisos_certification::workflow::{self, REQUEST_FIELDS};
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{ActRoute, Env, Error, SignedAct, mail, no_owner, no_read};

avisos_spin::endpoint!(async [Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

const ACT: ActRoute = ActRoute::new(actions::SOLICITAR_CERTIFICACION, Role::Desarrollador)
    .terms(TermsId::CertificacionSolicitud)
    .fields(&REQUEST_FIELDS);

async fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let SignedAct { seal, act, .. } = env.signed_act(&req, &ACT, no_read, no_owner)?;
    let semilla = u64::from_le_bytes(avisos_spin::random::<8>());
    let done = workflow::request(env.kv(), &seal, &act, semilla, mail::enabled(), env.now)?;
    env.registered(&done, Viewer::Desarrollador).await
}
