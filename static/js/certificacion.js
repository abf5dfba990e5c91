// Pestaña «Certificación para desarrolladores» (guía 002): Solicitud de Certificación y
// Seguimiento a Certificación (folio, estatus, fecha), envío de evidencias con barra de avance,
// aprobación con responsiva firmada y cancelación con su acuse (una sola vez).

import { actoFirmado, api, descargar, ErrorApi, subir } from "./api.js";
import {
  anunciar, campo, errorEn, errorGeneral, fechaGuia, firmarYConfirmar, h, horaGuia, limpiarErrores,
  listaDatos, ocupado, puertaTerminos, textoDeTerminos, tituloPestana,
} from "./ui.js";

const LIMITE_EVIDENCIA = 5 * 1024 * 1024;

export async function mostrar(panel, sesion) {
  if (sesion.rol !== "desarrollador") {
    panel.replaceChildren(
      tituloPestana("Certificación para desarrolladores", "certificacion"),
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
  // El acuse de cancelación se ofrece durante toda la sesión, también tras recargar la página.
  const acuse = acuseGuardado(sesion, cert);
  if (acuse) return cancelada(panel, sesion, acuse);
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
  return [tituloPestana("Certificación para desarrolladores", "certificacion"), pasos(actual)];
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
    // Mientras se firma y se confirma, los datos firmados no cambian en pantalla.
    const bloquear = (si) => {
      for (const c of [razon, correo, continuar]) c.disabled = si;
    };
    bloquear(true);
    const razonSocial = razon.value.trim();
    const correoSolicitud = correo.value.trim();
    efirma.replaceChildren(
      firmarYConfirmar({
        rfcSugerido: sesion.rfc,
        acto: () => ({
          ruta: "/api/v1/certificaciones",
          accion: "SOLICITAR_CERTIFICACION",
          terminos: "certificacion-solicitud",
          datos: [["razon_social", razonSocial], ["correo", correoSolicitud]],
        }),
        // La guía: «el servicio te mostrará el archivo Solicitud del Trámite, haz clic en
        // Continuar para concluir este proceso».
        confirmacion: {
          titulo: "Solicitud del Trámite",
          id: "confirmacion-solicitud",
          contenido: (preparado) => [
            listaDatos([
              ["RFC", preparado.cuerpo.rfc],
              ["Nombre, Denominación o Razón Social", razonSocial],
              ["Correo electrónico", correoSolicitud],
            ]),
            ...textoDeTerminos(preparado.terminos),
          ],
        },
        alCancelar: () => {
          efirma.replaceChildren();
          bloquear(false);
          continuar.focus();
        },
        alRechazo: (e) => {
          const c = e instanceof ErrorApi && campos[e.codigo];
          if (!c) return false;
          efirma.replaceChildren();
          bloquear(false);
          errorEn(c, e.mensaje);
          c.focus();
          return true;
        },
        alEnviar: (r) => tramiteRegistrado(panel, sesion, r, "Términos y Condiciones firmados", "La solicitud de certificación se registró con éxito. Recibirás por correo el set de pruebas."),
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
    const p = c.plazo;
    // El plazo corre desde la entrega del correo (guía 002); mientras no sale, se dice cómo contará.
    if (p.iniciado === false) {
      bloques.push(h("p", { id: "plazo" }, `Plazo: ${p.vence_texto}.`));
    } else {
      const quien = c.clave_estatus === "en-analisis" ? "Respuesta del Instituto a más tardar" : "Fecha límite";
      const desde = p.cuenta_desde ? `, contados a partir de ${p.cuenta_desde}` : "";
      bloques.push(h("p", { id: "plazo" }, `${quien}: ${p.vence_texto}; quedan ${p.dias_habiles_restantes} de ${p.dias_habiles} días hábiles${desde}.`));
    }
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
  // «Descargar responsiva»: la última firmada (la de la aprobación, ya autorizada; el servicio
  // la da en `responsiva`); la de la solicitud, aparte, cuando ya no es esa.
  if (c.responsiva) {
    const aprobacion = c.responsiva_aprobacion && c.responsiva === c.responsiva_aprobacion;
    botones.append(h("button", { type: "button", class: "secundario", onclick: () => bajar(c.responsiva, `responsiva-${aprobacion ? "aprobacion-" : ""}${c.folio}.pdf`) }, "Descargar responsiva"));
  }
  const solicitudAparte = c.responsiva_solicitud && c.responsiva_solicitud !== c.responsiva ? c.responsiva_solicitud : null;
  if (solicitudAparte) {
    botones.append(h("button", { type: "button", class: "secundario", onclick: () => bajar(solicitudAparte, `responsiva-solicitud-${c.folio}.pdf`) }, "Descargar responsiva de la solicitud"));
  } else if (c.responsiva_aprobacion && c.responsiva_aprobacion !== c.responsiva) {
    // Un servicio que aún da en `responsiva` la de la solicitud.
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
  // La guía: términos con la casilla y «Continuar», e.firma («Validar»), los términos otra vez
  // con «Cancelar» / «Continuar»; solo «Continuar» firma la aprobación ante el servicio.
  await puertaTerminos(
    zona,
    "certificacion-aprobacion",
    () => {
      zona.replaceChildren(
        firmarYConfirmar({
          rfcSugerido: sesion.rfc,
          acto: () => ({
            ruta: `/api/v1/certificaciones/${encodeURIComponent(c.folio)}/aceptacion`,
            accion: "ACEPTAR_APROBACION",
            terminos: "certificacion-aprobacion",
            datos: [["folio", c.folio]],
          }),
          confirmacion: {
            titulo: "Solicitud de trámite",
            id: "confirmacion-aprobacion",
            contenido: (preparado) => [
              listaDatos([["Folio", c.folio], ["RFC", preparado.cuerpo.rfc], ["Trámite", "Aceptación de la aprobación de la certificación"]]),
              ...textoDeTerminos(preparado.terminos),
            ],
          },
          alCancelar: () => mostrar(panel, sesion),
          alEnviar: (r) => tramiteRegistrado(panel, sesion, r, "Certificación autorizada", "Certificación autorizada: ya apareces en el directorio de desarrolladores certificados."),
        }),
      );
      zona.querySelector("input").focus();
    },
    { botonCancelar: h("button", { type: "button", class: "secundario", onclick: () => mostrar(panel, sesion) }, "Cancelar") },
  );
}

function cancelar(panel, zona, sesion, c) {
  // La guía: «Cancelar certificación», e.firma («Validar»), el mensaje de confirmación en la
  // «Solicitud de trámite» con «Cancelar» / «Continuar»; solo «Continuar» cancela.
  zona.replaceChildren(
    h("h3", {}, "Cancelar certificación"),
    firmarYConfirmar({
      rfcSugerido: sesion.rfc,
      acto: () => ({
        ruta: `/api/v1/certificaciones/${encodeURIComponent(c.folio)}/cancelacion`,
        accion: "CANCELAR_CERTIFICACION",
        terminos: "certificacion-cancelacion",
        datos: [["folio", c.folio]],
      }),
      confirmacion: {
        titulo: "Solicitud de trámite",
        id: "confirmacion-cancelacion-certificacion",
        contenido: (preparado) => [
          h("p", { class: "importante" }, "¿Estás seguro de cancelar tu certificación? Dejarás de aparecer en el directorio de desarrolladores certificados y las relaciones de confianza que te otorgaron ya no permitirán consultar avisos."),
          listaDatos([["Folio", c.folio], ["RFC", preparado.cuerpo.rfc], ["Trámite", "Cancelación de la certificación"]]),
          ...textoDeTerminos(preparado.terminos),
        ],
      },
      alCancelar: () => zona.replaceChildren(),
      alEnviar: (r) => {
        guardarAcuse(sesion, r);
        cancelada(panel, sesion, r);
      },
    }),
  );
  zona.querySelector("input").focus();
}

// El acuse de cancelación viene una sola vez en la respuesta; se guarda en sessionStorage (de
// esta pestaña, se borra al cerrar la sesión) para que una recarga no lo pierda.
function claveAcuse(sesion) {
  return `acuse-cancelacion:${sesion.rfc}`;
}

function guardarAcuse(sesion, r) {
  try {
    sessionStorage.setItem(claveAcuse(sesion), JSON.stringify({
      folio: r.folio, fecha: r.fecha, rfc: r.rfc, nombre: r.nombre,
      certificacion: { folio: r.certificacion.folio },
      acuse_cancelacion: { pdf_base64: r.acuse_cancelacion.pdf_base64, aviso: r.acuse_cancelacion.aviso },
    }));
  } catch (_) {
    /* sin espacio: el acuse sigue en pantalla hasta la recarga */
  }
}

function acuseGuardado(sesion, cert) {
  try {
    const r = JSON.parse(sessionStorage.getItem(claveAcuse(sesion)) || "null");
    if (r && cert.clave_estatus === "cancelada" && r.certificacion.folio === cert.folio) return r;
  } catch (_) {
    /* ilegible: se ignora */
  }
  return null;
}

/** El acuse de cancelación: en la respuesta del acto y, en esta sesión, en sessionStorage. */
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
  // El aviso del servicio ya trae «Para volver a certificar…»: cada frase una vez.
  const aviso = r.acuse_cancelacion.aviso ||
    "Descarga el acuse de cancelación, solo se mostrará en esta sesión. Para volver a certificar tendrás que volver a realizar la solicitud.";
  panel.replaceChildren(
    ...encabezado("Seguimiento a Certificación"),
    h(
      "section",
      { class: "tarjeta", "aria-labelledby": "cancelada-titulo" },
      h("h3", { id: "cancelada-titulo", class: "exito" }, "✓ La cancelación de la certificación se realizó con éxito."),
      listaDatos([["Folio", r.folio], ["RFC", r.rfc], ["Razón Social", r.nombre]]),
      h("div", { class: "acciones" }, boton),
      h("div", { class: "importante", role: "note", id: "aviso-cancelacion" },
        h("p", {}, h("strong", {}, "Importante")),
        aviso.split(/(?<=\.)\s+/).map((frase) => h("p", {}, frase)),
      ),
      h("p", {}, "También recibirás un correo con la confirmación de la cancelación de certificación."),
      h("div", { class: "acciones" }, h("button", { type: "button", class: "secundario", onclick: () => solicitud(panel, sesion) }, "Solicitar certificación")),
    ),
  );
  anunciar("La cancelación de la certificación se realizó con éxito.");
  boton.focus();
}
