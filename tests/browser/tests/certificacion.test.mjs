// Issue 7 en Chromium, guía 002: el desarrollador solicita la certificación, descarga su set de
// pruebas y envía las evidencias (con el límite de 5 MB revisado antes de enviar; un libro
// incompleto se rechaza con sus problemas por pestaña); el analista encuentra inconsistencias, el
// desarrollador ve las observaciones y envía de nuevo, y el analista aprueba; el desarrollador firma la aprobación, consulta sus notificaciones y cancela
// (el acuse de cancelación se ofrece una sola vez).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ANALISTA, DESARROLLADOR_2, RAIZ, ZONA_NAVEGADOR, captura, demo, iniciarApp, iniciarNavegador } from "../lib/app.mjs";
import { envios, errorDe, ingresar, pantallaConfirmacion, salir, sinSecretos, validarEfirma } from "../lib/portal.mjs";
import { esperarTexto } from "../lib/espera.mjs";

const CORREO = "certificacion@sistemas-nomina.example";
let app;
let nav;
let folio;
let tmp;

before(async () => {
  app = await iniciarApp();
  nav = await iniciarNavegador();
  tmp = mkdtempSync(join(tmpdir(), "avisos-evidencias-"));
});

after(async () => {
  await nav?.cerrar();
  await app?.detener();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function descarga(pagina, accion) {
  const [d] = await Promise.all([pagina.waitForEvent("download"), accion()]);
  return { nombre: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
}

/** El libro de evidencias que produciría el sistema de nómina para el set de este folio. */
function libroDeEvidencias(folioSolicitud, ...opciones) {
  assert.ok(app.db, "AVISOS_DB: el almacén SQLite de la aplicación");
  const salida = join(tmp, `evidencias${opciones.length ? "-incompletas" : ""}.xlsx`);
  execFileSync(join(RAIZ, "target/debug/avisos-browser-support"), ["evidencia", app.db, folioSolicitud, salida, ...opciones]);
  return salida;
}

async function enviarEvidencias(p, ruta) {
  await p.getByLabel("Archivo [.xls]*").setInputFiles(ruta);
  await p.getByRole("button", { name: "Enviar archivo" }).click();
}

async function aceptarTerminos(p) {
  const terminos = p.locator("section.terminos");
  await terminos.getByLabel("He leído y acepto las condiciones de este servicio").check();
  await terminos.getByRole("button", { name: "Continuar" }).click();
}

test("el desarrollador solicita la certificación y descarga su responsiva y su set de pruebas", async () => {
  const p = nav.pagina;
  await ingresar(p, app.url, "Desarrollador de software de nómina", demo(DESARROLLADOR_2));
  await p.getByRole("tab", { name: "Certificación para desarrolladores", selected: true }).waitFor();
  // «Guía de usuario» junto al título de la pestaña.
  const guia = p.locator(".titulo-pestana").getByRole("link", { name: "Guía de usuario" });
  assert.equal(await guia.getAttribute("href"), "/guia/certificacion.html");
  const ayuda = await (await fetch(`${app.url}/guia/certificacion.html`)).text();
  assert.match(ayuda, /<h1>Certificación para desarrolladores<\/h1>/);

  // Guía 002, «Solicitud de certificación»: términos con la casilla y «Continuar», e.firma y
  // «Validar», «Solicitud del Trámite» con «Continuar», «Descargar responsiva».
  await aceptarTerminos(p);
  await p.getByLabel("Correo electrónico*").fill(CORREO);
  await p.getByRole("button", { name: "Continuar" }).click();
  const desde = nav.peticiones.length;
  await validarEfirma(p.locator("#panel-certificacion"), demo(DESARROLLADOR_2));
  let confirmacion = await pantallaConfirmacion(p, "Solicitud del Trámite");
  await confirmacion.getByText(CORREO).waitFor();
  await confirmacion.getByRole("document").waitFor();
  // «Cancelar» no envía la solicitud: de vuelta al formulario.
  await confirmacion.getByRole("button", { name: "Cancelar" }).click();
  await confirmacion.waitFor({ state: "detached" });
  assert.deepEqual(envios(nav.peticiones, "/api/v1/certificaciones", desde), [], "«Cancelar» no envió nada");
  await p.getByRole("button", { name: "Continuar" }).click();
  await validarEfirma(p.locator("#panel-certificacion"), demo(DESARROLLADOR_2));
  confirmacion = await pantallaConfirmacion(p, "Solicitud del Trámite");
  assert.deepEqual(envios(nav.peticiones, "/api/v1/certificaciones", desde), [], "«Validar» no envía el acto");
  await captura(p, "certificacion-solicitud-tramite");
  await confirmacion.getByRole("button", { name: "Continuar" }).click();
  await p.getByRole("heading", { name: "Términos y Condiciones firmados" }).waitFor();
  assert.equal(envios(nav.peticiones, "/api/v1/certificaciones", desde).length, 1);
  const responsiva = await descarga(p, () => p.getByRole("button", { name: "Descargar responsiva" }).click());
  assert.equal(responsiva.bytes.subarray(0, 5).toString(), "%PDF-");
  await p.getByRole("button", { name: "Continuar" }).click();

  folio = (await p.locator("#cert-folio").textContent()).trim();
  assert.match(folio, /^\d{10}$/);
  await esperarTexto(p.locator("#cert-estatus"), "En espera de documentos");
  await p.getByText("Los archivos con los resultados de las pruebas no deben ser mayores a 5 MB.").waitFor();
  const set = await descarga(p, () => p.getByRole("button", { name: "Descargar set de pruebas" }).click());
  assert.equal(set.bytes.subarray(0, 4).toString("binary"), "PK\x03\x04");
  await captura(p, "certificacion-seguimiento");
});

test("las evidencias de más de 5 MB no salen del navegador; las correctas se envían con avance", async () => {
  const p = nav.pagina;
  const archivo = p.getByLabel("Archivo [.xls]*");
  const grande = join(tmp, "evidencias-grandes.xlsx");
  writeFileSync(grande, Buffer.alloc(5 * 1024 * 1024 + 1, 1));
  const antes = nav.peticiones.length;
  await archivo.setInputFiles(grande);
  await p.getByRole("button", { name: "Enviar archivo" }).click();
  await esperarTexto(await errorDe(archivo), /no debe ser mayor a 5 MB/);
  assert.equal(nav.peticiones.slice(antes).filter((r) => r.url.includes("/evidencias")).length, 0);

  // Se registra el avance que muestra la barra durante el envío.
  await p.evaluate(() => {
    window.__avances = [];
    new MutationObserver(() => {
      const barra = document.querySelector("#form-evidencias progress");
      if (barra && !barra.hidden) window.__avances.push(Number(barra.value));
    }).observe(document.body, { subtree: true, attributes: true, childList: true });
  });
  // Un libro sin la pestaña 3: el servicio lo rechaza y la página lista los problemas.
  await enviarEvidencias(p, libroDeEvidencias(folio, "--sin-pestana=3"));
  await esperarTexto(await errorDe(archivo), /.+/);
  await esperarTexto(p.getByRole("list", { name: "Problemas del archivo" }), /Pestaña 3/);
  await esperarTexto(p.locator("#cert-estatus"), "En espera de documentos");
  await captura(p, "certificacion-evidencia-rechazada");

  await enviarEvidencias(p, libroDeEvidencias(folio));
  await esperarTexto(p.locator("#cert-estatus"), "En análisis");
  const avances = await p.evaluate(() => window.__avances);
  assert.ok(avances.includes(100), `avance mostrado: ${avances}`);
  await salir(p);
});

const OBSERVACIONES = "El caso E03 no aplica el tope del 20 % del salario mínimo; revise el cálculo.";

async function revisar(p) {
  await ingresar(p, app.url, "Analista del Instituto", demo(ANALISTA));
  const fila = p.locator("#tabla-solicitudes tr", { hasText: folio });
  await fila.getByRole("button", { name: `Revisar la solicitud ${folio}` }).click();
  await esperarTexto(p.locator("#detalle-estatus"), "En análisis");
  await p.locator("#calificacion").waitFor();
}

test("el analista encuentra inconsistencias; el desarrollador ve las observaciones y envía de nuevo", async () => {
  const p = nav.pagina;
  await revisar(p);
  const dictamen = p.locator("#form-dictamen");
  await dictamen.getByLabel(/Con inconsistencias/).check();
  await dictamen.getByRole("button", { name: "Firmar dictamen" }).click();
  // Sin observaciones no se pide la e.firma: el error queda junto al campo.
  await esperarTexto(await errorDe(dictamen.getByLabel("Observaciones")), /inconsistencias/);
  await dictamen.getByLabel("Observaciones").fill(OBSERVACIONES);
  await dictamen.getByRole("button", { name: "Firmar dictamen" }).click();
  await validarEfirma(p.locator("#zona-revision"), demo(ANALISTA));
  await esperarTexto(p.locator("#estado"), /Dictamen registrado .*En espera de documentos/);
  await salir(p);

  await ingresar(p, app.url, "Desarrollador de software de nómina", demo(DESARROLLADOR_2));
  await esperarTexto(p.locator("#cert-estatus"), "En espera de documentos");
  await p.getByText(OBSERVACIONES, { exact: false }).waitFor();
  const set = await descarga(p, () => p.getByRole("button", { name: "Descargar set de pruebas" }).click());
  assert.match(set.nombre, /ronda-2\.zip$/);
  await captura(p, "certificacion-inconsistencias");
  await enviarEvidencias(p, libroDeEvidencias(folio));
  await esperarTexto(p.locator("#cert-estatus"), "En análisis");
  await salir(p);
});

test("el analista revisa la evidencia y aprueba con su e.firma", async () => {
  const p = nav.pagina;
  await revisar(p);
  const evidencia = await descarga(p, () => p.getByRole("button", { name: "Descargar evidencia" }).click());
  assert.equal(evidencia.bytes.subarray(0, 2).toString(), "PK");
  await captura(p, "revision-analista");
  const dictamen = p.locator("#form-dictamen");
  await dictamen.getByLabel("Aprobar").check();
  await dictamen.getByRole("button", { name: "Firmar dictamen" }).click();
  await validarEfirma(p.locator("#zona-revision"), demo(ANALISTA));
  await esperarTexto(p.locator("#estado"), /Dictamen registrado .*Aprobado/);
  await salir(p);
});

test("el desarrollador firma la aprobación, ve sus notificaciones y cancela su certificación", async () => {
  const p = nav.pagina;
  await ingresar(p, app.url, "Desarrollador de software de nómina", demo(DESARROLLADOR_2));
  await esperarTexto(p.locator("#cert-estatus"), "Aprobado");
  await p.getByText("La certificación ha sido aprobada, para completar el trámite da clic en continuar.").waitFor();
  // Guía 002, «Aprobación de Certificación»: «Continuar», términos con la casilla, e.firma,
  // los términos otra vez («Solicitud de trámite») y «Continuar».
  await p.getByRole("button", { name: "Continuar" }).click();
  await aceptarTerminos(p);
  await validarEfirma(p.locator("#panel-certificacion"), demo(DESARROLLADOR_2));
  const aprobacion = await pantallaConfirmacion(p, "Solicitud de trámite");
  await aprobacion.getByRole("document").waitFor();
  assert.deepEqual(envios(nav.peticiones, `/api/v1/certificaciones/${folio}/aceptacion`), [], "«Validar» no envía el acto");
  await captura(p, "certificacion-aprobacion-tramite");
  await aprobacion.getByRole("button", { name: "Continuar" }).click();
  await p.getByRole("heading", { name: "Certificación autorizada" }).waitFor();
  const responsiva = await descarga(p, () => p.getByRole("button", { name: "Descargar responsiva" }).click());
  assert.equal(responsiva.bytes.subarray(0, 5).toString(), "%PDF-");
  await p.getByRole("button", { name: "Continuar" }).click();
  await esperarTexto(p.locator("#cert-estatus"), "Certificación autorizada");
  // La pantalla autorizada de la guía: «Descargar responsiva» da la de la aprobación.
  const autorizada = await descarga(p, () => p.getByRole("button", { name: "Descargar responsiva", exact: true }).click());
  assert.equal(autorizada.nombre, `responsiva-aprobacion-${folio}.pdf`);
  assert.deepEqual(autorizada.bytes, responsiva.bytes, "la misma responsiva que se firmó al aprobar");
  await captura(p, "certificacion-autorizada");

  // La bandeja de notificaciones: los correos del trámite.
  await p.getByRole("tab", { name: /Notificaciones/ }).click();
  await p.getByRole("heading", { name: "Notificaciones" }).waitFor();
  const asuntos = await p.locator("article.notificacion h3").allTextContents();
  assert.ok(asuntos.length >= 2, `notificaciones: ${asuntos}`);
  assert.ok((await p.locator("article.notificacion").allTextContents()).join(" ").includes(folio));
  // La hora de cada notificación, en la de la Ciudad de México (como los acuses), aunque el
  // navegador esté en otra zona y el servicio la dé en UTC.
  assert.notEqual(await p.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), "America/Mexico_City");
  assert.equal(ZONA_NAVEGADOR, await p.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone));
  const tiempos = await p.locator("article.notificacion time").evaluateAll((ts) => ts.map((t) => [t.getAttribute("datetime"), t.textContent]));
  assert.ok(tiempos.length >= 2);
  for (const [iso, texto] of tiempos) assert.equal(texto, horaDeMexico(iso), iso);
  // Sus enlaces llevan a pantallas del portal, ninguno al JSON de la API.
  assert.equal(await p.locator('article.notificacion a[href^="/api/"]').count(), 0);
  const set = await descarga(p, () => p.locator("article.notificacion").getByRole("button", { name: "Descargar set de pruebas" }).first().click());
  assert.equal(set.bytes.subarray(0, 4).toString("binary"), "PK\x03\x04");
  // El correo de autorización lleva la responsiva de la aprobación (un acuse en PDF).
  const autorizacion = p.locator("article.notificacion", { hasText: "Certificación autorizada" });
  const acuseAutorizacion = await descarga(p, () => autorizacion.getByRole("button", { name: "Descargar acuse" }).click());
  assert.equal(acuseAutorizacion.bytes.subarray(0, 5).toString(), "%PDF-");
  await captura(p, "notificaciones");
  const verTramite = p.locator("article.notificacion").getByRole("link", { name: "Ver en «Certificación para desarrolladores»" });
  if (await verTramite.count()) {
    await verTramite.first().click();
    await p.getByRole("tab", { name: "Certificación para desarrolladores", selected: true }).waitFor();
  }

  // Guía 002, «Cancelación de Certificación»: «Cancelar certificación», e.firma y «Validar», la
  // «Solicitud de trámite» con «Cancelar» / «Continuar», el acuse. Primero «Cancelar».
  const rutaCancelacion = `/api/v1/certificaciones/${folio}/cancelacion`;
  await p.getByRole("tab", { name: "Certificación para desarrolladores" }).click();
  await p.getByRole("button", { name: "Cancelar certificación" }).click();
  await validarEfirma(p.locator("#panel-certificacion"), demo(DESARROLLADOR_2));
  let tramite = await pantallaConfirmacion(p, "Solicitud de trámite");
  await tramite.getByText("¿Estás seguro de cancelar tu certificación?").waitFor();
  await captura(p, "certificacion-cancelacion-tramite");
  await tramite.getByRole("button", { name: "Cancelar" }).click();
  await tramite.waitFor({ state: "detached" });
  assert.deepEqual(envios(nav.peticiones, rutaCancelacion), [], "«Cancelar» no envió la cancelación");
  await esperarTexto(p.locator("#cert-estatus"), "Certificación autorizada");

  await p.getByRole("button", { name: "Cancelar certificación" }).click();
  await validarEfirma(p.locator("#panel-certificacion"), demo(DESARROLLADOR_2));
  tramite = await pantallaConfirmacion(p, "Solicitud de trámite");
  assert.deepEqual(envios(nav.peticiones, rutaCancelacion), []);
  await tramite.getByRole("button", { name: "Continuar" }).click();
  await p.getByRole("heading", { name: /La cancelación de la certificación se realizó con éxito\./ }).waitFor();
  assert.equal(envios(nav.peticiones, rutaCancelacion).length, 1);
  await p.getByText("solo se mostrará en esta sesión").waitFor();
  // «Para volver a certificar…» una sola vez.
  assert.equal(await p.getByText(/Para volver a certificar/).count(), 1);
  await captura(p, "certificacion-cancelada");

  // El acuse sobrevive a una recarga mientras la sesión sigue.
  await p.reload();
  await p.getByRole("heading", { name: /La cancelación de la certificación se realizó con éxito\./ }).waitFor();
  const acuse = await descarga(p, () => p.getByRole("button", { name: "Descargar acuse de cancelación" }).click());
  assert.equal(acuse.bytes.subarray(0, 5).toString(), "%PDF-");
  assert.equal(acuse.nombre, `acuse-cancelacion-${folio}.pdf`);
  await salir(p);

  // En otra sesión ya no se ofrece.
  await ingresar(p, app.url, "Desarrollador de software de nómina", demo(DESARROLLADOR_2));
  await esperarTexto(p.locator("#cert-estatus"), "Cancelada");
  assert.equal(await p.getByRole("button", { name: "Descargar acuse de cancelación" }).count(), 0);
  await salir(p);
});

/** `2026-12-02T13:50:00Z` → `02/dic/2026 07:50:00`, calculado aquí (Node) de forma independiente. */
function horaDeMexico(iso) {
  const partes = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "America/Mexico_City", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(iso)).map((x) => [x.type, x.value]),
  );
  const mes = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"][Number(partes.month) - 1];
  return `${partes.day}/${mes}/${partes.year} ${partes.hour}:${partes.minute}:${partes.second}`;
}

test("ninguna petición del trámite llevó la contraseña ni la clave privada", () => {
  for (const cred of [demo(DESARROLLADOR_2), demo(ANALISTA)]) {
    assert.deepEqual(sinSecretos(nav.peticiones, cred), []);
  }
  assert.deepEqual(nav.errores, [], "errores de JavaScript en la página");
});
