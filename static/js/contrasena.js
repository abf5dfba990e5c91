// Pestaña «Generación de contraseña»: la contraseña del servicio que el patrón escribe al
// adicionar una relación de confianza. El servicio la genera y la muestra una sola vez.

import { actoFirmado, api, descargar } from "./api.js";
import { anunciar, confirmar, fechaGuia, h, horaGuia, panelEfirma, tituloPestana } from "./ui.js";

export async function mostrar(panel, sesion) {
  if (sesion.rol !== "patron") {
    panel.replaceChildren(
      tituloPestana("Generación de contraseña", "contrasena"),
      h("p", {}, "La contraseña del Servicio de Intercomunicación la genera el patrón para autorizar relaciones de confianza. Ingresa con la e.firma de un patrón para generarla."),
    );
    return;
  }
  const estado = await api("/api/v1/contrasena-servicio");
  const zona = h("div", {});
  const textoEstado = {
    sin_generar: "Aún no has generado la contraseña del servicio.",
    activa: `Contraseña activa (generación ${estado.generacion}), generada el ${fechaGuia(estado.generada)} ${horaGuia(estado.generada)} (folio ${estado.folio}). ${estado.usada ? "Ya se ha usado." : "Aún no se ha usado para adicionar una relación ni para consultar avisos."}`,
    cancelada: `Contraseña cancelada el ${fechaGuia(estado.cancelada)} (folio ${estado.folio_cancelacion}).`,
  }[estado.estado];
  const generar = h("button", { type: "button", class: "primario" }, estado.estado === "activa" ? "Regenerar contraseña" : "Generar contraseña");
  const cancelar = estado.estado === "activa" ? h("button", { type: "button", class: "secundario" }, "Cancelar contraseña") : null;
  panel.replaceChildren(
    tituloPestana("Generación de contraseña", "contrasena"),
    h("p", {}, "La contraseña del servicio se pide al adicionar una relación de confianza. El servicio la genera y ", h("strong", {}, "solo la muestra una vez"), ": guárdala en un lugar seguro. Al regenerarla, la anterior deja de funcionar; tus relaciones no se cancelan."),
    h("p", { class: "tarjeta", id: "estado-contrasena" }, h("strong", {}, "Estatus: "), textoEstado),
    h("div", { class: "acciones" }, generar, cancelar),
    zona,
  );

  generar.addEventListener("click", async () => {
    if (estado.estado === "activa") {
      const si = await confirmar({
        titulo: "Regenerar contraseña",
        mensaje: "La contraseña actual dejará de funcionar en cuanto generes una nueva. ¿Deseas continuar?",
      });
      if (!si) return;
    }
    zona.replaceChildren(
      panelEfirma({
        rfcSugerido: sesion.rfc,
        alCancelar: () => zona.replaceChildren(),
        alValidar: async (cred) => {
          const r = await actoFirmado({ ruta: "/api/v1/contrasena-servicio", accion: "GENERAR_CONTRASENA", credenciales: cred });
          mostrarGenerada(panel, zona, r, sesion);
        },
      }),
    );
    zona.querySelector('input[type="file"]').focus();
  });

  if (cancelar) {
    cancelar.addEventListener("click", async () => {
      const si = await confirmar({
        titulo: "Cancelar contraseña",
        mensaje: "No podrás adicionar relaciones de confianza hasta generar una nueva contraseña. ¿Deseas continuar?",
      });
      if (!si) return;
      zona.replaceChildren(
        panelEfirma({
          rfcSugerido: sesion.rfc,
          alCancelar: () => zona.replaceChildren(),
          alValidar: async (cred) => {
            const r = await actoFirmado({ ruta: "/api/v1/contrasena-servicio/cancelacion", accion: "CANCELAR_CONTRASENA", credenciales: cred });
            anunciar(`Contraseña cancelada. Folio ${r.folio}.`);
            await mostrar(panel, sesion);
          },
        }),
      );
    });
  }
}

function mostrarGenerada(panel, zona, r, sesion) {
  const copiar = h("button", { type: "button", class: "secundario" }, "Copiar contraseña");
  copiar.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(r.contrasena);
      anunciar("Contraseña copiada al portapapeles.");
    } catch (_) {
      anunciar("No fue posible copiar; selecciona la contraseña y cópiala.");
    }
  });
  const acuse = h("button", { type: "button", class: "secundario" }, "Descargar acuse");
  acuse.addEventListener("click", () => descargar(r.acuse, `acuse-${r.folio}.pdf`).catch((e) => anunciar(e.mensaje)));
  const listo = h("button", { type: "button", class: "primario" }, "Continuar");
  listo.addEventListener("click", () => mostrar(panel, sesion));
  zona.replaceChildren(
    h(
      "section",
      { class: "tarjeta", "aria-labelledby": "generada-titulo" },
      h("h3", { id: "generada-titulo" }, "Contraseña del servicio generada"),
      h("p", { class: "importante" }, r.aviso),
      h("p", { class: "contrasena-generada", id: "contrasena-generada" }, r.contrasena),
      r.anterior && !r.anterior.usada
        ? h("p", { class: "importante", id: "anterior-sin-uso" },
          `Esta contraseña reemplaza la generación ${r.anterior.generacion} del ${fechaGuia(r.anterior.generada)} ${horaGuia(r.anterior.generada)} (folio ${r.anterior.folio}), que nunca se usó. Si no la recibiste, su respuesta se perdió; ya no funciona y no es necesario hacer nada más.`)
        : null,
      h("dl", { class: "datos" },
        h("dt", {}, "Folio"), h("dd", {}, r.folio),
        h("dt", {}, "Fecha"), h("dd", {}, `${fechaGuia(r.fecha)} ${horaGuia(r.fecha)}`),
        h("dt", {}, "RFC"), h("dd", {}, r.rfc),
        h("dt", {}, "Nombre, Denominación o Razón Social"), h("dd", {}, r.nombre),
      ),
      h("div", { class: "acciones" }, copiar, acuse, listo),
    ),
  );
  anunciar("Contraseña generada. Se muestra solo esta vez.");
  document.getElementById("generada-titulo").scrollIntoView();
}
