// Pestaña «Relaciones de confianza» (guía 000): términos, «Ver Términos y condiciones»,
// «Exportar tabla», «Adicionar relación», la tabla con las columnas de la guía, acuses y «Borrar».

import { actoFirmado, api, descargar, ErrorApi } from "./api.js";
import {
  anunciar, campo, confirmar, errorEn, errorGeneral, fechaGuia, firmarYConfirmar, h, horaGuia,
  limpiarErrores, listaDatos, nuevoId, puertaTerminos, textoDeTerminos, tituloPestana, verTerminos,
} from "./ui.js";

const TERMINOS = "relaciones-de-confianza";

const TITULO = "Relaciones de confianza del Servicio de intercomunicación";

export async function mostrar(panel, sesion) {
  if (sesion.rol === "desarrollador") {
    return tabla(panel, sesion);
  }
  const zona = h("div", {});
  panel.replaceChildren(tituloPestana(TITULO, "relaciones", { id: "relaciones-titulo" }), zona);
  await puertaTerminos(zona, TERMINOS, () => tabla(panel, sesion));
}

async function tabla(panel, sesion, pagina = 1) {
  const datos = await api(`/api/v1/relaciones?pagina=${pagina}`);
  const esPatron = datos.rol === "patron";
  const zona = h("div", { id: "zona-relaciones" });
  const titulo = tituloPestana(TITULO, "relaciones", { id: "relaciones-titulo" });
  const botones = esPatron
    ? h(
        "div",
        { class: "acciones" },
        h("button", { type: "button", class: "secundario", onclick: () => verTerminos(TERMINOS) }, "Ver Términos y condiciones"),
        h("button", { type: "button", class: "secundario", onclick: (ev) => exportar(ev.currentTarget) }, "Exportar tabla"),
        h("button", { type: "button", class: "primario", onclick: () => formularioAlta(panel, zona, datos, sesion) }, "Adicionar relación"),
      )
    : h("p", {}, "Patrones que te autorizaron a consultar sus avisos (solo lectura).");
  const contenido = h("div", { id: "contenido-tabla" }, tablaRelaciones(datos, panel, zona, sesion), paginas(datos, panel, sesion));
  panel.replaceChildren(titulo, botones, zona, contenido);
}

/** Vuelve a leer la tabla bajo el acuse, sin tocar el acuse (nada de «Relaciones (0)» viejo). */
async function refrescarTabla(panel, zona, sesion) {
  const contenido = panel.querySelector("#contenido-tabla");
  if (!contenido) return;
  const datos = await api("/api/v1/relaciones?pagina=1");
  contenido.replaceChildren(tablaRelaciones(datos, panel, zona, sesion), paginas(datos, panel, sesion));
}

// Una respuesta trae a lo más 10,000 relaciones; una tabla mayor se recorre por páginas.
function paginas(datos, panel, sesion) {
  const ultima = Math.max(1, Math.ceil(datos.total / datos.por_pagina));
  if (ultima === 1 && datos.pagina === 1) {
    return "";
  }
  const ir = (p) => tabla(panel, sesion, p).catch((e) => anunciar(e.mensaje || String(e)));
  return h(
    "nav",
    { class: "acciones", "aria-label": "Páginas de la tabla de relaciones" },
    h("button", { type: "button", class: "secundario", disabled: datos.pagina <= 1, onclick: () => ir(datos.pagina - 1) }, "Anterior"),
    h("span", {}, `Página ${datos.pagina} de ${ultima} (${datos.total} relaciones)`),
    h("button", { type: "button", class: "secundario", disabled: !datos.hay_mas, onclick: () => ir(datos.pagina + 1) }, "Siguiente"),
  );
}

async function exportar(boton) {
  boton.disabled = true;
  try {
    await descargar("/api/v1/relaciones/exportacion", "relaciones-de-confianza.xlsx");
    anunciar("Tabla exportada a Excel (relaciones-de-confianza.xlsx).");
  } catch (e) {
    anunciar(e.mensaje || String(e));
  } finally {
    boton.disabled = false;
  }
}

function descargarAcuse(ruta, nombre) {
  descargar(ruta, nombre)
    .then(() => anunciar(`Acuse descargado (${nombre}).`))
    .catch((e) => anunciar(e.mensaje || String(e)));
}

function folioDe(ruta) {
  return ruta.split("/").pop().split("?")[0];
}

function celda(columna, r, ctx) {
  const t = r.texto || {};
  switch (columna) {
    case "No. de Caso": return r.no_caso;
    case "RFC": return r.rfc;
    case "Razón social": return r.razon_social;
    case "Servicios de Intercomunicación": return r.servicio;
    case "Fecha inicio vigencia": return t.fecha_inicio_vigencia || fechaGuia(r.fecha_inicio_vigencia);
    case "Fin de vigencia": return t.fin_vigencia || fechaGuia(r.fin_vigencia);
    case "Fecha cancelación anticipada": return t.fecha_cancelacion_anticipada || fechaGuia(r.fecha_cancelacion_anticipada);
    // «Relación no vigente» lleva su motivo debajo (vigencia terminada o certificación cancelada).
    case "Estatus":
      return r.motivo
        ? [h("span", { class: "estatus" }, r.estatus), h("span", { class: "motivo" }, r.motivo.texto)]
        : r.estatus;
    case "Acuse":
      return r.acuse
        ? h("button", { type: "button", class: "enlace", "aria-label": `Descargar acuse del caso ${r.no_caso}`, onclick: () => descargarAcuse(r.acuse, `acuse-${folioDe(r.acuse)}.pdf`) }, "Descargar")
        : "";
    case "Cancelación":
      if (r.cancelable) {
        return h("button", { type: "button", class: "enlace", "aria-label": `Borrar la relación ${r.no_caso}`, onclick: () => borrar(r, ctx) }, "Borrar");
      }
      return r.acuse_cancelacion
        ? h("button", { type: "button", class: "enlace", "aria-label": `Descargar acuse de cancelación del caso ${r.no_caso}`, onclick: () => descargarAcuse(r.acuse_cancelacion, `acuse-${folioDe(r.acuse_cancelacion)}.pdf`) }, "Acuse de cancelación")
        : "";
    default: return "";
  }
}

function tablaRelaciones(datos, panel, zona, sesion) {
  const ctx = { panel, zona, sesion };
  const columnas = datos.columnas;
  const cuerpo = datos.relaciones.length
    ? datos.relaciones.map((r) => h("tr", { dataset: { caso: r.no_caso } }, columnas.map((c, i) => (i === 0 ? h("th", { scope: "row" }, celda(c, r, ctx)) : h("td", {}, celda(c, r, ctx))))))
    : [h("tr", {}, h("td", { colspan: String(columnas.length) }, "No hay relaciones de confianza registradas."))];
  return h(
    "div",
    { class: "tabla" },
    h(
      "table",
      { id: "tabla-relaciones" },
      h("caption", {}, `Relaciones de confianza (${datos.relaciones.length})`),
      h("thead", {}, h("tr", {}, columnas.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, cuerpo),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Adicionar relación
// ---------------------------------------------------------------------------------------------

const CAMPO_DE_CODIGO = {
  CONTRASENA_INCORRECTA: "contrasena",
  CONTRASENA_NO_GENERADA: "contrasena",
  DESARROLLADOR_NO_CERTIFICADO: "rfc",
  RFC_DESARROLLADOR_INVALIDO: "rfc",
  RELACION_DUPLICADA: "rfc",
  VIGENCIA_FIN_PASADA: "vigencia",
  VIGENCIA_EXCEDE_MAXIMO: "vigencia",
  VIGENCIA_INICIO_INVALIDA: "vigencia",
  FECHA_VIGENCIA_INVALIDA: "vigencia",
  SERVICIO_INVALIDO: "servicio",
};

function formularioAlta(panel, zona, datos, sesion) {
  const v = datos.vigencias;
  const servicio = h("select", { required: true }, datos.servicios.map((s) => h("option", { value: s }, s)));
  const listaRfc = nuevoId("lista-rfc");
  const listaNombre = nuevoId("lista-nombre");
  const rfc = h("input", { type: "text", list: listaRfc, autocomplete: "off", spellcheck: "false", maxlength: "13", "aria-required": "true" });
  const nombre = h("input", { type: "text", list: listaNombre, autocomplete: "off" });
  const vigencia = h("select", { required: true, "aria-required": "true" },
    h("option", { value: "" }, "Selecciona"),
    // Las del servicio: de 1 a 24 meses (el ejemplo de la guía es de dos meses).
    v.opciones.map((o) => h("option", { value: o.fin_vigencia, dataset: { etiqueta: o.etiqueta } }, `${o.etiqueta} (hasta el ${o.fin_vigencia_texto})`)),
  );
  const contrasena = h("input", { type: "password", autocomplete: "off", "aria-required": "true" });
  const controles = { servicio, rfc, vigencia, contrasena };
  const resultados = new Map();
  const general = errorGeneral();
  const efirma = h("div", {});
  const aceptar = h("button", { type: "submit", class: "primario" }, "Aceptar");
  const cancelar = h("button", { type: "button", class: "secundario", onclick: () => zona.replaceChildren() }, "Cancelar");

  let temporizador = null;
  const buscar = (texto) => {
    clearTimeout(temporizador);
    if (texto.trim().length < 2) return;
    temporizador = setTimeout(async () => {
      try {
        const r = await api(`/api/v1/desarrolladores?q=${encodeURIComponent(texto.trim())}`);
        for (const d of r.resultados) resultados.set(d.rfc, d);
        document.getElementById(listaRfc).replaceChildren(...r.resultados.map((d) => h("option", { value: d.rfc }, d.razon_social)));
        document.getElementById(listaNombre).replaceChildren(...r.resultados.map((d) => h("option", { value: d.razon_social }, d.rfc)));
        errorEn(rfc, r.resultados.length ? "" : "Ningún desarrollador certificado coincide. Si no aparece en el listado, aún no está certificado y no podrás crear la relación.");
        const exacto = resultados.get(rfc.value.trim());
        if (exacto && !nombre.value) nombre.value = exacto.razon_social;
      } catch (_) {
        /* búsqueda corta o sin sesión: se informa al enviar */
      }
    }, 250);
  };
  rfc.addEventListener("input", () => {
    rfc.value = rfc.value.toUpperCase();
    buscar(rfc.value);
    const d = resultados.get(rfc.value);
    if (d) nombre.value = d.razon_social;
  });
  nombre.addEventListener("input", () => {
    buscar(nombre.value);
    const d = [...resultados.values()].find((x) => x.razon_social === nombre.value);
    if (d) rfc.value = d.rfc;
  });

  const form = h(
    "form",
    { novalidate: true, "aria-labelledby": "alta-titulo", id: "form-alta" },
    h("h3", { id: "alta-titulo" }, "Añadir relación de confianza"),
    campo({ etiqueta: "Servicio de Intercomunicación*", control: servicio }),
    campo({ etiqueta: "RFC del desarrollador*", control: rfc, ayuda: "Escribe el RFC o el nombre: solo aparecen desarrolladores certificados." }),
    campo({ etiqueta: "Nombre del desarrollador", control: nombre }),
    h("datalist", { id: listaRfc }),
    h("datalist", { id: listaNombre }),
    campo({ etiqueta: "Vigencia*", control: vigencia, ayuda: `Inicia hoy, ${fechaGuia(v.inicio_vigencia)}; máximo hasta el ${fechaGuia(v.fin_maximo)}.` }),
    campo({ etiqueta: "Contraseña del servicio*", control: contrasena, ayuda: "La que generaste en la pestaña «Generación de contraseña»." }),
    h("p", { class: "nota" }, "*Datos obligatorios"),
    general,
    h("div", { class: "acciones" }, cancelar, aceptar),
  );
  const bloquear = (si) => {
    for (const c of [servicio, rfc, nombre, vigencia, contrasena, aceptar]) c.disabled = si;
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    limpiarErrores(form);
    const faltan = [];
    if (!/^[A-ZÑ&]{3,4}\d{6}[A-Z\d]{3}$/.test(rfc.value.trim())) faltan.push([rfc, "Escribe el RFC del desarrollador (12 o 13 caracteres)."]);
    if (!vigencia.value) faltan.push([vigencia, "Selecciona la vigencia de la relación."]);
    if (!contrasena.value) faltan.push([contrasena, "Escribe la contraseña del servicio."]);
    if (faltan.length) {
      for (const [c, m] of faltan) errorEn(c, m);
      faltan[0][0].focus();
      return;
    }
    bloquear(true);
    const contrasenaServicio = contrasena.value;
    const desarrollador = resultados.get(rfc.value.trim());
    const opcion = vigencia.selectedOptions[0];
    efirma.replaceChildren(
      firmarYConfirmar({
        rfcSugerido: sesion.rfc,
        acto: () => ({
          ruta: "/api/v1/relaciones",
          accion: "ADICIONAR_RELACION",
          terminos: TERMINOS,
          datos: [
            ["servicio", servicio.value],
            ["rfc_desarrollador", rfc.value.trim()],
            ["inicio_vigencia", v.inicio_vigencia],
            ["fin_vigencia", vigencia.value],
          ],
          extra: { contrasena: contrasenaServicio },
        }),
        // La guía: «el servicio te mostrará nuevamente los Términos y Condiciones, haz clic en
        // Continuar para concluir este proceso».
        confirmacion: {
          titulo: "Términos y condiciones",
          id: "confirmacion-alta",
          contenido: (preparado) => [
            listaDatos([
              ["Servicio de Intercomunicación", servicio.value],
              ["RFC del desarrollador", rfc.value.trim()],
              ["Nombre del desarrollador", (desarrollador && desarrollador.razon_social) || nombre.value || "—"],
              ["Vigencia", `${fechaGuia(v.inicio_vigencia)} al ${fechaGuia(vigencia.value)}${opcion ? ` (${opcion.dataset.etiqueta || ""})` : ""}`],
            ]),
            ...textoDeTerminos(preparado.terminos),
          ],
        },
        alCancelar: () => {
          efirma.replaceChildren();
          bloquear(false);
          aceptar.focus();
        },
        alRechazo: (e) => {
          const c = e instanceof ErrorApi && controles[CAMPO_DE_CODIGO[e.codigo]];
          if (!c) return false;
          // Error de un dato del formulario: se regresa al formulario, junto al campo.
          efirma.replaceChildren();
          bloquear(false);
          errorEn(c, e.mensaje);
          c.focus();
          return true;
        },
        alEnviar: (r) => acuseAlta(panel, zona, r, sesion),
      }),
    );
    efirma.querySelector("input").focus();
  });
  zona.replaceChildren(form, efirma);
  rfc.focus();
}

function acuseAlta(panel, zona, r, sesion) {
  const continuar = h("button", { type: "button", class: "primario", onclick: () => tabla(panel, sesion) }, "Continuar");
  zona.replaceChildren(
    h(
      "section",
      { class: "tarjeta", "aria-labelledby": "acuse-titulo" },
      h("h3", { id: "acuse-titulo" }, "Registro de Relaciones de Confianza"),
      h("p", { class: "exito" }, "La relación de confianza se registró con éxito."),
      h("p", {}, `Fecha: ${fechaGuia(r.fecha)} Hora: ${horaGuia(r.fecha)}`),
      h("h4", {}, "Datos de identificación del solicitante"),
      h("dl", { class: "datos" },
        h("dt", {}, "Folio"), h("dd", { id: "acuse-folio" }, r.folio),
        h("dt", {}, "RFC"), h("dd", {}, r.rfc),
        h("dt", {}, "Nombre, Denominación o Razón Social"), h("dd", {}, r.nombre),
        h("dt", {}, "Desarrollador"), h("dd", {}, `${r.relacion.rfc} — ${r.relacion.razon_social}`),
        h("dt", {}, "Vigencia"), h("dd", {}, `${r.relacion.texto.fecha_inicio_vigencia} al ${r.relacion.texto.fin_vigencia}`),
      ),
      h("div", { class: "acciones" },
        h("button", { type: "button", class: "secundario", onclick: () => descargarAcuse(r.acuse, `acuse-${r.folio}.pdf`) }, "Descargar acuse"),
        continuar,
      ),
    ),
  );
  anunciar(`Relación de confianza registrada. No. de Caso ${r.folio}.`);
  continuar.focus();
  refrescarTabla(panel, zona, sesion).catch((e) => anunciar(e.mensaje || String(e)));
}

// ---------------------------------------------------------------------------------------------
// Borrar (cancelación)
// ---------------------------------------------------------------------------------------------

async function borrar(r, { panel, zona, sesion }) {
  // La guía: confirmación, e.firma («Validar»), «Solicitud de trámite» con «Cancelar» /
  // «Continuar»; solo «Continuar» envía la cancelación.
  const si = await confirmar({
    titulo: "Cancelación de la relación de confianza",
    mensaje: `¿Deseas cancelar la relación de confianza ${r.no_caso} con ${r.razon_social} (${r.rfc})? El desarrollador dejará de consultar los avisos de tus trabajadores.`,
  });
  if (!si) return;
  zona.replaceChildren(
    h("h3", {}, "Cancelar relación de confianza"),
    firmarYConfirmar({
      rfcSugerido: sesion.rfc,
      acto: () => ({
        ruta: `/api/v1/relaciones/${encodeURIComponent(r.no_caso)}/cancelacion`,
        accion: "CANCELAR_RELACION",
        datos: [["no_caso", r.no_caso]],
      }),
      confirmacion: {
        titulo: "Solicitud de trámite",
        id: "confirmacion-cancelacion",
        contenido: (preparado) => [
          h("p", {}, "Se cancelará la siguiente relación de confianza. Desde ese momento el desarrollador no podrá consultar los avisos de tus trabajadores."),
          listaDatos([
            ["No. de Caso", r.no_caso],
            ["RFC", r.rfc],
            ["Razón social", r.razon_social],
            ["Servicios de Intercomunicación", r.servicio],
            ["Vigencia", `${(r.texto && r.texto.fecha_inicio_vigencia) || fechaGuia(r.fecha_inicio_vigencia)} al ${(r.texto && r.texto.fin_vigencia) || fechaGuia(r.fin_vigencia)}`],
            ["Fecha cancelación anticipada", fechaGuia(preparado.cuerpo.fecha)],
          ]),
        ],
      },
      alCancelar: () => zona.replaceChildren(),
      alEnviar: (res) => {
        // De vuelta en la tabla, con la relación cancelada y su acuse.
        zona.replaceChildren(
          h(
            "section",
            { class: "tarjeta", "aria-labelledby": "cancelacion-titulo" },
            h("h3", { id: "cancelacion-titulo" }, "Cancelación de la relación de confianza"),
            h("p", { class: "exito" }, `La relación de confianza ${r.no_caso} se canceló.`),
            listaDatos([
              ["Folio", res.folio],
              ["Fecha", `${fechaGuia(res.fecha)} ${horaGuia(res.fecha)}`],
              ["Estatus", res.relacion.estatus],
            ]),
            h("div", { class: "acciones" },
              h("button", { type: "button", class: "secundario", onclick: () => descargarAcuse(res.acuse, `acuse-${res.folio}.pdf`) }, "Descargar acuse"),
            ),
          ),
        );
        anunciar(`Relación ${r.no_caso} cancelada. Folio ${res.folio}.`);
        refrescarTabla(panel, zona, sesion).catch((e) => anunciar(e.mensaje || String(e)));
      },
    }),
  );
  zona.querySelector("input").focus();
}
