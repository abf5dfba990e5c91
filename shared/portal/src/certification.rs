//! The steps every certification act's component shares: the act on the request of the route's
//! `:folio` (signed over that folio; a developer only on their own request), and the answer
//! after it (the act's e-mails sent when mail is configured, the request as its reader sees it).

use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_certification::answer::Registered;
use avisos_certification::notify::Notification;
use avisos_certification::view::{CertificationView, Viewer};
use avisos_certification::workflow::{Done, FOLIO_FIELDS};
use avisos_certification::{require_folio, require_owner};
use avisos_http::{HttpRequest, HttpResponse};

use crate::{ActRoute, Env, Error, SignedAct, mail};

impl Env {
    /// The signed act of `route` on the request `:folio` of the route: the folio signed must be
    /// the route's; a developer acts only on their own request (someone else's
    /// answers like a missing one), the analyst on any.
    pub fn certification_act(
        &self,
        req: &HttpRequest,
        route: &ActRoute,
    ) -> Result<SignedAct, Error> {
        let folio = req.param("folio")?;
        let signed = self.signed_act(
            req,
            route,
            |spec| require_folio(spec, &folio),
            |session| match route.signer {
                Role::Desarrollador => require_owner(self.kv(), session, &folio).map(drop),
                _ => Ok(()),
            },
        )?;
        Ok(signed)
    }

    /// After a certification act: its e-mails sent (when mail is configured, [`mail::config`]),
    /// and the request as `viewer` sees it now.
    pub async fn deliver(
        &self,
        done: &Done,
        viewer: Viewer,
    ) -> Result<(CertificationView, Vec<Notification>), Error> {
        let correo = mail::config();
        let notificaciones = done
            .deliver(self.kv(), correo.as_ref(), self.now, mail::send)
            .await?;
        let view = done.view(self.kv(), self.now, viewer)?;
        Ok((view, notificaciones))
    }

    /// The answer of a certification act (201, schema `CertificacionRegistrada`), after
    /// [`Env::deliver`].
    pub async fn registered(&self, done: &Done, viewer: Viewer) -> Result<HttpResponse, Error> {
        let (view, notificaciones) = self.deliver(done, viewer).await?;
        Ok(HttpResponse::json(
            201,
            &Registered::new(&done.acuse, view, notificaciones),
        ))
    }
}

impl ActRoute {
    /// A developer's act on their own certification request `:folio`, signing that folio, with
    /// the terms `terms`.
    pub const fn on_certification(accion: &'static str, terms: TermsId) -> ActRoute {
        ActRoute::new(accion, Role::Desarrollador)
            .terms(terms)
            .fields(&FOLIO_FIELDS)
    }
}
