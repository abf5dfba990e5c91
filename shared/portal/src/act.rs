//! The preamble of a component that receives a signed act: everything between the request and the
//! act's own logic, in one order for every act. A route declares what it needs ([`ActRoute`]:
//! the action, its terms, its fields, who signs, whether the service password comes along) and
//! gives two checks of its own: `read` (what the signed fields must say: the route's folio, a
//! valid vigencia…) and `own` (what the signer may act on: their own request…).

use avisos_acts::ActError;
use avisos_acts::act::{ActSpec, SignedActRequest, VerifiedAct, actions, verify_signed_act};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::session::{Role, Session};
use avisos_acts::terms::TermsId;
use avisos_http::{HttpRequest, RequestError};

use crate::{Env, Error};

/// The act a route accepts.
pub struct ActRoute {
    pub accion: &'static str,
    /// The terms the signer accepts with the act, if any.
    pub terms: Option<TermsId>,
    /// The fields of `datos`, all required, all in the cadena.
    pub fields: &'static [&'static str],
    /// Who signs: a session of this role whose RFC signs (an analyst must also still be in
    /// `analistas`).
    pub signer: Role,
    /// The body also carries the service password in `contrasena`, which never enters the cadena
    /// nor the acuse.
    pub password: bool,
}

impl ActRoute {
    /// The act `accion`, signed by a session of `signer`, with no terms and no fields (add them
    /// with [`ActRoute::terms`] and [`ActRoute::fields`]).
    pub const fn new(accion: &'static str, signer: Role) -> ActRoute {
        ActRoute {
            accion,
            terms: None,
            fields: &[],
            signer,
            password: false,
        }
    }

    /// The terms the signer accepts with the act.
    pub const fn terms(self, terms: TermsId) -> ActRoute {
        ActRoute {
            terms: Some(terms),
            ..self
        }
    }

    /// The fields of `datos`.
    pub const fn fields(self, fields: &'static [&'static str]) -> ActRoute {
        ActRoute { fields, ..self }
    }

    /// The service password comes along, outside the cadena.
    pub const fn with_password(self) -> ActRoute {
        ActRoute {
            password: true,
            ..self
        }
    }
}

/// A signed act, checked and verified (its nonce is spent), with what the act's logic needs.
pub struct SignedAct<T = ()> {
    pub session: Session,
    pub seal: ServiceSeal,
    pub act: VerifiedAct,
    /// What the route's `read` made of the signed fields.
    pub request: T,
    /// The service password sent alongside (routes with [`ActRoute::password`]).
    pub contrasena: Option<String>,
}

/// For routes with nothing to read from the signed fields beyond their presence.
pub fn no_read(_: &ActSpec) -> Result<(), Error> {
    Ok(())
}

/// For routes whose signer may act on anything their role may.
pub fn no_owner(_: &Session) -> Result<(), Error> {
    Ok(())
}

impl Env {
    /// Reads and verifies the signed act of `req`, refusing in this order (clients, and the e2e
    /// tests, see the first refusal): the session (401), its role (403), the JSON body, the
    /// act's fields in `datos`, `read` (what the signed fields say), the signer is the session's
    /// RFC (403), `own` (what the signer may act on), the seal, and last the signature, which
    /// spends the nonce, so that nothing refused earlier costs the client its nonce.
    pub fn signed_act<T, R, O>(
        &self,
        req: &HttpRequest,
        route: &ActRoute,
        read: impl FnOnce(&ActSpec) -> Result<T, R>,
        own: impl FnOnce(&Session) -> Result<(), O>,
    ) -> Result<SignedAct<T>, Error>
    where
        Error: From<R> + From<O>,
    {
        let session = self.signer_session(req, route.signer)?;
        let (body, contrasena) = if route.password {
            let (body, password) = split_password(&req.body)?;
            (body, Some(password))
        } else {
            (req.json()?, None)
        };
        let spec = ActSpec::from_datos(route.accion, route.terms, route.fields, &body.datos)?;
        let request = read(&spec)?;
        let SignedAct {
            session, seal, act, ..
        } = self.verify_act(req, session, route.signer, &body, spec, own)?;
        Ok(SignedAct {
            session,
            seal,
            act,
            request,
            contrasena,
        })
    }

    /// The preamble of the one act signed without a session, accepting a text's terms (it comes
    /// before any session): the body, the act's fields (none), the seal, the signature.
    pub fn terms_act(
        &self,
        req: &HttpRequest,
        id: TermsId,
    ) -> Result<(ServiceSeal, VerifiedAct), Error> {
        let body: SignedActRequest = req.json()?;
        let spec = ActSpec::from_datos(actions::ACEPTACION_TERMINOS, Some(id), &[], &body.datos)?;
        let seal = self.seal()?;
        let act = verify_signed_act(&self.act_context(req), &body, spec)?;
        Ok((seal, act))
    }

    /// The session of an act's signer: 401 without one, 403 in another role (or an analyst no
    /// longer listed in `analistas`).
    pub fn signer_session(&self, req: &HttpRequest, role: Role) -> Result<Session, Error> {
        let session = self.require_session(req)?;
        match role {
            Role::Analista => self.config.require_analyst(&session)?,
            role => session.require_role(&[role])?,
        }
        Ok(session)
    }

    /// The last steps of [`Env::signed_act`], for a route that reads its body itself (the avisos
    /// publication, signed over a digest of its rows): the signer is the session's RFC, `own`,
    /// the seal, the signature.
    pub fn verify_act<O>(
        &self,
        req: &HttpRequest,
        session: Session,
        role: Role,
        body: &SignedActRequest,
        spec: ActSpec,
        own: impl FnOnce(&Session) -> Result<(), O>,
    ) -> Result<SignedAct, Error>
    where
        Error: From<O>,
    {
        session.require_signer(role, &body.rfc)?;
        own(&session)?;
        let seal = self.seal()?;
        let act = verify_signed_act(&self.act_context(req), body, spec)?;
        Ok(SignedAct {
            session,
            seal,
            act,
            request: (),
            contrasena: None,
        })
    }
}

/// Reads `contrasena` (the service password, which must never enter the cadena original or the
/// acuse) out of an act's JSON body, and returns the rest as the signed act.
pub fn split_password(body: &[u8]) -> Result<(SignedActRequest, String), Error> {
    if body.is_empty() {
        return Err(RequestError::BodyEmpty.into());
    }
    let invalid = |e: serde_json::Error| Error::from(RequestError::JsonInvalid(e.to_string()));
    let mut map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(invalid)?;
    let password = match map.remove("contrasena") {
        Some(serde_json::Value::String(p)) => p,
        Some(_) => return Err(ActError::PasswordMissing { not_text: true }.into()),
        None => return Err(ActError::PasswordMissing { not_text: false }.into()),
    };
    let act = serde_json::from_value(serde_json::Value::Object(map)).map_err(invalid)?;
    Ok((act, password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_travels_beside_the_act_never_inside_it() {
        let body = br#"{"rfc":"EDE200101AB0","nonce":"n","fecha":"f","datos":{},"certificado":"c","firma":"s","contrasena":"secreta"}"#;
        let (act, password) = split_password(body).unwrap();
        assert_eq!(password, "secreta");
        assert_eq!(act.rfc, "EDE200101AB0");
        let missing = split_password(br#"{"rfc":"X"}"#).unwrap_err();
        assert_eq!(missing.codigo(), "CONTRASENA_FALTANTE");
        assert_eq!(missing.status(), 400);
        let not_text = split_password(br#"{"contrasena":7}"#).unwrap_err();
        assert!(not_text.mensaje().contains("como texto"));
        assert_eq!(split_password(b"").unwrap_err().codigo(), "CUERPO_VACIO");
        assert_eq!(split_password(b"{").unwrap_err().codigo(), "JSON_INVALIDO");
    }
}
