//! Relaciones de confianza: add, cancel, list, and the access rule.
//!
//! A relation's **No. de Caso** is the folio of the act that created it (and of its acuse
//! «Registro de Relaciones de Confianza»). Its **status is computed on read** from the clock:
//! *Relación cancelada por usuario* once cancelled, *Relación no vigente* after its
//! `fin_vigencia` (inclusive) has passed, *Relación Vigente* otherwise. No job ever rewrites it.
//!
//! **A relation belongs to the certification it was granted under**: it records the developer's
//! certification generation ([`Developer::generacion`](crate::directory::Developer::generacion),
//! one more at each new authorisation) and grants access only while that is the developer's
//! current, authorised one ([`Relation::of_certification`]). Once the developer cancels, its
//! relations are *Relación no vigente* with a reason ([`Relation::standing`], [`Row::motivo`])
//! for good: a new certification is a new generation, the employer registers new relations (the
//! old ones block no addition) and may still cancel the old ones.
//!
//! **One live relation per employer + developer + service** is enforced by a claim key
//! `relacion:vigente:<patrón>:<desarrollador>:<servicio>` taken with compare-and-swap. The claim
//! holds `<No. de Caso>|<unix seconds>`; an empty value means free. A claim whose relation was
//! cancelled or has expired is stale and may be taken over (again with compare-and-swap on the
//! exact bytes read, so two requests can never both take it).
//!
//! **Write order of an addition** (so that a failure never leaves half an act visible):
//! 1. every check (certified developer, no live relation, service password); nothing written;
//! 2. folio, then the sealed acuse (`acuse:<folio>`), then the relation record
//!    (`relacion:<folio>`) marked **pending** (`pendiente:` before its JSON): every reader
//!    treats a pending record as absent;
//! 3. the claim (compare-and-swap): from here no other addition can take it. Losing the race
//!    deletes the record and answers `RELACION_DUPLICADA`;
//! 4. the developer's index, then the employer's index (compare-and-swap appends);
//! 5. the record rewritten without the mark: the commit point. From here it is live, listed
//!    and grants access. If 4 or 5 fail, the claim is released and the record deleted (best
//!    effort: when the store itself is failing, what remains is a pending record that nobody
//!    sees, and index entries that point to it, which listings skip).
//!
//! The only residue a failure can leave is a sealed acuse no listing points to (evidence of a
//! signed request that took no effect), never a relation without its acuse, nor a relation
//! that acts (blocks additions, grants access) without being listed. A claim always points to
//! a record written before it; if the record is missing or pending, its request gave up after
//! a failure (or is still running and will find the claim taken) and the claim is free to
//! take. Checked by `tests/e2e/tests/fallas.rs`, which fails the store at every step.
//!
//! **Cancellation** (`CANCELAR_RELACION`): only the owner, only a live relation; the acuse is
//! issued, then the record is swapped (compare-and-swap, so of two concurrent cancellations one
//! wins and the other is told it was already cancelled), then the claim is released.
//!
//! Files: `record.rs` (the record, its status, how it reads), `claim.rs` (the claim protocol,
//! the add and cancel write orders, the access rule), `listing.rs` (per-owner indexes, paging,
//! the rows of the table) and `import.rs` (bulk import, `import` feature).

mod claim;
#[cfg(feature = "import")]
mod import;
mod listing;
mod record;
#[cfg(test)]
mod tests;

use crate::RelationError;
use avisos_acts::session::{Role, Session};

use crate::Servicio;

pub use claim::{
    AddRequest, Added, Cancelled, add, authorizes, cancel, live_relation, require_no_caso,
};
#[cfg(feature = "import")]
pub use import::import;
pub use listing::{Listing, MAX_FILAS_EXPORTACION, MAX_POR_PAGINA, Page, Row, RowText, list, page};
pub use record::{
    Cancellation, Estatus, MOTIVO_CERTIFICACION_CANCELADA, MOTIVO_VIGENCIA_TERMINADA, Motivo,
    Relation, cancellation_date, load, load_own,
};

/// Title of the acuse of an addition, as the guide shows it.
pub const ACUSE_ALTA: &str = "Registro de Relaciones de Confianza";
pub const ACUSE_CANCELACION: &str = "Cancelación de Relación de Confianza";

/// Fields of `ADICIONAR_RELACION`, in cadena order.
pub const ADD_FIELDS: [&str; 4] = [
    "servicio",
    "rfc_desarrollador",
    "inicio_vigencia",
    "fin_vigencia",
];
/// Fields of `CANCELAR_RELACION`.
pub const CANCEL_FIELDS: [&str; 1] = ["no_caso"];

/// Whose table: the employer's own, or the developer's read-only view of what it was granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Patron,
    Desarrollador,
}

impl Viewer {
    pub fn of(session: &Session) -> Result<Viewer, RelationError> {
        session.require_role(&[Role::Patron, Role::Desarrollador])?;
        Ok(match session.rol {
            Role::Desarrollador => Viewer::Desarrollador,
            _ => Viewer::Patron,
        })
    }
}

fn key(no_caso: &str) -> String {
    format!("relacion:{no_caso}")
}

fn claim_key(patron: &str, desarrollador: &str, servicio: Servicio) -> String {
    format!(
        "relacion:vigente:{}:{}:{}",
        patron.to_uppercase(),
        desarrollador.to_uppercase(),
        servicio.slug()
    )
}

fn patron_index(rfc: &str) -> String {
    format!("relaciones:patron:{}", rfc.to_uppercase())
}

fn developer_index(rfc: &str) -> String {
    format!("relaciones:desarrollador:{}", rfc.to_uppercase())
}
