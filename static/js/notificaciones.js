// Bandeja de notificaciones: los correos del trámite (set de pruebas, inconsistencias,
// aprobación, cancelación) y si salieron.

import { api, descargar } from "./api.js";
import { anunciar, fechaHoraMexico, h, tituloPestana } from "./ui.js";

const ESTADOS = { enviada: "Enviada por correo", pendiente: "Correo pendiente de envío", fallida: "El envío del correo falló" };

function claveVistas(rfc) {
  return `notificaciones-vistas:${rfc}`;
}

/** El número de notificaciones nuevas (posteriores a la última visita a la bandeja). */
export async function actualizarContador() {
  const contador = document.getElementById("contador-notificaciones");
  if (!contador) return;
  const b = await api("/api/v1/notificaciones");
  const vistas = localStorage.getItem(claveVistas(b.rfc)) || "";
  const nuevas = b.notificaciones.filter((n) => n.creada > vistas).length;
  contador.textContent = nuevas ? String(nuevas) : "";
  contador.hidden = !nuevas;
  contador.setAttribute("aria-label", `${nuevas} nuevas`);
}

/**
 * El enlace de una notificación lleva a una pantalla del portal, nunca al JSON de la API: el set
 * de pruebas se descarga (con la sesión); lo demás de la certificación abre su pestaña.
 */
function enlace(n) {
  if (!n.enlace) return null;
  if (/^\/api\/v1\/certificaciones\/[^/]+\/set-de-pruebas$/.test(n.enlace)) {
    const nombre = `set-de-pruebas-${n.folio}${n.ronda ? `-ronda-${n.ronda}` : ""}.zip`;
    return h("p", {}, h("button", {
      type: "button",
      class: "secundario",
      onclick: () => descargar(n.enlace, nombre).then(() => anunciar(`Archivo descargado (${nombre}).`)).catch((e) => anunciar(e.mensaje || String(e))),
    }, "Descargar set de pruebas"));
  }
  // Un acuse (p. ej. la responsiva de la aprobación en el correo de autorización): su PDF.
  const acuse = /^\/api\/v1\/acuses\/([^/?]+)$/.exec(n.enlace);
  if (acuse) {
    const nombre = `acuse-${acuse[1]}.pdf`;
    return h("p", {}, h("button", {
      type: "button",
      class: "secundario",
      onclick: () => descargar(n.enlace, nombre).then(() => anunciar(`Archivo descargado (${nombre}).`)).catch((e) => anunciar(e.mensaje || String(e))),
    }, "Descargar acuse"));
  }
  if (n.enlace.startsWith("/api/v1/certificaciones")) {
    return h("p", {}, h("a", { href: "#certificacion" }, "Ver en «Certificación para desarrolladores»"));
  }
  if (n.enlace.startsWith("/api/")) return null;
  return h("p", {}, h("a", { href: n.enlace }, "Abrir el enlace de la notificación"));
}

export async function mostrar(panel, _sesion, pagina = 1) {
  const b = await api(`/api/v1/notificaciones?pagina=${pagina}`);
  const vistas = localStorage.getItem(claveVistas(b.rfc)) || "";
  const lista = b.notificaciones.map((n) =>
    h(
      "article",
      { class: `notificacion${n.creada > vistas ? " no-leida" : ""}`, "aria-labelledby": `notif-${n.id}` },
      h("h3", { id: `notif-${n.id}` }, n.asunto, n.creada > vistas ? h("span", { class: "contador" }, "Nueva") : null),
      // La hora de la Ciudad de México, como en los acuses (el servicio la da en UTC).
      h("p", { class: "ayuda" }, h("time", { datetime: n.creada }, fechaHoraMexico(n.creada)), ` (hora de la Ciudad de México) · Folio ${n.folio} · Para ${n.correo} · ${ESTADOS[n.estado] || n.estado}`),
      h("div", {}, n.texto.split(/\n+/).map((p) => h("p", {}, p))),
      enlace(n),
    ),
  );
  const navegacion = h("div", { class: "acciones" },
    pagina > 1 ? h("button", { type: "button", class: "secundario", onclick: () => mostrar(panel, _sesion, pagina - 1) }, "Anteriores") : null,
    b.hay_mas ? h("button", { type: "button", class: "secundario", onclick: () => mostrar(panel, _sesion, pagina + 1) }, "Más antiguas") : null,
  );
  panel.replaceChildren(
    tituloPestana("Notificaciones", "notificaciones"),
    h("p", {}, "Los avisos del trámite que también se envían a tu correo electrónico."),
    ...(lista.length ? lista : [h("p", {}, "No tienes notificaciones.")]),
    navegacion,
  );
  if (pagina === 1 && b.notificaciones.length) {
    localStorage.setItem(claveVistas(b.rfc), b.notificaciones[0].creada);
    const contador = document.getElementById("contador-notificaciones");
    if (contador) contador.hidden = true;
  }
}
