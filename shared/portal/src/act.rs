//! The preamble of a component that receives a signed act: everything between the request and the
//! act's own logic, in one order for every act.

use avisos_acts::act::{ActSpec, SignedActRequest, VerifiedAct, verify_signed_act};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::session::Session;
use avisos_acts::terms::TermsId;
use avisos_http::{ApiError, HttpRequest};

use crate::Env;

/// The act a route accepts: its action, the terms it accepts (if any) and the fields of `datos`.
pub struct ActRoute {
    pub accion: &'static str,
    pub terms: Option<TermsId>,
    pub fields: &'static [&'static str],
}

/// A signed act, checked and verified (its nonce is spent), with what the act's logic needs.
pub struct SignedAct {
    pub session: Session,
    pub seal: ServiceSeal,
    pub act: VerifiedAct,
}

impl Env {
    /// Reads and verifies the signed act of `req`, refusing in this order (clients, and the e2e
    /// tests, see the first refusal): the session (401), `authorize` (its role, 403), the JSON
    /// body, the act's fields in `datos`, `check` (the route's own refusals against the session
    /// and the signed fields: folio, signer, ownership…), the seal, and last the signature, which
    /// spends the nonce, so that nothing refused earlier costs the client its nonce.
    pub fn signed_act(
        &self,
        req: &HttpRequest,
        route: &ActRoute,
        authorize: impl FnOnce(&Session) -> Result<(), ApiError>,
        check: impl FnOnce(&Session, &SignedActRequest, &ActSpec) -> Result<(), ApiError>,
    ) -> Result<SignedAct, ApiError> {
        let session = self.require_session(req)?;
        authorize(&session)?;
        let body: SignedActRequest = req.json()?;
        let spec = ActSpec::from_datos(route.accion, route.terms, route.fields, &body.datos)?;
        check(&session, &body, &spec)?;
        let seal = self.seal()?;
        let act = verify_signed_act(&self.act_context(req), &body, spec)?;
        Ok(SignedAct { session, seal, act })
    }
}
