// Avisos: la publicación de avisos de un patrón (analistas, acto firmado) y la bitácora
// «Consultas de mis avisos» del patrón (quién consultó sus avisos y con qué resultado).

import { actoFirmado, api, descargar, ErrorApi } from "./api.js";
import { anunciar, campo, errorEn, errorGeneral, fechaGuia, h, horaGuia, limpiarErrores, panelEfirma, tituloPestana } from "./ui.js";

const LIMITE_PUBLICACION = 8 * 1024 * 1024;

async function sha256Hex(texto) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(texto));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function tablaErrores(errores, omitidos) {
  return h("div", { class: "tabla" },
    h("table", { id: "tabla-errores-avisos" },
      h("caption", {}, `Avisos con errores (${errores.length}${omitidos ? ` y ${omitidos} más` : ""})`),
      h("thead", {}, h("tr", {}, ["Posición", "Folio del aviso", "Campo", "Mensaje"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, errores.map((e) => h("tr", {}, h("td", {}, String(e.indice + 1)), h("td", {}, e.folio_aviso || "—"), h("td", {}, e.campo), h("td", {}, e.mensaje)))),
    ),
  );
}

/** Pestaña del analista: «Publicación de avisos». */
export async function mostrarPublicacion(panel, sesion) {
  const rfc = h("input", { type: "text", maxlength: "13", autocomplete: "off", "aria-required": "true", spellcheck: "false" });
  const archivo = h("input", { type: "file", accept: ".json,application/json", "aria-required": "true" });
  const general = errorGeneral();
  const efirma = h("div", {});
  const resultado = h("div", { id: "resultado-publicacion" });
  const publicar = h("button", { type: "submit", class: "primario" }, "Publicar avisos");
  const form = h(
    "form",
    { novalidate: true, "aria-labelledby": "publicacion-titulo", id: "form-publicacion" },
    h("h3", { id: "publicacion-titulo" }, "Publicar avisos de un patrón"),
    campo({ etiqueta: "RFC del patrón*", control: rfc }),
    campo({ etiqueta: "Archivo de avisos (.json)*", control: archivo, ayuda: "Un arreglo JSON de avisos (nrp, nss, rfc_trabajador, curp_trabajador, folio_aviso, num_credito, tipo_aviso, fechas, tipo y valor del descuento); hasta 10,000 por publicación." }),
    general,
    h("div", { class: "acciones" }, publicar),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    limpiarErrores(form);
    resultado.replaceChildren();
    rfc.value = rfc.value.trim().toUpperCase();
    if (!/^[A-ZÑ&]{3,4}\d{6}[A-Z\d]{3}$/.test(rfc.value)) {
      errorEn(rfc, "Escribe el RFC del patrón (12 o 13 caracteres).");
      rfc.focus();
      return;
    }
    const f = archivo.files[0];
    if (!f) {
      errorEn(archivo, "Selecciona el archivo .json con los avisos.");
      archivo.focus();
      return;
    }
    if (f.size > LIMITE_PUBLICACION) {
      errorEn(archivo, "El archivo es demasiado grande: divide la publicación (máximo 8 MB).");
      archivo.focus();
      return;
    }
    let avisos;
    try {
      const leido = JSON.parse(await f.text());
      avisos = Array.isArray(leido) ? leido : leido.avisos;
      if (!Array.isArray(avisos) || !avisos.length) throw new Error();
    } catch (_) {
      errorEn(archivo, "El archivo debe contener un arreglo JSON de avisos (o un objeto con «avisos»).");
      archivo.focus();
      return;
    }
    // La firma cubre los bytes exactos de «avisos» tal como van en el cuerpo.
    const texto = JSON.stringify(avisos);
    const sha = await sha256Hex(texto);
    publicar.disabled = true;
    efirma.replaceChildren(
      panelEfirma({
        rfcSugerido: sesion.rfc,
        alCancelar: () => {
          efirma.replaceChildren();
          publicar.disabled = false;
        },
        alValidar: async (cred) => {
          let r;
          try {
            r = await actoFirmado({
              ruta: "/api/v1/avisos/publicaciones",
              accion: "PUBLICAR_AVISOS",
              datos: [["rfc_patron", rfc.value], ["total_avisos", String(avisos.length)], ["avisos_sha256", sha]],
              extra: { avisos },
              credenciales: cred,
            });
          } catch (e) {
            if (!(e instanceof ErrorApi) || !/^(AVISOS_|RFC_PATRON)/.test(e.codigo)) throw e;
            efirma.replaceChildren();
            publicar.disabled = false;
            const c = e.codigo.startsWith("RFC_PATRON") ? rfc : archivo;
            errorEn(c, e.mensaje);
            if (e.cuerpo && e.cuerpo.errores) resultado.replaceChildren(tablaErrores(e.cuerpo.errores, e.cuerpo.errores_omitidos));
            c.focus();
            return;
          }
          efirma.replaceChildren();
          publicar.disabled = false;
          resultado.replaceChildren(
            h("section", { class: "tarjeta", "aria-labelledby": "publicados-titulo" },
              h("h3", { id: "publicados-titulo" }, "Publicación de Avisos"),
              h("dl", { class: "datos" },
                h("dt", {}, "Folio"), h("dd", {}, r.folio),
                h("dt", {}, "Fecha"), h("dd", {}, `${fechaGuia(r.fecha)} ${horaGuia(r.fecha)}`),
                h("dt", {}, "Patrón"), h("dd", {}, r.rfc_patron),
                h("dt", {}, "Recibidos"), h("dd", { id: "avisos-recibidos" }, String(r.recibidos)),
                h("dt", {}, "Nuevos"), h("dd", { id: "avisos-nuevos" }, String(r.nuevos)),
                h("dt", {}, "Reemplazados"), h("dd", {}, String(r.reemplazados)),
                h("dt", {}, "Sin cambios"), h("dd", {}, String(r.sin_cambios)),
                h("dt", {}, "Rechazados"), h("dd", {}, String(r.rechazados)),
                h("dt", {}, "Avisos del patrón"), h("dd", {}, String(r.total_patron)),
              ),
              r.errores.length ? tablaErrores(r.errores, r.errores_omitidos) : null,
              h("div", { class: "acciones" },
                h("button", { type: "button", class: "secundario", onclick: () => descargar(r.acuse, `acuse-${r.folio}.pdf`).catch((e) => anunciar(e.mensaje)) }, "Descargar acuse"),
              ),
            ),
          );
          anunciar(`Avisos publicados para ${r.rfc_patron}: ${r.nuevos} nuevos, ${r.rechazados} rechazados.`);
        },
      }),
    );
    efirma.querySelector("input").focus();
  });
  panel.replaceChildren(
    tituloPestana("Publicación de avisos", "publicacion"),
    h("p", {}, "Los avisos publicados quedan disponibles para los sistemas de nómina de los desarrolladores con una relación de confianza vigente con el patrón."),
    form,
    efirma,
    resultado,
  );
}

const RESULTADOS = {
  CONSULTA_EXITOSA: "Consulta exitosa",
};

function filtrosTexto(f) {
  if (!f) return "";
  const partes = [];
  if (f.fecha_desde || f.fecha_hasta) partes.push(`del ${fechaGuia(f.fecha_desde)} al ${fechaGuia(f.fecha_hasta)}`);
  for (const [k, v] of Object.entries(f)) {
    if (!["fecha_desde", "fecha_hasta"].includes(k) && v !== null && v !== undefined && v !== "") partes.push(`${k.replaceAll("_", " ")}: ${v}`);
  }
  return partes.join("; ");
}

/** Pestaña del patrón: «Consultas de mis avisos» (bitácora). */
export async function mostrarBitacora(panel, _sesion, pagina = 1) {
  const b = await api(`/api/v1/avisos/bitacora?pagina=${pagina}&por_pagina=50`);
  const filas = b.registros.map((r) =>
    h("tr", {},
      h("td", {}, `${fechaGuia(r.fecha)} ${horaGuia(r.fecha)}`),
      h("td", {}, r.rfc_desarrollador),
      h("td", {}, r.nombre_desarrollador),
      h("td", {}, filtrosTexto(r.filtros)),
      h("td", {}, (RESULTADOS[r.resultado] || `Rechazada (${r.resultado})`)
        + (r.dia ? ` — ${r.veces} ${r.veces === 1 ? "vez" : "veces"} el ${fechaGuia(r.dia)}` : "")),
      h("td", {}, `${r.avisos_devueltos} de ${r.avisos_coincidentes}`),
    ),
  );
  const paginas = Math.max(1, Math.ceil(b.total / b.por_pagina));
  panel.replaceChildren(
    tituloPestana("Consultas de mis avisos", "bitacora"),
    h("p", {}, "Cada consulta que el sistema de nómina de un desarrollador hizo de tus avisos, exitosa o rechazada. Los rechazos sin certificación o sin relación vigente se cuentan en un renglón por desarrollador y día."),
    h("div", { class: "tabla" },
      h("table", { id: "tabla-bitacora" },
        h("caption", {}, `Consultas (${b.total})`),
        h("thead", {}, h("tr", {}, ["Fecha", "RFC del desarrollador", "Desarrollador", "Filtros", "Resultado", "Avisos entregados"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, filas.length ? filas : h("tr", {}, h("td", { colspan: "6" }, "Ningún desarrollador ha consultado tus avisos."))),
      ),
    ),
    h("div", { class: "acciones" },
      pagina > 1 ? h("button", { type: "button", class: "secundario", onclick: () => mostrarBitacora(panel, _sesion, pagina - 1) }, "Anteriores") : null,
      pagina < paginas ? h("button", { type: "button", class: "secundario", onclick: () => mostrarBitacora(panel, _sesion, pagina + 1) }, "Más antiguas") : null,
    ),
  );
}
