// Piezas de interfaz comunes: creación de elementos, fechas como en las guías, avisos para
// lectores de pantalla, el panel de la e.firma y la lectura/aceptación de términos.

import { api, ErrorApi, prepararActo } from "./api.js";
import { RechazoEfirma, resumenCertificado } from "./efirma.js";

/** Crea un elemento: h("button", { type: "button", onclick }, "Texto", hijo...). */
export function h(etiqueta, atributos = {}, ...hijos) {
  const e = document.createElement(etiqueta);
  for (const [k, v] of Object.entries(atributos || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (v === true) e.setAttribute(k, "");
    else e.setAttribute(k, v);
  }
  for (const hijo of hijos.flat()) {
    if (hijo === undefined || hijo === null || hijo === false) continue;
    e.append(hijo instanceof Node ? hijo : document.createTextNode(String(hijo)));
  }
  return e;
}

let siguienteId = 0;
export function nuevoId(prefijo) {
  siguienteId += 1;
  return `${prefijo}-${siguienteId}`;
}

const MESES = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"];

/** `2024-03-07` o `2024-03-07T10:00:00-06:00` → `07/mar/2024` (como en las guías). */
export function fechaGuia(iso) {
  if (!iso) return "";
  // Un instante con zona (`…Z`, `…-06:00`): su día en la Ciudad de México.
  if (/T.*(Z|[+-]\d{2}:?\d{2})$/.test(iso) && !Number.isNaN(Date.parse(iso))) return fechaHoraMexico(iso).split(" ")[0];
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  return `${m[3]}/${MESES[Number(m[2]) - 1]}/${m[1]}`;
}

/** `2024-03-07T11:00:33-06:00` (o en UTC) → `11:00:33`, hora de la Ciudad de México. */
export function horaGuia(iso) {
  if (/T.*(Z|[+-]\d{2}:?\d{2})$/.test(iso || "") && !Number.isNaN(Date.parse(iso))) return fechaHoraMexico(iso).split(" ")[1];
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(iso || "");
  return m ? m[1] : "";
}

const HORA_MEXICO = new Intl.DateTimeFormat("en-CA", {
  timeZone: "America/Mexico_City",
  year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});

/**
 * Un instante cualquiera (`2026-12-02T13:50:00Z`, `…-06:00`) → `02/dic/2026 07:50:00` en la hora
 * de la Ciudad de México, como los acuses, sin importar la zona horaria del equipo.
 */
export function fechaHoraMexico(iso) {
  const t = Date.parse(iso || "");
  if (Number.isNaN(t)) return iso || "";
  const p = Object.fromEntries(HORA_MEXICO.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return `${p.day}/${MESES[Number(p.month) - 1]}/${p.year} ${p.hour}:${p.minute}:${p.second}`;
}

/** El título de una pestaña con su «Guía de usuario» (páginas de ayuda en static/guia/). */
export function tituloPestana(texto, guia, atributos = {}) {
  return h(
    "div",
    { class: "titulo-pestana" },
    h("h2", atributos, texto),
    h("a", { class: "guia", href: `/guia/${guia}.html`, target: "_blank", rel: "noopener", title: "Se abre en otra pestaña" }, "Guía de usuario"),
  );
}

/** Mensaje para lectores de pantalla y a la vista (región aria-live de la página). */
export function anunciar(mensaje) {
  const estado = document.getElementById("estado");
  if (estado) {
    estado.textContent = "";
    // Un cambio en el siguiente ciclo para que se anuncie aunque el texto se repita.
    setTimeout(() => {
      estado.textContent = mensaje;
    }, 30);
  }
}

/** Un campo de formulario con su etiqueta y su lugar para el error. */
export function campo({ etiqueta, control, ayuda }) {
  const id = control.id || nuevoId("campo");
  control.id = id;
  const error = h("p", { class: "error", id: `${id}-error`, "aria-live": "polite" });
  const describe = [`${id}-error`];
  let nodoAyuda = null;
  if (ayuda) {
    nodoAyuda = h("p", { class: "ayuda", id: `${id}-ayuda` }, ayuda);
    describe.push(`${id}-ayuda`);
  }
  control.setAttribute("aria-describedby", describe.join(" "));
  const nodo = control.type === "file" ? selectorArchivo(control, describe) : control;
  return h("div", { class: "campo" }, h("label", { for: id, id: `${id}-etiqueta` }, etiqueta), nodoAyuda, nodo, error);
}

const SIN_ARCHIVO = "No se eligió ningún archivo";

/**
 * Selector de archivo con las etiquetas de las guías («Elegir archivo», «No se eligió ningún
 * archivo») en lugar de las del navegador, que cambian con su idioma. El <input type=file> sigue
 * ahí (con su etiqueta, fuera de la vista y del orden de tabulación); el botón lo abre.
 */
function selectorArchivo(input, describe) {
  const nombre = h("span", { class: "nombre-archivo", id: `${input.id}-nombre` }, SIN_ARCHIVO);
  const boton = h(
    "button",
    { type: "button", class: "secundario", id: `${input.id}-elegir`, "aria-describedby": [`${input.id}-etiqueta`, nombre.id, ...describe].join(" ") },
    "Elegir archivo",
  );
  boton.addEventListener("click", () => input.click());
  input.classList.add("fuera-de-vista");
  input.tabIndex = -1;
  const actualizar = () => {
    nombre.textContent = input.files && input.files.length ? input.files[0].name : SIN_ARCHIVO;
  };
  input.addEventListener("change", actualizar);
  // Un error del campo devuelve el foco al botón visible.
  input.addEventListener("focus", () => boton.focus());
  return h("div", { class: "selector-archivo" }, nombre, boton, input);
}

/** Muestra `mensaje` junto al control (o lo borra con mensaje vacío). */
export function errorEn(control, mensaje) {
  const error = document.getElementById(`${control.id}-error`);
  if (error) error.textContent = mensaje || "";
  if (mensaje) control.setAttribute("aria-invalid", "true");
  else control.removeAttribute("aria-invalid");
}

/** Quita todos los errores de un formulario. */
export function limpiarErrores(formulario) {
  for (const c of formulario.querySelectorAll("[aria-invalid]")) errorEn(c, "");
  for (const g of formulario.querySelectorAll(".error-general")) g.textContent = "";
}

/** Un área de error general (role=alert) para errores que no son de un campo. */
export function errorGeneral() {
  return h("p", { class: "error error-general", role: "alert" });
}

export function ocupado(boton, activo, texto) {
  if (activo) {
    boton.dataset.texto = boton.textContent;
    boton.textContent = texto || "Procesando…";
    boton.disabled = true;
    boton.setAttribute("aria-busy", "true");
  } else {
    boton.textContent = boton.dataset.texto || boton.textContent;
    boton.disabled = false;
    boton.removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------------------------------------
// El panel de la e.firma (como en las guías): Certificado (.cer), Clave privada (.key),
// Contraseña de la e.firma, Validar.
// ---------------------------------------------------------------------------------------------

/** Códigos de la API que pertenecen a un campo del panel de la e.firma. */
export function campoDeCodigo(codigo) {
  if (codigo === "EFIRMA_CONTRASENA_INCORRECTA") return "contrasena";
  if (codigo.startsWith("EFIRMA_LLAVE")) return "clave";
  if (codigo.startsWith("EFIRMA_") || codigo === "SESION_NO_COINCIDE" || codigo.startsWith("RFC_")) {
    return "certificado";
  }
  return null;
}

let demoDisponible = null;
async function hayDemo() {
  if (demoDisponible === null) {
    demoDisponible = fetch("/demo/LEEME.txt", { method: "HEAD" })
      .then((r) => r.ok)
      .catch(() => false);
  }
  return demoDisponible;
}

const RFC_DEMO = [
  ["EDE200101AB0", "patrón, persona moral"],
  ["DELP900303MN5", "patrón, persona física"],
  ["NDE190512XY6", "desarrollador"],
  ["SDN180301K23", "desarrollador"],
  ["AIGL850215QR5", "analista"],
];

async function archivoDemo(ruta, nombre) {
  const r = await fetch(ruta);
  if (!r.ok) throw new Error(ruta);
  return new File([await r.blob()], nombre);
}

function ponerArchivo(input, archivo) {
  const dt = new DataTransfer();
  dt.items.add(archivo);
  input.files = dt.files;
  input.dispatchEvent(new Event("change", { bubbles: true }));
}

/**
 * El panel de la e.firma. `alValidar(credenciales)` recibe { certificado, clave, contrasena,
 * rfc, resumen } y hace el trámite; sus errores de e.firma se muestran junto al campo que los
 * causó; los demás, tal como los da el servicio, al pie del panel (o los maneja el llamador y
 * devuelve normalmente).
 */
export function panelEfirma({ titulo = "Agrega los archivos de la e.firma", alValidar, alCancelar, rfcSugerido }) {
  const cer = h("input", { type: "file", accept: ".cer", required: true, "aria-required": "true", name: "certificado" });
  const key = h("input", { type: "file", accept: ".key", required: true, "aria-required": "true", name: "clave" });
  const pw = h("input", { type: "password", required: true, "aria-required": "true", autocomplete: "off", name: "contrasena" });
  const general = errorGeneral();
  const validar = h("button", { type: "submit", class: "primario" }, "Validar");
  const tituloId = nuevoId("efirma-titulo");
  const controles = { certificado: cer, clave: key, contrasena: pw };
  const demo = h("div", { class: "demo", hidden: true });
  const form = h(
    "form",
    { class: "efirma", novalidate: true, "aria-labelledby": tituloId },
    h("h3", { id: tituloId }, titulo),
    h(
      "p",
      { class: "privacidad" },
      h("strong", {}, "Tu clave privada y tu contraseña no salen de tu equipo. "),
      "Esta página descifra la clave y firma en tu navegador (WebAssembly); al servicio solo se envían tu certificado, los datos del trámite y la firma.",
    ),
    campo({ etiqueta: "Certificado (.cer)*", control: cer }),
    campo({ etiqueta: "Clave privada (.key)*", control: key }),
    campo({ etiqueta: "Contraseña de la e.firma*", control: pw }),
    h("p", { class: "nota" }, "*Datos obligatorios"),
    demo,
    general,
    h(
      "div",
      { class: "acciones" },
      alCancelar ? h("button", { type: "button", class: "secundario", onclick: () => alCancelar() }, "Cancelar") : null,
      validar,
    ),
  );

  hayDemo().then((si) => {
    if (!si) return;
    const sel = h(
      "select",
      { id: nuevoId("demo-rfc") },
      RFC_DEMO.map(([rfc, rol]) => h("option", { value: rfc, selected: rfc === rfcSugerido }, `${rfc} (${rol})`)),
    );
    const usar = h(
      "button",
      {
        type: "button",
        class: "secundario",
        onclick: async () => {
          const rfc = sel.value;
          ponerArchivo(cer, await archivoDemo(`/demo/efirma/${rfc}/certificado.cer`, "certificado.cer"));
          ponerArchivo(key, await archivoDemo(`/demo/efirma/${rfc}/clave.key`, "clave.key"));
          pw.value = "demo12345";
          anunciar(`Credenciales de demostración de ${rfc} cargadas.`);
        },
      },
      "Usar credenciales de demostración",
    );
    demo.append(
      h("p", {}, h("strong", {}, "Modo demostración: "), "credenciales de prueba sin validez oficial."),
      h("label", { for: sel.id }, "RFC de demostración "),
      sel,
      " ",
      usar,
    );
    demo.hidden = false;
  });

  // Para mostrar después un rechazo del servicio (tras la pantalla de confirmación).
  form.mostrarError = (e) => mostrarErrorEfirma(e, controles, general);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    limpiarErrores(form);
    const faltan = [];
    if (!cer.files.length) faltan.push([cer, "Selecciona el archivo del certificado (.cer)."]);
    if (!key.files.length) faltan.push([key, "Selecciona el archivo de la clave privada (.key)."]);
    if (!pw.value) faltan.push([pw, "Escribe la contraseña de tu e.firma."]);
    if (faltan.length) {
      for (const [c, m] of faltan) errorEn(c, m);
      faltan[0][0].focus();
      return;
    }
    ocupado(validar, true, "Validando…");
    let clave = null;
    try {
      const certificado = new Uint8Array(await cer.files[0].arrayBuffer());
      clave = new Uint8Array(await key.files[0].arrayBuffer());
      const resumen = await resumenCertificado(certificado);
      await alValidar({ certificado, clave, contrasena: pw.value, rfc: resumen.rfc, resumen });
    } catch (e) {
      mostrarErrorEfirma(e, controles, general);
    } finally {
      if (clave) clave.fill(0);
      if (form.isConnected) ocupado(validar, false);
    }
  });
  return form;
}

/**
 * El paso de confirmación de las guías. El panel de la e.firma; «Validar» comprueba la e.firma y
 * firma en el navegador sin enviar nada; la siguiente pantalla es la de la guía (los términos
 * otra vez, o la «Solicitud de trámite») con «Cancelar» y «Continuar»: solo «Continuar» envía el
 * acto; «Cancelar» no envía nada y regresa (el nonce pedido, sin usar, caduca solo).
 *
 * - `acto(cred)`: { ruta, accion, datos, terminos, extra } del acto (ver prepararActo);
 * - `confirmacion`: { titulo, id, contenido(preparado) } de la pantalla siguiente;
 * - `alEnviar(respuesta)`; `alCancelar()`; `alRechazo(e)`: true si el llamador atendió el error
 *   (un dato de su formulario); si no, se regresa al panel con el error junto a su campo.
 * Devuelve el nodo que el llamador coloca donde quiera.
 */
export function firmarYConfirmar({ titulo, rfcSugerido, acto, confirmacion, alEnviar, alCancelar, alRechazo }) {
  const zona = h("div", { class: "firma-y-confirmacion" });
  const cancelarTodo = () => {
    zona.replaceChildren();
    if (alCancelar) alCancelar();
  };
  const panel = panelEfirma({
    titulo,
    rfcSugerido,
    alCancelar: cancelarTodo,
    alValidar: async (cred) => {
      const preparado = await prepararActo({ ...acto(cred), credenciales: cred });
      // Firmado: la contraseña ya no hace falta en la página.
      panel.querySelector('input[type="password"]').value = "";
      panel.hidden = true;
      zona.append(pantallaConfirmacion(preparado));
    },
  });
  const pantallaConfirmacion = (preparado) => {
    const tituloId = nuevoId("confirmacion");
    const general = errorGeneral();
    const continuar = h("button", { type: "button", class: "primario" }, "Continuar");
    const cancelar = h("button", { type: "button", class: "secundario", onclick: cancelarTodo }, "Cancelar");
    const encabezado = h("h3", { id: tituloId, tabindex: "-1" }, confirmacion.titulo);
    const seccion = h(
      "section",
      { class: "tarjeta ancha confirmacion", id: confirmacion.id || null, "aria-labelledby": tituloId },
      encabezado,
      confirmacion.contenido(preparado),
      h("p", { class: "nota" }, "Tu e.firma ya firmó estos datos en tu equipo; aún no se ha enviado nada. «Continuar» envía el trámite (en los próximos 5 minutos); «Cancelar» no envía nada."),
      general,
      h("div", { class: "acciones" }, cancelar, continuar),
    );
    continuar.addEventListener("click", async () => {
      general.textContent = "";
      ocupado(continuar, true, "Enviando…");
      cancelar.disabled = true;
      let respuesta;
      try {
        respuesta = await preparado.enviar();
      } catch (e) {
        if (alRechazo && alRechazo(e)) return;
        // Rechazo del servicio (e.firma, nonce caducado, fecha fuera de rango…): de vuelta al
        // panel, con el mensaje junto a su campo; hay que validar de nuevo.
        seccion.remove();
        panel.hidden = false;
        panel.mostrarError(e);
        return;
      }
      alEnviar(respuesta);
    });
    setTimeout(() => encabezado.focus(), 0);
    return seccion;
  };
  zona.append(panel);
  return zona;
}

/** Los términos que se firmaron, para la pantalla de confirmación. */
export function textoDeTerminos(t) {
  return [
    h("p", { class: "ayuda" }, `${t.titulo} (versión ${t.version}, vigente desde ${fechaGuia(t.vigente_desde)})`),
    textoTerminos(t),
  ];
}

/** Pares [dato, valor] como lista de definiciones. */
export function listaDatos(pares) {
  return h("dl", { class: "datos" }, pares.flatMap(([dt, dd]) => [h("dt", {}, dt), h("dd", {}, dd)]));
}

/** Pone un error de firma o de la API junto a su campo del panel, o al pie. */
export function mostrarErrorEfirma(e, controles, general) {
  let campoError = null;
  let mensaje = e.message || String(e);
  if (e instanceof RechazoEfirma) {
    campoError = e.campo;
    mensaje = e.mensaje;
  } else if (e instanceof ErrorApi) {
    campoError = campoDeCodigo(e.codigo);
    mensaje = e.mensaje;
  }
  const control = campoError && controles[campoError];
  if (control) {
    errorEn(control, mensaje);
    if (campoError === "contrasena") control.value = "";
    control.focus();
  } else {
    general.textContent = mensaje;
  }
}

// ---------------------------------------------------------------------------------------------
// Términos y condiciones.
// ---------------------------------------------------------------------------------------------

const cacheTerminos = new Map();
export async function terminos(id) {
  if (!cacheTerminos.has(id)) cacheTerminos.set(id, api(`/api/v1/terminos/${id}`));
  return cacheTerminos.get(id);
}

function textoTerminos(t) {
  return h(
    "div",
    { class: "terminos-texto", tabindex: "0", role: "document", "aria-label": t.titulo },
    t.texto,
  );
}

/**
 * Lectura de los términos con la casilla «He leído y acepto las condiciones de este servicio» y
 * «Continuar». La aceptación firmada viaja después, en el acto (su SHA-256 va en la cadena).
 */
export async function puertaTerminos(contenedor, id, alContinuar, { botonCancelar } = {}) {
  const t = await terminos(id);
  const clave = `terminos:${id}:${t.sha256}`;
  if (sessionStorage.getItem(clave) === "1" && !botonCancelar) return alContinuar(t);
  const casilla = h("input", { type: "checkbox", id: nuevoId("acepto") });
  const continuar = h("button", { type: "button", class: "primario", disabled: true }, "Continuar");
  casilla.addEventListener("change", () => {
    continuar.disabled = !casilla.checked;
  });
  continuar.addEventListener("click", () => {
    sessionStorage.setItem(clave, "1");
    alContinuar(t);
  });
  contenedor.replaceChildren(
    h(
      "section",
      { class: "terminos", "aria-labelledby": `${casilla.id}-t` },
      h("h3", { id: `${casilla.id}-t` }, "Términos y condiciones"),
      h("p", { class: "ayuda" }, `${t.titulo} (versión ${t.version}, vigente desde ${fechaGuia(t.vigente_desde)})`),
      textoTerminos(t),
      h("div", { class: "casilla" }, casilla, h("label", { for: casilla.id }, "He leído y acepto las condiciones de este servicio")),
      h("div", { class: "acciones" }, botonCancelar || null, continuar),
    ),
  );
  casilla.focus();
}

/** «Ver Términos y condiciones»: los muestra en un diálogo modal. */
export async function verTerminos(id) {
  const t = await terminos(id);
  const cerrar = h("button", { type: "button", class: "primario" }, "Cerrar");
  const tituloId = nuevoId("dlg");
  const dlg = h(
    "dialog",
    { class: "dialogo", "aria-labelledby": tituloId },
    h("h2", { id: tituloId }, t.titulo),
    h("p", { class: "ayuda" }, `Versión ${t.version}, vigente desde ${fechaGuia(t.vigente_desde)}`),
    textoTerminos(t),
    h("div", { class: "acciones" }, cerrar),
  );
  cerrar.addEventListener("click", () => dlg.close());
  dlg.addEventListener("close", () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  cerrar.focus();
}

/** Un diálogo de confirmación accesible; resuelve true con «Continuar». */
export function confirmar({ titulo, mensaje, aceptar = "Continuar", cancelar = "Cancelar" }) {
  return new Promise((resolver) => {
    const tituloId = nuevoId("dlg");
    const si = h("button", { type: "button", class: "primario" }, aceptar);
    const no = h("button", { type: "button", class: "secundario" }, cancelar);
    const dlg = h(
      "dialog",
      { class: "dialogo", "aria-labelledby": tituloId },
      h("h2", { id: tituloId }, titulo),
      h("p", {}, mensaje),
      h("div", { class: "acciones" }, no, si),
    );
    let respuesta = false;
    si.addEventListener("click", () => {
      respuesta = true;
      dlg.close();
    });
    no.addEventListener("click", () => dlg.close());
    dlg.addEventListener("close", () => {
      dlg.remove();
      resolver(respuesta);
    });
    document.body.append(dlg);
    dlg.showModal();
    no.focus();
  });
}
