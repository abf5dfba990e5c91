//! The avisos service (issue 8): what the two gates exist for. Certified developers with a
//! *Relación Vigente* fetch an employer's avisos through their payroll system.
//!
//! - [`aviso`]: the [`Aviso`] record (field names as payroll products use them) and its
//!   field-by-field validation with Spanish messages.
//! - [`bimestre`]: bimesters (Jan-Feb … Nov-Dec) and the default consultation range.
//! - [`publicacion`]: the analyst's signed act `PUBLICAR_AVISOS` (bulk JSON, per-row report,
//!   idempotent on `folio_aviso`, acuse) and [`publicacion::import`] for bulk loads.
//! - [`store`]: per-employer index and copy-on-write pages; the range query.
//! - [`cambios`]: the employer's change sequence, followed with a cursor.
//! - [`acceso`]: the gate (certification, live relation, current service password) and
//!   [`throttle`] of wrong passwords.
//! - [`consulta`]: the payroll system's consultation: validation, gate, query, audit.
//! - [`bitacora`]: the audit the employer reads.
//!
//! - [`error`]: [`AvisosError`], why anything here was refused (its HTTP status is the
//!   portal's business).
//!
//! Nothing here knows about Spin or HTTP: store, clock and seal are parameters.
//!
//! Storage layout. One employer's avisos are read without touching any other employer's keys:
//! a consultation reads the index and the pages its date range (and requested page) needs.
//!
//! | key | value |
//! | --- | --- |
//! | `avisos:<RFC>:indice` | [`store::Index`]: total, NRPs, every page's key, bimester, size, first/last `fecha_aviso` |
//! | `avisos:<RFC>:pagina:<gen>:<AAAA-Bn>:<k>` | up to [`store::PAGE_SIZE`] [`Aviso`]s of one bimester, sorted by (`fecha_aviso`, `folio_aviso`); immutable |
//! | `avisos:<RFC>:cambios:<gen>:<i>` | up to [`cambios::BLOCK`] [`cambios::Cambio`]s: positions `i·BLOCK+1 ..= (i+1)·BLOCK` of the change sequence; immutable |
//! | `avisos:<RFC>:generacion` | counter: the generation of the next publication's pages |
//! | `avisos:<RFC>:bitacora` | counter: the number of the last audit record |
//! | `avisos:<RFC>:bitacora:<n>` | [`bitacora::Registro`] |
//! | `avisos:<RFC>:bitacora-agregada:<desarrollador>:<AAAA-MM-DD>:<resultado>` | counter: that day's refusals of that kind ([`bitacora`], aggregated) |
//! | `avisos:<RFC>:bitacora-agregada:<desarrollador>:<AAAA-MM-DD>:<resultado>:numero` | the number of the aggregate's record |
//! | `avisos:<RFC>:contrasena-verificada` | fingerprint of the last password that passed Argon2id ([`acceso`]) |
//! | `avisos:intentos:<desarrollador>:<RFC>:<ventana>` | counter of wrong passwords in a 15-minute window ([`throttle`]) |
//!
//! Write order of a publication: validation and merge (nothing written), folio and sealed acuse,
//! new pages and change blocks, the index swapped with compare-and-swap (from here the avisos
//! and their changes are visible), superseded pages and blocks registered to expire after
//! [`store::RETIRED_SECONDS`] (a consultation that read the previous index still finds them). A consultation writes only its audit record (counter, then record;
//! or, refused before anything of the employer's was checked, its aggregate's counter) and the
//! throttle counter.

pub mod acceso;
pub use avisos_aviso as aviso;
pub mod bimestre;
pub mod bitacora;
pub mod cambios;
pub mod consulta;
pub mod error;
pub mod publicacion;
pub mod rawjson;
pub mod store;
pub mod throttle;

pub use aviso::{Aviso, FieldError, TipoAviso, TipoDescuento};
pub use error::AvisosError;
