// Servicios de Intercomunicación: ingreso con e.firma y pestañas según el rol de la sesión.

import { api, actoFirmado, ErrorApi, fijarToken } from "./api.js";
import { anunciar, h, panelEfirma } from "./ui.js";
import * as contrasena from "./contrasena.js";
import * as relaciones from "./relaciones.js";
import * as certificacion from "./certificacion.js";
import * as revision from "./revision.js";
import * as notificaciones from "./notificaciones.js";
import * as avisos from "./avisos.js";

const ROLES = { patron: "Patrón", desarrollador: "Desarrollador", analista: "Analista" };

// Pestañas por rol: las tres de las guías para patrones y desarrolladores, más la revisión y la
// publicación de avisos de los analistas, la bitácora de consultas del patrón y la bandeja de
// notificaciones.
const PESTANAS = [
  { id: "contrasena", titulo: "Generación de contraseña", modulo: contrasena, roles: ["patron", "desarrollador"] },
  { id: "certificacion", titulo: "Certificación para desarrolladores", modulo: certificacion, roles: ["patron", "desarrollador"] },
  { id: "relaciones", titulo: "Relaciones de confianza", modulo: relaciones, roles: ["patron", "desarrollador"] },
  { id: "revision", titulo: "Revisión de certificaciones", modulo: revision, roles: ["analista"] },
  { id: "publicacion", titulo: "Publicación de avisos", modulo: { mostrar: avisos.mostrarPublicacion }, roles: ["analista"] },
  { id: "bitacora", titulo: "Consultas de mis avisos", modulo: { mostrar: avisos.mostrarBitacora }, roles: ["patron"] },
  { id: "notificaciones", titulo: "Notificaciones", modulo: notificaciones, roles: ["patron", "desarrollador", "analista"] },
];

let sesion = null;

function pantalla(nombre) {
  document.getElementById("pantalla-ingreso").hidden = nombre !== "ingreso";
  document.getElementById("pantalla-servicios").hidden = nombre !== "servicios";
}

function barraSesion() {
  const barra = document.getElementById("barra-sesion");
  if (!sesion) {
    barra.replaceChildren();
    return;
  }
  barra.replaceChildren(
    h("p", { class: "marca" }, `${sesion.nombre} · ${sesion.rfc} · ${ROLES[sesion.rol] || sesion.rol}`),
    h("button", { type: "button", onclick: cerrarSesion }, "Cerrar sesión"),
  );
}

async function cerrarSesion() {
  try {
    await api("/api/v1/sesiones/actual", { metodo: "DELETE" });
  } catch (_) {
    /* la sesión ya no existía */
  }
  sesion = null;
  fijarToken(null);
  sessionStorage.clear();
  mostrarIngreso("Sesión cerrada.");
}

function rolElegido() {
  const r = document.querySelector('input[name="rol"]:checked');
  return r ? r.value : "patron";
}

function mostrarIngreso(mensaje) {
  pantalla("ingreso");
  barraSesion();
  const contenedor = document.getElementById("ingreso-efirma");
  contenedor.replaceChildren(
    panelEfirma({
      titulo: "Agrega los archivos de la e.firma",
      alValidar: async (cred) => {
        const r = await actoFirmado({
          ruta: "/api/v1/sesiones",
          accion: "INICIO_SESION",
          datos: [["rol", rolElegido()]],
          credenciales: cred,
        });
        // Una sesión nueva no hereda lo guardado por otra (p. ej. el acuse de cancelación).
        sessionStorage.clear();
        fijarToken(r.token);
        sesion = r.sesion;
        anunciar(`Bienvenido(a), ${sesion.nombre}.`);
        mostrarServicios();
      },
    }),
  );
  if (mensaje) anunciar(mensaje);
}

function seleccionar(id, { enfocar = false } = {}) {
  for (const tab of document.querySelectorAll('#pestanas [role="tab"]')) {
    const activa = tab.dataset.id === id;
    tab.setAttribute("aria-selected", String(activa));
    tab.tabIndex = activa ? 0 : -1;
    if (activa && enfocar) tab.focus();
  }
  const def = PESTANAS.find((p) => p.id === id);
  const panel = h("section", { role: "tabpanel", id: `panel-${id}`, "aria-labelledby": `tab-${id}`, tabindex: "0" });
  document.getElementById("paneles").replaceChildren(panel);
  history.replaceState(null, "", `#${id}`);
  def.modulo.mostrar(panel, sesion).catch((e) => errorDePanel(panel, e));
}

function errorDePanel(panel, e) {
  if (e instanceof ErrorApi && e.status === 401) {
    sesion = null;
    fijarToken(null);
    mostrarIngreso(e.mensaje);
    return;
  }
  panel.append(h("p", { class: "error", role: "alert" }, e.mensaje || e.message || String(e)));
}

function mostrarServicios() {
  pantalla("servicios");
  barraSesion();
  const visibles = PESTANAS.filter((p) => p.roles.includes(sesion.rol));
  const lista = document.getElementById("pestanas");
  lista.replaceChildren(
    ...visibles.map((p) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${p.id}`,
          "aria-controls": `panel-${p.id}`,
          dataset: { id: p.id },
          onclick: () => seleccionar(p.id),
        },
        p.titulo,
        p.id === "notificaciones" ? h("span", { class: "contador", id: "contador-notificaciones", hidden: true }) : null,
      ),
    ),
  );
  lista.onkeydown = (ev) => {
    const ids = visibles.map((p) => p.id);
    const actual = ids.indexOf(document.activeElement.dataset.id);
    if (actual < 0) return;
    let siguiente = null;
    if (ev.key === "ArrowRight") siguiente = (actual + 1) % ids.length;
    else if (ev.key === "ArrowLeft") siguiente = (actual - 1 + ids.length) % ids.length;
    else if (ev.key === "Home") siguiente = 0;
    else if (ev.key === "End") siguiente = ids.length - 1;
    if (siguiente === null) return;
    ev.preventDefault();
    seleccionar(ids[siguiente], { enfocar: true });
  };
  const pedida = location.hash.slice(1);
  const inicial = visibles.find((p) => p.id === pedida) ||
    visibles.find((p) => p.id === (sesion.rol === "desarrollador" ? "certificacion" : sesion.rol === "analista" ? "revision" : "relaciones"));
  seleccionar(inicial.id);
  notificaciones.actualizarContador().catch(() => {});
}

// Los enlaces del portal a una pestaña (`#certificacion`, p. ej. desde una notificación).
window.addEventListener("hashchange", () => {
  if (!sesion) return;
  const id = location.hash.slice(1);
  const actual = document.querySelector('#pestanas [aria-selected="true"]');
  if (PESTANAS.some((p) => p.id === id && p.roles.includes(sesion.rol)) && (!actual || actual.dataset.id !== id)) {
    seleccionar(id, { enfocar: true });
  }
});

async function inicio() {
  api("/api/v1/salud")
    .then((s) => {
      document.getElementById("version").textContent = `Versión del servicio: ${s.version}.`;
    })
    .catch(() => {});
  try {
    sesion = await api("/api/v1/sesiones/actual");
    mostrarServicios();
  } catch (_) {
    mostrarIngreso();
  }
}

inicio();
