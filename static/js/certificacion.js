// Pestaña «Certificación para desarrolladores» (guía 002): Solicitud de Certificación y
// Seguimiento a Certificación (folio, estatus, fecha), envío de evidencias con barra de avance,
// aprobación con responsiva firmada y cancelación con su acuse (una sola vez).

import { actoFirmado, api, descargar, ErrorApi, subir } from "./api.js";
import {
  anunciar, campo, confirmar, errorEn, errorGeneral, fechaGuia, h, horaGuia, limpiarErrores,
  ocupado, panelEfirma, puertaTerminos,
} from "./ui.js";

const LIMITE_EVIDENCIA = 5 * 1024 * 1024;

export async function mostrar(panel, sesion) {
  if (sesion.rol !== "desarrollador") {
    panel.replaceChildren(
      h("h2", {}, "Certificación para desarrolladores"),
      h("p", {}, "Los desarrolladores de software de nómina solicitan aquí su certificación en el Servicio de Intercomunicación de Avisos. Ingresa con la e.firma del desarrollador para hacer el trámite."),
    );
    return;
  }
  let cert = null;
  try {
    cert = await api("/api/v1/certificaciones/actual");
  } catch (e) {
    if (!(e instanceof ErrorApi && e.status === 404)) throw e;
  }
  if (!cert) return solicitud(panel, sesion);
  seguimiento(panel, sesion, cert);
}

function pasos(actual) {
  return h(
    "ol",
    { class: "pasos", "aria-label": "Pasos del trámite" },
    ["Solicitud de Certificación", "Seguimiento a Certificación"].map((p) =>
      h("li", { "aria-current": p === actual ? "step" : null }, p === actual ? h("strong", {}, p) : p),
    ),
  );
}

function encabezado(actual) {
  return [h("h2", {}, "Certificación para desarrolladores"), pasos(actual)];
}

// ---------------------------------------------------------------------------------------------
// Solicitud de Certificación
// ---------------------------------------------------------------------------------------------

async function solicitud(panel, sesion) {
  const zona = h("div", {});
  panel.replaceChildren(...encabezado("Solicitud de Certificación"), zona);
  await puertaTerminos(zona, "certificacion-solicitud", () => formularioSolicitud(panel, zona, sesion), { botonCancelar: null });
}

function formularioSolicitud(panel, zona, sesion) {
  const razon = h("input", { type: "text", value: sesion.nombre || "", "aria-required": "true", maxlength: "254" });
  const correo = h("input", { type: "email", autocomplete: "email", "aria-required": "true", inputmode: "email" });
  const efirma = h("div", {});
  const general = errorGeneral();
  const continuar = h("button", { type: "submit", class: "primario" }, "Continuar");
  const form = h(
    "form",
    { novalidate: true, "aria-labelledby": "solicitud-titulo" },
    h("h3", { id: "solicitud-titulo" }, "Datos de la solicitud"),
    campo({ etiqueta: "Nombre, Denominación o Razón Social*", control: razon }),
    campo({ etiqueta: "Correo electrónico*", control: correo, ayuda: "Ahí recibirás el set de pruebas y los avisos del trámite." }),
    h("p", { class: "nota" }, "*Datos obligatorios"),
    general,
    h("div", { class: "acciones" }, continuar),
  );
  const campos = { CORREO_INVALIDO: correo, RAZON_SOCIAL_INVALIDA: razon };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    limpiarErrores(form);
    if (!razon.value.trim()) {
      errorEn(razon, "Escribe la razón social.");
      razon.focus();
      return;
    }
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(correo.value.trim())) {
      errorEn(correo, "Escribe un correo electrónico válido.");
      correo.focus();
      return;
    }
    continuar.disabled = true;
    efirma.replaceChildren(
      panelEfirma({
        rfcSugerido: sesion.rfc,
        alCancelar: () => {
          efirma.replaceChildren();
          continuar.disabled = false;
        },
        alValidar: async (cred) => {
          let r;
          try {
            r = await actoFirmado({
              ruta: "/api/v1/certificaciones",
              accion: "SOLICITAR_CERTIFICACION",
              terminos: "certificacion-solicitud",
              datos: [["razon_social", razon.value.trim()], ["correo", correo.value.trim()]],
              credenciales: cred,
            });
          } catch (e) {
            const c = e instanceof ErrorApi && campos[e.codigo];
            if (!c) throw e;
            efirma.replaceChildren();
            continuar.disabled = false;
            errorEn(c, e.mensaje);
            c.focus();
            return;
          }
          tramiteRegistrado(panel, sesion, r, "Solicitud de Trámite", "La solicitud de certificación se registró con éxito. Recibirás por correo el set de pruebas.");
        },
      }),
    );
    efirma.querySelector("input").focus();
  });
  zona.replaceChildren(form, efirma);
  razon.focus();
}

/** La pantalla tras un acto: datos del trámite, «Descargar responsiva» y «Continuar». */
function tramiteRegistrado(panel, sesion, r, titulo, mensaje) {
  const continuar = h("button", { type: "button", class: "primario", onclick: () => mostrar(panel, sesion) }, "Continuar");
  panel.replaceChildren(
    ...encabezado("Seguimiento a Certificación"),
    h(
      "section",
      { class: "tarjeta", "aria-labelledby": "tramite-titulo" },
      h("h3", { id: "tramite-titulo" }, titulo),
      h("p", { class: "exito" }, mensaje),
      h("dl", { class: "datos" },
        h("dt", {}, "Folio"), h("dd", {}, r.folio),
        h("dt", {}, "Fecha"), h("dd", {}, `${fechaGuia(r.fecha)} ${horaGuia(r.fecha)}`),
        h("dt", {}, "RFC"), h("dd", {}, r.rfc),
        h("dt", {}, "Razón Social"), h("dd", {}, r.nombre),
        h("dt", {}, "Estatus"), h("dd", {}, r.certificacion.estatus),
      ),
      h("div", { class: "acciones" },
        h("button", { type: "button", class: "secundario", onclick: () => bajar(r.acuse, `responsiva-${r.folio}.pdf`) }, "Descargar responsiva"),
        continuar,
      ),
    ),
  );
  anunciar(mensaje);
  continuar.focus();
}

function bajar(ruta, nombre) {
  return descargar(ruta, nombre)
    .then(() => anunciar(`Archivo descargado (${nombre}).`))
    .catch((e) => anunciar(e.mensaje || String(e)));
}

// ---------------------------------------------------------------------------------------------
// Seguimiento a Certificación
// ---------------------------------------------------------------------------------------------

function seguimiento(panel, sesion, c) {
  const zona = h("div", {});
  const acciones = new Set(c.acciones);
  const bloques = [
    h(
      "div",
      { class: "tarjeta seguimiento", id: "seguimiento" },
      h("span", {}, h("strong", {}, "Folio: "), h("span", { id: "cert-folio" }, c.folio)),
      h("span", {}, h("strong", {}, "Estatus: "), h("span", { id: "cert-estatus" }, c.estatus)),
      h("span", {}, h("strong", {}, "Fecha: "), c.fecha_texto || fechaGuia(c.fecha)),
    ),
  ];
  if (c.plazo) {
    bloques.push(h("p", {}, `Fecha límite: ${c.plazo.vence_texto} (${c.plazo.dias_habiles_restantes} días hábiles restantes de ${c.plazo.dias_habiles}).`));
  }
  // Con «Aprobado» la tarjeta de la aprobación dice ya qué sigue (texto de la guía).
  if (c.siguiente_paso && !acciones.has("aceptar-aprobacion")) bloques.push(h("p", { id: "siguiente-paso" }, c.siguiente_paso));
  if (c.observaciones && c.observaciones.length) {
    bloques.push(
      h("section", { class: "importante", "aria-labelledby": "obs-titulo" },
        h("h3", { id: "obs-titulo" }, "Inconsistencias detectadas"),
        h("ul", {}, c.observaciones.map((o) => h("li", {}, `Ronda ${o.ronda} (${fechaGuia(o.fecha)}): ${o.texto}`))),
      ),
    );
  }
  const botones = h("div", { class: "acciones" });
  if (acciones.has("descargar-set") && c.set_de_pruebas) {
    botones.append(h("button", { type: "button", class: "secundario", onclick: () => bajar(c.set_de_pruebas, `set-de-pruebas-${c.folio}-ronda-${c.ronda}.zip`) }, "Descargar set de pruebas"));
  }
  if (c.responsiva) {
    botones.append(h("button", { type: "button", class: "secundario", onclick: () => bajar(c.responsiva, `responsiva-${c.folio}.pdf`) }, "Descargar responsiva"));
  }
  if (c.responsiva_aprobacion) {
    botones.append(h("button", { type: "button", class: "secundario", onclick: () => bajar(c.responsiva_aprobacion, `responsiva-aprobacion-${c.folio}.pdf`) }, "Descargar responsiva de aprobación"));
  }
  if (acciones.has("cancelar")) {
    botones.append(h("button", { type: "button", class: "secundario", onclick: () => cancelar(panel, zona, sesion, c) }, "Cancelar certificación"));
  }
  if (acciones.has("solicitar")) {
    botones.append(h("button", { type: "button", class: "primario", onclick: () => solicitud(panel, sesion) }, "Solicitar certificación"));
  }
  if (c.clave_estatus === "autorizada") bloques.push(h("p", { class: "exito" }, "Certificación autorizada"));
  if (acciones.has("enviar-evidencias")) bloques.push(formularioEvidencias(panel, sesion, c));
  if (acciones.has("aceptar-aprobacion")) {
    bloques.push(
      h("div", { class: "tarjeta" },
        h("p", {}, "La certificación ha sido aprobada, para completar el trámite da clic en continuar."),
        h("button", {
          type: "button",
          class: "primario",
          onclick: (ev) => {
            ev.currentTarget.closest(".tarjeta").remove();
            aprobar(panel, zona, sesion, c);
          },
        }, "Continuar"),
      ),
    );
  }
  panel.replaceChildren(...encabezado("Seguimiento a Certificación"), ...bloques, botones, zona);
}

function formularioEvidencias(panel, sesion, c) {
  const archivo = h("input", { type: "file", accept: ".xls,.xlsx,application/vnd.ms-excel,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "aria-required": "true" });
  const avance = h("progress", { max: "100", value: "0", hidden: true, "aria-label": "Avance del envío" });
  const textoAvance = h("p", { class: "ayuda", "aria-live": "polite" });
  const problemas = h("div", {});
  const enviar = h("button", { type: "submit", class: "primario" }, "Enviar archivo");
  const form = h(
    "form",
    { novalidate: true, "aria-labelledby": "evid-titulo", id: "form-evidencias" },
    h("h3", { id: "evid-titulo" }, "Envío de evidencias"),
    h("p", {}, "Los archivos con los resultados de las pruebas no deben ser mayores a 5 MB."),
    campo({ etiqueta: "Archivo [.xls]*", control: archivo, ayuda: "Cuatro pestañas: 1) zip con los .json devueltos por el servicio; 2) resultados del cálculo de las amortizaciones (muestras y evaluación); 3) pantallas del sistema; 4) CFDI de nómina sin sellar." }),
    avance,
    textoAvance,
    problemas,
    h("div", { class: "acciones" }, enviar),
  );
  archivo.addEventListener("change", () => {
    errorEn(archivo, "");
    const f = archivo.files[0];
    if (f && f.size > LIMITE_EVIDENCIA) errorEn(archivo, `El archivo pesa ${(f.size / 1048576).toFixed(1)} MB: no debe ser mayor a 5 MB.`);
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    limpiarErrores(form);
    problemas.replaceChildren();
    const f = archivo.files[0];
    if (!f) {
      errorEn(archivo, "Selecciona el archivo .xls con los resultados de tus pruebas.");
      archivo.focus();
      return;
    }
    if (!/\.xlsx?$/i.test(f.name)) {
      errorEn(archivo, "El archivo debe ser de Excel (.xls o .xlsx).");
      archivo.focus();
      return;
    }
    // El límite se revisa antes de enviar: un archivo grande no sale del equipo.
    if (f.size > LIMITE_EVIDENCIA) {
      errorEn(archivo, `El archivo pesa ${(f.size / 1048576).toFixed(1)} MB: no debe ser mayor a 5 MB.`);
      archivo.focus();
      return;
    }
    ocupado(enviar, true, "Enviando…");
    avance.hidden = false;
    avance.value = 0;
    try {
      const tipo = /\.xlsx$/i.test(f.name)
        ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        : "application/vnd.ms-excel";
      await subir(`/api/v1/certificaciones/${encodeURIComponent(c.folio)}/evidencias?archivo=${encodeURIComponent(f.name)}`, f, {
        tipo,
        alAvanzar: (p) => {
          avance.value = Math.round(p * 100);
          textoAvance.textContent = `Enviado ${Math.round(p * 100)} %`;
        },
      });
      avance.value = 100;
      anunciar("Evidencias recibidas. Tu solicitud está «En análisis».");
      await mostrar(panel, sesion);
    } catch (e) {
      avance.hidden = true;
      textoAvance.textContent = "";
      ocupado(enviar, false);
      errorEn(archivo, e.mensaje || String(e));
      if (e instanceof ErrorApi && e.cuerpo && e.cuerpo.problemas) {
        problemas.append(listaProblemas(e.cuerpo.problemas));
      }
      archivo.focus();
    }
  });
  return form;
}

function listaProblemas(lista) {
  return h(
    "ul",
    { class: "error", "aria-label": "Problemas del archivo" },
    lista.map((p) => h("li", {}, `${p.pestana ? `Pestaña ${p.pestana}` : "Archivo"}${p.fila ? `, fila ${p.fila}` : ""}: ${p.mensaje}`)),
  );
}

// ---------------------------------------------------------------------------------------------
// Aprobación de Certificación y cancelación
// ---------------------------------------------------------------------------------------------

async function aprobar(panel, zona, sesion, c) {
  await puertaTerminos(
    zona,
    "certificacion-aprobacion",
    () => {
      zona.replaceChildren(
        panelEfirma({
          rfcSugerido: sesion.rfc,
          alCancelar: () => zona.replaceChildren(),
          alValidar: async (cred) => {
            const r = await actoFirmado({
              ruta: `/api/v1/certificaciones/${encodeURIComponent(c.folio)}/aceptacion`,
              accion: "ACEPTAR_APROBACION",
              terminos: "certificacion-aprobacion",
              datos: [["folio", c.folio]],
              credenciales: cred,
            });
            tramiteRegistrado(panel, sesion, r, "Certificación autorizada", "Certificación autorizada: ya apareces en el directorio de desarrolladores certificados.");
          },
        }),
      );
      zona.querySelector("input").focus();
    },
    { botonCancelar: h("button", { type: "button", class: "secundario", onclick: () => zona.replaceChildren() }, "Cancelar") },
  );
}

async function cancelar(panel, zona, sesion, c) {
  const si = await confirmar({
    titulo: "Cancelar certificación",
    mensaje: "Si cancelas tu certificación, dejarás de aparecer en el directorio y las relaciones de confianza que te otorgaron ya no permitirán consultar avisos. Para volver a certificarte tendrás que hacer una nueva solicitud. ¿Estás seguro?",
  });
  if (!si) return;
  await puertaTerminos(
    zona,
    "certificacion-cancelacion",
    () => {
      zona.replaceChildren(
        h("h3", {}, "Cancelar certificación"),
        panelEfirma({
          rfcSugerido: sesion.rfc,
          alCancelar: () => zona.replaceChildren(),
          alValidar: async (cred) => {
            const r = await actoFirmado({
              ruta: `/api/v1/certificaciones/${encodeURIComponent(c.folio)}/cancelacion`,
              accion: "CANCELAR_CERTIFICACION",
              terminos: "certificacion-cancelacion",
              datos: [["folio", c.folio]],
              credenciales: cred,
            });
            cancelada(panel, sesion, r);
          },
        }),
      );
      zona.querySelector("input").focus();
    },
    { botonCancelar: h("button", { type: "button", class: "secundario", onclick: () => zona.replaceChildren() }, "Cancelar") },
  );
}

/** El acuse de cancelación se ofrece una sola vez: viene en la respuesta y no se guarda. */
function cancelada(panel, sesion, r) {
  const pdf = Uint8Array.from(atob(r.acuse_cancelacion.pdf_base64), (ch) => ch.charCodeAt(0));
  const boton = h("button", { type: "button", class: "primario", id: "descargar-acuse-cancelacion" }, "Descargar acuse de cancelación");
  boton.addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([pdf], { type: "application/pdf" }));
    const a = h("a", { href: url, download: `acuse-cancelacion-${r.certificacion.folio}.pdf` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    anunciar("Acuse de cancelación descargado.");
  });
  panel.replaceChildren(
    ...encabezado("Seguimiento a Certificación"),
    h(
      "section",
      { class: "tarjeta", "aria-labelledby": "cancelada-titulo" },
      h("h3", { id: "cancelada-titulo", class: "exito" }, "✓ La cancelación de la certificación se realizó con éxito."),
      h("dl", { class: "datos" },
        h("dt", {}, "Folio"), h("dd", {}, r.folio),
        h("dt", {}, "RFC"), h("dd", {}, r.rfc),
        h("dt", {}, "Razón Social"), h("dd", {}, r.nombre),
      ),
      h("div", { class: "acciones" }, boton),
      h("div", { class: "importante", role: "note" },
        h("p", {}, h("strong", {}, "Importante")),
        h("p", {}, r.acuse_cancelacion.aviso || "Descarga el acuse de cancelación, solo se mostrará en esta sesión."),
        h("p", {}, "Para volver a certificar tendrás que volver a realizar la solicitud."),
      ),
      h("p", {}, "También recibirás un correo con la confirmación de la cancelación de certificación."),
      h("div", { class: "acciones" }, h("button", { type: "button", class: "secundario", onclick: () => solicitud(panel, sesion) }, "Solicitar certificación")),
    ),
  );
  anunciar("La cancelación de la certificación se realizó con éxito.");
  boton.focus();
}
