// Issue 7 en Chromium: ingreso con e.firma (y sus rechazos junto al campo), contraseña del
// servicio, alta de una relación con su acuse, exportación a Excel y cancelación («Borrar»);
// la publicación de avisos del analista y la bitácora del patrón; teclado, teléfono, etiquetas.
// La clave y la contraseña de la e.firma nunca salen del navegador.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ANALISTA, DESARROLLADOR, PATRON, RAIZ, captura, demo, iniciarApp, iniciarNavegador, sat,
} from "../lib/app.mjs";
import { envios, errorDe, ingresar, pantallaConfirmacion, salir, sinSecretos, validarEfirma } from "../lib/portal.mjs";
import { esperarTexto } from "../lib/espera.mjs";
import { leerXlsx } from "../lib/xlsx.mjs";

const CSD = "CSD_EKU9003173C9_30001000000500003416";
const COLUMNAS_GUIA = [
  "No. de Caso", "RFC", "Razón social", "Servicios de Intercomunicación", "Fecha inicio vigencia",
  "Fin de vigencia", "Fecha cancelación anticipada", "Estatus", "Acuse", "Cancelación",
];

let app;
let nav;
let noCaso;
let contrasenaServicio;

before(async () => {
  app = await iniciarApp();
  nav = await iniciarNavegador();
});

after(async () => {
  await nav?.cerrar();
  await app?.detener();
});

async function descarga(pagina, accion) {
  const [d] = await Promise.all([pagina.waitForEvent("download"), accion()]);
  return { nombre: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
}

test("una contraseña incorrecta y un CSD se rechazan junto a su campo", async () => {
  const p = nav.pagina;
  await p.goto(app.url);
  const ingreso = p.locator("#pantalla-ingreso");
  await ingreso.getByRole("heading", { name: "Ingresa con tu e.firma" }).waitFor();
  await ingreso.getByText("Tu clave privada y tu contraseña no salen de tu equipo.").waitFor();
  // Los selectores de archivo dicen lo que dicen las guías, no lo que dice el navegador (en inglés).
  assert.deepEqual(await ingreso.getByRole("button", { name: "Elegir archivo" }).allTextContents(), ["Elegir archivo", "Elegir archivo"]);
  assert.equal(await ingreso.getByText("No se eligió ningún archivo", { exact: true }).count(), 2);
  const nativo = await ingreso.getByLabel("Certificado (.cer)*").boundingBox();
  assert.ok(!nativo || nativo.width <= 1, `el control nativo no se ve: ${JSON.stringify(nativo)}`);
  assert.equal(await p.evaluate(() => navigator.language), "en-US");

  await validarEfirma(ingreso, { ...demo(PATRON), password: "no-es-la-contrasena" });
  assert.deepEqual(await ingreso.locator(".nombre-archivo").allTextContents(), ["certificado.cer", "clave.key"]);
  const pw = ingreso.getByLabel("Contraseña de la e.firma*");
  await esperarTexto(await errorDe(pw), /contraseña/i);
  assert.equal(await pw.getAttribute("aria-invalid"), "true");
  assert.equal(await (await errorDe(ingreso.getByLabel("Certificado (.cer)*"))).textContent(), "");
  await captura(p, "efirma-contrasena-incorrecta");

  await validarEfirma(ingreso, sat(CSD));
  const cer = ingreso.getByLabel("Certificado (.cer)*");
  const mensaje = await esperarTexto(await errorDe(cer), /Certificado de Sello Digital/);
  assert.match(mensaje, /no una e\.firma/);
  assert.equal(await pw.getAttribute("aria-invalid"), null, "el error anterior se limpió");
  // Nada se envió a /sesiones: los rechazos ocurrieron en el navegador.
  assert.equal(nav.peticiones.filter((r) => r.url.endsWith("/api/v1/sesiones")).length, 0);

  // Un certificado falsificado (su AC copia el nombre de la AC de demostración) pasa las
  // revisiones del navegador, pero el servicio lo rechaza: su mensaje, tal cual, bajo Certificado.
  const forja = join(RAIZ, "tests/e2e/fixtures/forgeries/ac-falsa");
  const [respuesta] = await Promise.all([
    p.waitForResponse((r) => r.url().endsWith("/api/v1/sesiones")),
    validarEfirma(ingreso, { cer: join(forja, "certificado.cer"), key: join(forja, "clave.key"), password: "demo12345" }),
  ]);
  const rechazo = await respuesta.json();
  assert.equal(respuesta.status(), 403, JSON.stringify(rechazo));
  assert.equal(rechazo.codigo, "EFIRMA_CADENA_INVALIDA");
  assert.equal(await esperarTexto(await errorDe(cer), rechazo.mensaje), rechazo.mensaje);
  await captura(p, "efirma-certificado-rechazado");
});

test("el analista registra al desarrollador certificado", async () => {
  const p = nav.pagina;
  await ingresar(p, app.url, "Analista del Instituto", demo(ANALISTA));
  const form = p.locator("#form-registro");
  await form.getByLabel("RFC del desarrollador*").fill(DESARROLLADOR);
  await form.getByLabel("Razón social*").fill("NOMINAS DEMOSTRACION SA DE CV");
  await form.getByRole("button", { name: "Registrar" }).click();
  await validarEfirma(p.locator("#panel-revision"), demo(ANALISTA));
  await esperarTexto(p.locator("#estado"), `Desarrollador ${DESARROLLADOR} registrado`);

  // Las pestañas se recorren con las flechas del teclado (patrón de pestañas de WAI-ARIA).
  await p.getByRole("tab", { name: "Revisión de certificaciones" }).focus();
  await p.keyboard.press("ArrowRight");
  const publicacion = p.getByRole("tab", { name: "Publicación de avisos" });
  assert.equal(await publicacion.getAttribute("aria-selected"), "true");
  assert.equal(await p.evaluate(() => document.activeElement.textContent), "Publicación de avisos");

  // Publicación de avisos del patrón (acto firmado del analista).
  const archivo = join(mkdtempSync(join(tmpdir(), "avisos-")), "avisos.json");
  execFileSync(join(RAIZ, "target/debug/avisos-browser-support"), ["avisos", archivo]);
  const total = JSON.parse(readFileSync(archivo, "utf8")).length;
  const pub = p.locator("#form-publicacion");
  await pub.getByLabel("RFC del patrón*").fill(PATRON);
  await pub.getByLabel("Archivo de avisos (.json)*").setInputFiles(archivo);
  await pub.getByRole("button", { name: "Publicar avisos" }).click();
  await validarEfirma(p.locator("#panel-publicacion"), demo(ANALISTA));
  await p.getByRole("heading", { name: "Publicación de Avisos" }).waitFor();
  assert.equal(Number(await p.locator("#avisos-recibidos").textContent()), total);
  assert.ok(Number(await p.locator("#avisos-nuevos").textContent()) > 0);
  await captura(p, "avisos-publicacion");
  await salir(p);
});

test("el patrón genera la contraseña, adiciona una relación, descarga su acuse, exporta la tabla y la borra", async () => {
  const p = nav.pagina;
  await ingresar(p, app.url, "Patrón", demo(PATRON));
  // La sesión sobrevive a una recarga (cookie HttpOnly avisos_sesion).
  await p.reload();
  await p.getByRole("tablist", { name: "Servicios de Intercomunicación" }).waitFor();
  for (const t of ["Generación de contraseña", "Certificación para desarrolladores", "Relaciones de confianza"]) {
    await p.getByRole("tab", { name: t }).waitFor();
  }

  // Generación de contraseña.
  await p.getByRole("tab", { name: "Generación de contraseña" }).click();
  await p.getByRole("button", { name: "Generar contraseña" }).click();
  await validarEfirma(p.locator("#panel-contrasena"), demo(PATRON));
  const contrasena = (await esperarTexto(p.locator("#contrasena-generada"), /^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/)).trim();
  contrasenaServicio = contrasena;
  await captura(p, "contrasena-generada");
  await p.getByRole("button", { name: "Continuar" }).click();
  await esperarTexto(p.locator("#estado-contrasena"), "Contraseña activa");

  // Relaciones de confianza: términos, luego los tres botones de la guía.
  await p.getByRole("tab", { name: "Relaciones de confianza" }).click();
  const continuar = p.getByRole("button", { name: "Continuar" });
  assert.equal(await continuar.isDisabled(), true, "Continuar espera la casilla");
  await p.getByLabel("He leído y acepto las condiciones de este servicio").check();
  await captura(p, "relaciones-terminos");
  await continuar.click();
  for (const b of ["Ver Términos y condiciones", "Exportar tabla", "Adicionar relación"]) {
    await p.getByRole("button", { name: b }).waitFor();
  }
  // «Guía de usuario» junto al título de la pestaña: una página de ayuda legible.
  const titulo = p.locator(".titulo-pestana", { has: p.getByRole("heading", { name: "Relaciones de confianza del Servicio de intercomunicación" }) });
  const guia = titulo.getByRole("link", { name: "Guía de usuario" });
  assert.equal(await guia.getAttribute("href"), "/guia/relaciones.html");
  const [ayuda] = await Promise.all([p.context().waitForEvent("page"), guia.click()]);
  await ayuda.getByRole("heading", { name: "Relaciones de confianza", level: 1 }).waitFor();
  await ayuda.getByRole("heading", { name: "Adicionar una relación" }).waitFor();
  await ayuda.close();
  await p.getByRole("button", { name: "Ver Términos y condiciones" }).click();
  const dlg = p.getByRole("dialog");
  await dlg.getByText("Relación de confianza").first().waitFor();
  await dlg.getByRole("button", { name: "Cerrar" }).click();

  // Adicionar relación (guía 000, paso c): el formulario; la vigencia admite los valores de la
  // guía (su ejemplo es de dos meses).
  await p.getByRole("button", { name: "Adicionar relación" }).click();
  const form = p.locator("#form-alta");
  await form.getByLabel("RFC del desarrollador*").fill(DESARROLLADOR);
  const vigencia = form.getByLabel("Vigencia*");
  const opciones = await vigencia.locator("option").allTextContents();
  assert.ok(opciones.some((o) => o.startsWith("2 meses (hasta el ")), opciones.join(" | "));
  await vigencia.selectOption({ label: opciones.find((o) => o.startsWith("2 meses")) });
  const pwServicio = form.getByLabel("Contraseña del servicio*");
  await pwServicio.fill(contrasena);
  await captura(p, "relaciones-adicionar");

  // «Aceptar» → e.firma → «Validar» → los términos otra vez; «Cancelar» no envía nada.
  const zona = p.locator("#zona-relaciones");
  let desde = nav.peticiones.length;
  await form.getByRole("button", { name: "Aceptar" }).click();
  await validarEfirma(zona, demo(PATRON));
  let confirmacion = await pantallaConfirmacion(p, "Términos y condiciones");
  await confirmacion.getByText("Relación de confianza").first().waitFor();
  await confirmacion.getByText(DESARROLLADOR).waitFor();
  await captura(p, "relaciones-confirmacion");
  await confirmacion.getByRole("button", { name: "Cancelar" }).click();
  await confirmacion.waitFor({ state: "detached" });
  assert.equal(await form.getByRole("button", { name: "Aceptar" }).isEnabled(), true);
  assert.deepEqual(envios(nav.peticiones, "/api/v1/relaciones", desde), [], "«Cancelar» no envió el acto");

  // Con una contraseña del servicio equivocada, el rechazo (tras «Continuar») queda junto al campo.
  await pwServicio.fill("AAAAA-BBBBB-CCCCC-DDDDD");
  await form.getByRole("button", { name: "Aceptar" }).click();
  await validarEfirma(zona, demo(PATRON));
  confirmacion = await pantallaConfirmacion(p, "Términos y condiciones");
  assert.deepEqual(envios(nav.peticiones, "/api/v1/relaciones", desde), [], "«Validar» no envía el acto");
  await confirmacion.getByRole("button", { name: "Continuar" }).click();
  await esperarTexto(await errorDe(pwServicio), /contraseña/i);
  assert.equal(envios(nav.peticiones, "/api/v1/relaciones", desde).length, 1);

  // Ahora sí: «Continuar» registra la relación.
  await pwServicio.fill(contrasena);
  await form.getByRole("button", { name: "Aceptar" }).click();
  await validarEfirma(zona, demo(PATRON));
  confirmacion = await pantallaConfirmacion(p, "Términos y condiciones");
  await confirmacion.getByRole("button", { name: "Continuar" }).click();
  await p.getByRole("heading", { name: "Registro de Relaciones de Confianza" }).waitFor();
  noCaso = (await p.locator("#acuse-folio").textContent()).trim();
  assert.match(noCaso, /^\d{10}$/);
  // La tabla bajo el acuse ya la muestra (no «Relaciones de confianza (0)»).
  await p.locator(`#tabla-relaciones tr[data-caso="${noCaso}"]`).waitFor();
  assert.equal(await p.locator("#tabla-relaciones caption").textContent(), "Relaciones de confianza (1)");
  await captura(p, "relaciones-acuse");
  const acuse = await descarga(p, () => p.getByRole("button", { name: "Descargar acuse", exact: true }).click());
  assert.equal(acuse.nombre, `acuse-${noCaso}.pdf`);
  assert.equal(acuse.bytes.subarray(0, 5).toString(), "%PDF-");
  await p.getByRole("button", { name: "Continuar" }).click();

  // La tabla con las columnas de la guía.
  const tabla = p.locator("#tabla-relaciones");
  await tabla.waitFor();
  const encabezados = await tabla.locator("thead th").allTextContents();
  assert.deepEqual(encabezados, COLUMNAS_GUIA);
  const fila = tabla.locator(`tr[data-caso="${noCaso}"]`);
  // The table may still be the one from before the addition: wait for the new row.
  await fila.waitFor();
  const celdas = await fila.locator("th, td").allTextContents();
  assert.equal(celdas[0], noCaso);
  assert.equal(celdas[1], DESARROLLADOR);
  assert.equal(celdas[3], "Avisos");
  assert.match(celdas[4], /^\d{2}\/(ene|feb|mar|abr|may|jun|jul|ago|sep|oct|nov|dic)\/\d{4}$/);
  assert.equal(celdas[7], "Relación Vigente");
  await captura(p, "relaciones-tabla");
  const acuseTabla = await descarga(p, () => fila.getByRole("button", { name: `Descargar acuse del caso ${noCaso}` }).click());
  assert.equal(acuseTabla.bytes.subarray(0, 5).toString(), "%PDF-");

  // Exportar tabla: el .xlsx con las columnas de la guía.
  const libro = await descarga(p, () => p.getByRole("button", { name: "Exportar tabla" }).click());
  assert.equal(libro.nombre, "relaciones-de-confianza.xlsx");
  const { hojas, filas } = leerXlsx(libro.bytes);
  assert.deepEqual(hojas, ["Relaciones de confianza"]);
  assert.deepEqual(Object.values(filas[0]), COLUMNAS_GUIA);
  assert.equal(filas.length, 2);
  assert.equal(filas[1].A, noCaso);
  assert.equal(filas[1].B, DESARROLLADOR);
  assert.equal(filas[1].H, "Relación Vigente");

  // Borrar (guía 000, cancelación): confirmación «Continuar», e.firma «Validar», «Solicitud de
  // trámite» con «Cancelar» / «Continuar». Primero «Cancelar»: nada se envía.
  const rutaCancelacion = `/api/v1/relaciones/${noCaso}/cancelacion`;
  desde = nav.peticiones.length;
  await fila.getByRole("button", { name: `Borrar la relación ${noCaso}` }).click();
  await p.getByRole("dialog").getByRole("button", { name: "Continuar" }).click();
  await p.getByRole("heading", { name: "Cancelar relación de confianza" }).waitFor();
  await validarEfirma(p.locator("#zona-relaciones"), demo(PATRON));
  confirmacion = await pantallaConfirmacion(p, "Solicitud de trámite");
  await confirmacion.getByText(noCaso).waitFor();
  await captura(p, "relaciones-solicitud-cancelacion");
  await confirmacion.getByRole("button", { name: "Cancelar" }).click();
  await confirmacion.waitFor({ state: "detached" });
  assert.deepEqual(envios(nav.peticiones, rutaCancelacion, desde), [], "«Cancelar» no envió la cancelación");
  assert.equal(await fila.locator("td").nth(6).textContent(), "Relación Vigente");

  await fila.getByRole("button", { name: `Borrar la relación ${noCaso}` }).click();
  await p.getByRole("dialog").getByRole("button", { name: "Continuar" }).click();
  await validarEfirma(p.locator("#zona-relaciones"), demo(PATRON));
  confirmacion = await pantallaConfirmacion(p, "Solicitud de trámite");
  assert.deepEqual(envios(nav.peticiones, rutaCancelacion, desde), []);
  await confirmacion.getByRole("button", { name: "Continuar" }).click();
  const cancelada = p.locator(`#tabla-relaciones tr[data-caso="${noCaso}"]`);
  await esperarTexto(cancelada, "Relación cancelada por usuario");
  const tras = await cancelada.locator("th, td").allTextContents();
  assert.match(tras[6], /^\d{2}\/[a-z]{3}\/\d{4}$/, "fecha de cancelación anticipada");
  assert.equal(await cancelada.getByRole("button", { name: /^Borrar/ }).count(), 0);
  assert.equal(envios(nav.peticiones, rutaCancelacion, desde).length, 1);
  const acuseCancel = await descarga(p, () => cancelada.getByRole("button", { name: /acuse de cancelación/ }).click());
  assert.equal(acuseCancel.bytes.subarray(0, 5).toString(), "%PDF-");
  await captura(p, "relaciones-cancelada");

  // Consultas de mis avisos: la bitácora del patrón (nadie ha consultado todavía).
  await p.getByRole("tab", { name: "Consultas de mis avisos" }).click();
  await esperarTexto(p.locator("#tabla-bitacora caption"), "Consultas (0)");

  // En un teléfono la página se reacomoda: nada más ancho que la pantalla salvo las tablas,
  // que se desplazan dentro de su contenedor.
  await p.setViewportSize({ width: 390, height: 844 });
  await p.getByRole("tab", { name: "Relaciones de confianza" }).click();
  await p.locator("#tabla-relaciones").waitFor();
  const ancho = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(ancho <= 390, `ancho de la página en un teléfono: ${ancho}`);
  await captura(p, "relaciones-telefono");
  await p.setViewportSize({ width: 1280, height: 900 });
  await salir(p);
});

test("el desarrollador ve, solo para lectura, las relaciones que le otorgaron", async () => {
  const p = nav.pagina;
  await ingresar(p, app.url, "Desarrollador de software de nómina", demo(DESARROLLADOR));
  await p.getByRole("tab", { name: "Relaciones de confianza" }).click();
  await p.getByText("Patrones que te autorizaron a consultar sus avisos (solo lectura).").waitFor();
  const fila = p.locator(`#tabla-relaciones tr[data-caso="${noCaso}"]`);
  const celdas = await fila.locator("th, td").allTextContents();
  assert.equal(celdas[1], PATRON);
  assert.ok(celdas.includes("Relación cancelada por usuario"), celdas.join(" | "));
  assert.equal(await p.getByRole("button", { name: /^Borrar|Adicionar relación|Exportar tabla/ }).count(), 0);
  await salir(p);
});

/** Abre la pestaña «Relaciones de confianza» del patrón (con los términos, si los pide). */
async function abrirRelaciones(p) {
  await p.getByRole("tab", { name: "Relaciones de confianza" }).click();
  const casilla = p.getByLabel("He leído y acepto las condiciones de este servicio");
  const adicionar = p.getByRole("button", { name: "Adicionar relación" });
  await casilla.or(adicionar).first().waitFor();
  if (await casilla.isVisible()) {
    await casilla.check();
    await p.getByRole("button", { name: "Continuar" }).click();
  }
  await adicionar.waitFor();
}

test("una relación otorgada con una certificación cancelada queda «Relación no vigente» con su motivo", async () => {
  const p = nav.pagina;
  await ingresar(p, app.url, "Patrón", demo(PATRON));
  await abrirRelaciones(p);
  await p.getByRole("button", { name: "Adicionar relación" }).click();
  const alta = p.locator("#form-alta");
  await alta.getByLabel("RFC del desarrollador*").fill(DESARROLLADOR);
  await alta.getByLabel("Vigencia*").selectOption({ index: 1 });
  await alta.getByLabel("Contraseña del servicio*").fill(contrasenaServicio);
  await alta.getByRole("button", { name: "Aceptar" }).click();
  await validarEfirma(p.locator("#zona-relaciones"), demo(PATRON));
  await (await pantallaConfirmacion(p, "Términos y condiciones")).getByRole("button", { name: "Continuar" }).click();
  await p.getByRole("heading", { name: "Registro de Relaciones de Confianza" }).waitFor();
  const caso = (await p.locator("#acuse-folio").textContent()).trim();
  await p.getByRole("button", { name: "Continuar" }).click();
  await esperarTexto(p.locator(`#tabla-relaciones tr[data-caso="${caso}"]`), "Relación Vigente");
  await salir(p);

  // La certificación del desarrollador se cancela y se autoriza otra vez (registro del analista).
  await ingresar(p, app.url, "Analista del Instituto", demo(ANALISTA));
  for (const estatus of ["Cancelada", "Certificación autorizada"]) {
    const previo = await p.locator("#estado").textContent();
    const form = p.locator("#form-registro");
    await form.getByLabel("RFC del desarrollador*").fill(DESARROLLADOR);
    await form.getByLabel("Razón social*").fill("NOMINAS DEMOSTRACION SA DE CV");
    await form.getByLabel("Estatus*").selectOption({ label: estatus });
    await form.getByRole("button", { name: "Registrar" }).click();
    await validarEfirma(p.locator("#panel-revision"), demo(ANALISTA));
    await p.waitForFunction((antes) => {
      const t = document.getElementById("estado").textContent;
      return t.includes("registrado") && t !== antes;
    }, previo);
  }
  await salir(p);

  // El patrón ve la relación como no vigente, con el motivo; «Borrar» sigue disponible.
  await ingresar(p, app.url, "Patrón", demo(PATRON));
  await abrirRelaciones(p);
  const fila = p.locator(`#tabla-relaciones tr[data-caso="${caso}"]`);
  await esperarTexto(fila, "Relación no vigente");
  const celdas = await fila.locator("th, td").allTextContents();
  assert.equal(await fila.locator(".estatus").textContent(), "Relación no vigente");
  assert.match(celdas[7], /^Relación no vigente/);
  assert.match(
    await fila.locator(".motivo").textContent(),
    /^La certificación del desarrollador con la que se otorgó fue cancelada el \d{2}\/[a-z]{3}\/\d{4}\. El desarrollador se certificó de nuevo/,
  );
  assert.equal(await fila.getByRole("button", { name: `Borrar la relación ${caso}` }).count(), 1);
  await captura(p, "relaciones-no-vigente");
  await salir(p);
});

test("cada control de la página tiene nombre accesible", async () => {
  const p = nav.pagina;
  await p.goto(app.url);
  await p.locator("#pantalla-ingreso form.efirma").waitFor();
  const sinNombre = await p.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((e) => e.offsetParent !== null)
      .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim())
      .map((e) => e.outerHTML),
  );
  assert.deepEqual(sinNombre, []);
  assert.equal(await p.locator("html").getAttribute("lang"), "es-MX");
  assert.equal(await p.locator('[role="status"][aria-live="polite"]').count(), 1);
});

test("ninguna petición llevó la contraseña ni la clave privada de la e.firma", () => {
  assert.ok(nav.peticiones.length > 20, "se registraron las peticiones");
  const firmadas = nav.peticiones.filter((r) => r.metodo === "POST" && r.cuerpo && r.cuerpo.includes('"firma"'));
  assert.ok(firmadas.length >= 6, `actos firmados: ${firmadas.length}`);
  for (const cred of [demo(PATRON), demo(ANALISTA), sat(CSD)]) {
    assert.deepEqual(sinSecretos(nav.peticiones, cred), []);
  }
  // Todo lo sirve la aplicación: ningún CDN ni otro origen.
  const ajenas = nav.peticiones.filter((r) => !r.url.startsWith(`${app.url}/`) && !/^(blob|data):/.test(r.url));
  assert.deepEqual(ajenas.map((r) => r.url), []);
  assert.deepEqual(nav.errores, [], "errores de JavaScript en la página");
});
