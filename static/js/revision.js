// Pestaña del analista: bandeja de solicitudes de certificación por estatus, detalle con la
// evidencia y su calificación automática, y el dictamen firmado (aprobar o inconsistencias).
// Incluye el registro directo de desarrolladores (REGISTRAR_DESARROLLADOR).

import { actoFirmado, api, descargar, ErrorApi } from "./api.js";
import { anunciar, campo, errorEn, errorGeneral, fechaGuia, h, limpiarErrores, nuevoId, panelEfirma, tituloPestana } from "./ui.js";

const ESTATUS = [
  ["en-analisis", "En análisis"],
  ["en-espera", "En espera de documentos"],
  ["aprobado", "Aprobado"],
  ["autorizada", "Certificación autorizada"],
  ["cancelada", "Cancelada"],
  ["vencida", "Vencida"],
];

export async function mostrar(panel, sesion, estatus = "en-analisis") {
  const filtro = h("select", { id: nuevoId("estatus") }, ESTATUS.map(([v, t]) => h("option", { value: v, selected: v === estatus }, t)));
  const zona = h("div", { id: "zona-revision" });
  const lista = h("div", {});
  filtro.addEventListener("change", () => cargar(lista, zona, panel, sesion, filtro.value));
  panel.replaceChildren(
    tituloPestana("Revisión de certificaciones", "revision"),
    h("div", { class: "campo" }, h("label", { for: filtro.id }, "Solicitudes con estatus"), filtro),
    lista,
    zona,
    registroDesarrolladores(sesion),
  );
  await cargar(lista, zona, panel, sesion, estatus);
}

async function cargar(lista, zona, panel, sesion, estatus) {
  const b = await api(`/api/v1/analistas/certificaciones?estatus=${encodeURIComponent(estatus)}`);
  const filas = b.solicitudes.map((c) =>
    h("tr", {},
      h("th", { scope: "row" }, c.folio),
      h("td", {}, c.rfc),
      h("td", {}, c.razon_social),
      h("td", {}, c.estatus),
      h("td", {}, c.fecha_texto || fechaGuia(c.fecha)),
      // Una revisión pasada de sus 5 días hábiles es retraso del Instituto (nunca «Vencida»).
      h("td", {}, c.plazo ? c.plazo.vence_texto : "", c.atrasada ? h("span", { class: "motivo atrasada" }, `Atrasada ${c.dias_de_atraso} ${c.dias_de_atraso === 1 ? "día hábil" : "días hábiles"}`) : null),
      h("td", {}, String(c.ronda)),
      h("td", {}, h("button", { type: "button", class: "enlace", "aria-label": `Revisar la solicitud ${c.folio}`, onclick: () => detalle(zona, panel, sesion, c.folio) }, "Revisar")),
    ),
  );
  lista.replaceChildren(
    h("div", { class: "tabla" },
      h("table", { id: "tabla-solicitudes" },
        h("caption", {}, `Solicitudes (${b.solicitudes.length}${b.hay_mas ? "+" : ""})`),
        h("thead", {}, h("tr", {}, ["Folio", "RFC", "Razón social", "Estatus", "Fecha", "Fecha límite", "Ronda", "Revisión"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, filas.length ? filas : h("tr", {}, h("td", { colspan: "8" }, "No hay solicitudes con este estatus."))),
      ),
    ),
  );
}

/** Muestra cualquier valor JSON de forma legible (resumen y calificación de la evidencia). */
function valor(v) {
  if (v === null || v === undefined) return "—";
  if (Array.isArray(v)) {
    if (v.length && v.every((x) => x && typeof x === "object" && !Array.isArray(x))) {
      const columnas = [...new Set(v.flatMap((x) => Object.keys(x)))];
      return h("div", { class: "tabla" },
        h("table", {},
          h("thead", {}, h("tr", {}, columnas.map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, v.map((x) => h("tr", {}, columnas.map((c) => h("td", {}, valor(x[c])))))),
        ),
      );
    }
    return v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join(", ");
  }
  if (typeof v === "object") {
    return h("dl", { class: "datos" }, Object.entries(v).flatMap(([k, x]) => [h("dt", {}, k.replaceAll("_", " ")), h("dd", {}, valor(x))]));
  }
  if (typeof v === "boolean") return v ? "Sí" : "No";
  return String(v);
}

async function detalle(zona, panel, sesion, folio) {
  const c = await api(`/api/v1/analistas/certificaciones/${encodeURIComponent(folio)}`);
  const ev = c.evidencia;
  const bloques = [
    h("h3", { id: "detalle-titulo" }, `Solicitud ${c.folio}`),
    h("dl", { class: "datos" },
      h("dt", {}, "RFC"), h("dd", {}, c.rfc),
      h("dt", {}, "Razón social"), h("dd", {}, c.razon_social),
      h("dt", {}, "Correo"), h("dd", {}, c.correo),
      h("dt", {}, "Estatus"), h("dd", { id: "detalle-estatus" }, c.estatus),
      h("dt", {}, "Ronda"), h("dd", {}, String(c.ronda)),
      h("dt", {}, "Fecha límite"), h("dd", {}, c.plazo ? `${c.plazo.vence_texto} (${c.plazo.dias_habiles_restantes} días hábiles restantes)${c.atrasada ? `; atrasada ${c.dias_de_atraso} ${c.dias_de_atraso === 1 ? "día hábil" : "días hábiles"}` : ""}` : "—"),
    ),
  ];
  if (ev) {
    bloques.push(
      h("h4", {}, "Evidencia"),
      h("p", {}, `${ev.archivo} (${ev.bytes} bytes), recibida el ${fechaGuia(ev.recibida)}.`),
      h("div", { class: "acciones" }, h("button", { type: "button", class: "secundario", onclick: () => descargar(`/api/v1/analistas/certificaciones/${encodeURIComponent(c.folio)}/evidencia`, ev.archivo).catch((e) => anunciar(e.mensaje)) }, "Descargar evidencia")),
      h("h4", {}, "Resumen"), valor(ev.resumen),
      h("h4", {}, "Calificación automática"), h("div", { id: "calificacion" }, valor(ev.calificacion)),
    );
  }
  if (c.clave_estatus === "en-analisis") bloques.push(formularioDictamen(zona, panel, sesion, c));
  zona.replaceChildren(h("section", { class: "tarjeta ancha", "aria-labelledby": "detalle-titulo" }, ...bloques));
  zona.querySelector("h3").scrollIntoView();
}

function formularioDictamen(zona, panel, sesion, c) {
  const grupo = nuevoId("resultado");
  const aprobar = h("input", { type: "radio", name: grupo, value: "aprobar", id: `${grupo}-a` });
  const inconsistencias = h("input", { type: "radio", name: grupo, value: "inconsistencias", id: `${grupo}-i` });
  const observaciones = h("textarea", { rows: "4", maxlength: "2000" });
  const efirma = h("div", {});
  const general = errorGeneral();
  const firmar = h("button", { type: "submit", class: "primario" }, "Firmar dictamen");
  const resultadoError = h("p", { class: "error", id: `${grupo}-error` });
  const form = h(
    "form",
    { novalidate: true, "aria-labelledby": `${grupo}-t`, id: "form-dictamen" },
    h("h4", { id: `${grupo}-t` }, "Dictamen"),
    h("fieldset", { "aria-describedby": resultadoError.id },
      h("legend", {}, "Resultado*"),
      h("label", { for: aprobar.id }, aprobar, " Aprobar"),
      " ",
      h("label", { for: inconsistencias.id }, inconsistencias, " Con inconsistencias (se envía un nuevo set de pruebas)"),
      resultadoError,
    ),
    campo({ etiqueta: "Observaciones", control: observaciones, ayuda: "Obligatorias si hay inconsistencias (hasta 2,000 caracteres)." }),
    general,
    h("div", { class: "acciones" }, firmar),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    limpiarErrores(form);
    resultadoError.textContent = "";
    const resultado = aprobar.checked ? "aprobar" : inconsistencias.checked ? "inconsistencias" : "";
    if (!resultado) {
      resultadoError.textContent = "Elige el resultado del dictamen.";
      aprobar.focus();
      return;
    }
    if (resultado === "inconsistencias" && !observaciones.value.trim()) {
      errorEn(observaciones, "Describe las inconsistencias encontradas.");
      observaciones.focus();
      return;
    }
    firmar.disabled = true;
    efirma.replaceChildren(
      panelEfirma({
        rfcSugerido: sesion.rfc,
        alCancelar: () => {
          efirma.replaceChildren();
          firmar.disabled = false;
        },
        alValidar: async (cred) => {
          try {
            const r = await actoFirmado({
              ruta: `/api/v1/analistas/certificaciones/${encodeURIComponent(c.folio)}/dictamen`,
              accion: "DICTAMINAR_CERTIFICACION",
              datos: [["folio", c.folio], ["resultado", resultado], ["observaciones", observaciones.value]],
              credenciales: cred,
            });
            anunciar(`Dictamen registrado (folio ${r.folio}): ${r.certificacion.estatus}.`);
            await mostrar(panel, sesion);
          } catch (e) {
            if (!(e instanceof ErrorApi) || !e.codigo.startsWith("OBSERVACIONES")) throw e;
            efirma.replaceChildren();
            firmar.disabled = false;
            errorEn(observaciones, e.mensaje);
            observaciones.focus();
          }
        },
      }),
    );
    efirma.querySelector("input").focus();
  });
  return h("div", {}, form, efirma);
}

/** Registro directo del estatus de certificación de un desarrollador (analistas). */
function registroDesarrolladores(sesion) {
  const rfc = h("input", { type: "text", maxlength: "13", autocomplete: "off", "aria-required": "true" });
  const razon = h("input", { type: "text", maxlength: "254", "aria-required": "true" });
  const estatus = h("select", {}, h("option", { value: "autorizada" }, "Certificación autorizada"), h("option", { value: "cancelada" }, "Cancelada"));
  const efirma = h("div", {});
  const general = errorGeneral();
  const registrar = h("button", { type: "submit", class: "secundario" }, "Registrar");
  const form = h(
    "form",
    { novalidate: true, "aria-labelledby": "registro-titulo", id: "form-registro" },
    h("h3", { id: "registro-titulo" }, "Registro de desarrolladores"),
    h("p", { class: "ayuda" }, "Fija directamente el estatus de certificación de un desarrollador (por ejemplo, certificaciones anteriores a este servicio)."),
    campo({ etiqueta: "RFC del desarrollador*", control: rfc }),
    campo({ etiqueta: "Razón social*", control: razon }),
    campo({ etiqueta: "Estatus*", control: estatus }),
    general,
    h("div", { class: "acciones" }, registrar),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    limpiarErrores(form);
    rfc.value = rfc.value.trim().toUpperCase();
    if (!/^[A-ZÑ&]{3,4}\d{6}[A-Z\d]{3}$/.test(rfc.value)) {
      errorEn(rfc, "Escribe un RFC de 12 o 13 caracteres.");
      rfc.focus();
      return;
    }
    if (!razon.value.trim()) {
      errorEn(razon, "Escribe la razón social.");
      razon.focus();
      return;
    }
    registrar.disabled = true;
    efirma.replaceChildren(
      panelEfirma({
        rfcSugerido: sesion.rfc,
        alCancelar: () => {
          efirma.replaceChildren();
          registrar.disabled = false;
        },
        alValidar: async (cred) => {
          try {
            const r = await actoFirmado({
              ruta: "/api/v1/desarrolladores/registro",
              accion: "REGISTRAR_DESARROLLADOR",
              datos: [["rfc_desarrollador", rfc.value], ["razon_social", razon.value.trim()], ["estatus", estatus.value]],
              credenciales: cred,
            });
            efirma.replaceChildren();
            registrar.disabled = false;
            general.textContent = "";
            anunciar(`Desarrollador ${rfc.value} registrado (folio ${r.folio}).`);
            form.reset();
          } catch (e) {
            if (!(e instanceof ErrorApi) || !/RFC_DESARROLLADOR|RAZON_SOCIAL|ESTATUS/.test(e.codigo)) throw e;
            efirma.replaceChildren();
            registrar.disabled = false;
            errorEn(e.codigo.startsWith("RAZON") ? razon : e.codigo.startsWith("ESTATUS") ? estatus : rfc, e.mensaje);
          }
        },
      }),
    );
    efirma.querySelector("input").focus();
  });
  return h("div", {}, form, efirma);
}
