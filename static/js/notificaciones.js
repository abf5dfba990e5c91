// Bandeja de notificaciones: los correos del trámite (set de pruebas, inconsistencias,
// aprobación, cancelación) y si salieron.

import { api } from "./api.js";
import { fechaGuia, h, horaGuia } from "./ui.js";

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

export async function mostrar(panel, _sesion, pagina = 1) {
  const b = await api(`/api/v1/notificaciones?pagina=${pagina}`);
  const vistas = localStorage.getItem(claveVistas(b.rfc)) || "";
  const lista = b.notificaciones.map((n) =>
    h(
      "article",
      { class: `notificacion${n.creada > vistas ? " no-leida" : ""}`, "aria-labelledby": `notif-${n.id}` },
      h("h3", { id: `notif-${n.id}` }, n.asunto, n.creada > vistas ? h("span", { class: "contador" }, "Nueva") : null),
      h("p", { class: "ayuda" }, `${fechaGuia(n.creada)} ${horaGuia(n.creada)} · Folio ${n.folio} · Para ${n.correo} · ${ESTADOS[n.estado] || n.estado}`),
      h("div", {}, n.texto.split(/\n+/).map((p) => h("p", {}, p))),
      n.enlace ? h("p", {}, h("a", { href: n.enlace }, "Abrir el enlace de la notificación")) : null,
    ),
  );
  const navegacion = h("div", { class: "acciones" },
    pagina > 1 ? h("button", { type: "button", class: "secundario", onclick: () => mostrar(panel, _sesion, pagina - 1) }, "Anteriores") : null,
    b.hay_mas ? h("button", { type: "button", class: "secundario", onclick: () => mostrar(panel, _sesion, pagina + 1) }, "Más antiguas") : null,
  );
  panel.replaceChildren(
    h("h2", {}, "Notificaciones"),
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
