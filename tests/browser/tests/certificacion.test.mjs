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
import { ANALISTA, DESARROLLADOR_2, RAIZ, captura, demo, iniciarApp, iniciarNavegador } from "../lib/app.mjs";
import { errorDe, ingresar, salir, sinSecretos, validarEfirma } from "../lib/portal.mjs";
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
  await aceptarTerminos(p);
  await p.getByLabel("Correo electrónico*").fill(CORREO);
  await p.getByRole("button", { name: "Continuar" }).click();
  await validarEfirma(p.locator("#panel-certificacion"), demo(DESARROLLADOR_2));
  await p.getByRole("heading", { name: "Solicitud de Trámite" }).waitFor();
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
  await p.getByRole("button", { name: "Continuar" }).click();
  await aceptarTerminos(p);
  await validarEfirma(p.locator("#panel-certificacion"), demo(DESARROLLADOR_2));
  await p.getByRole("heading", { name: "Certificación autorizada" }).waitFor();
  const responsiva = await descarga(p, () => p.getByRole("button", { name: "Descargar responsiva" }).click());
  assert.equal(responsiva.bytes.subarray(0, 5).toString(), "%PDF-");
  await p.getByRole("button", { name: "Continuar" }).click();
  await esperarTexto(p.locator("#cert-estatus"), "Certificación autorizada");
  await captura(p, "certificacion-autorizada");

  // La bandeja de notificaciones: los correos del trámite.
  await p.getByRole("tab", { name: /Notificaciones/ }).click();
  await p.getByRole("heading", { name: "Notificaciones" }).waitFor();
  const asuntos = await p.locator("article.notificacion h3").allTextContents();
  assert.ok(asuntos.length >= 2, `notificaciones: ${asuntos}`);
  assert.ok((await p.locator("article.notificacion").allTextContents()).join(" ").includes(folio));
  await captura(p, "notificaciones");

  // Cancelar certificación: confirmación, términos, e.firma; el acuse se ofrece una vez.
  await p.getByRole("tab", { name: "Certificación para desarrolladores" }).click();
  await p.getByRole("button", { name: "Cancelar certificación" }).click();
  await p.getByRole("dialog").getByRole("button", { name: "Continuar" }).click();
  await aceptarTerminos(p);
  await validarEfirma(p.locator("#panel-certificacion"), demo(DESARROLLADOR_2));
  await p.getByRole("heading", { name: /La cancelación de la certificación se realizó con éxito\./ }).waitFor();
  await p.getByText("solo se mostrará en esta sesión").waitFor();
  const acuse = await descarga(p, () => p.getByRole("button", { name: "Descargar acuse de cancelación" }).click());
  assert.equal(acuse.bytes.subarray(0, 5).toString(), "%PDF-");
  await captura(p, "certificacion-cancelada");
  await p.getByRole("tab", { name: "Certificación para desarrolladores" }).click();
  await esperarTexto(p.locator("#cert-estatus"), "Cancelada");
  assert.equal(await p.getByRole("button", { name: "Descargar acuse de cancelación" }).count(), 0);
  await salir(p);
});

test("ninguna petición del trámite llevó la contraseña ni la clave privada", () => {
  for (const cred of [demo(DESARROLLADOR_2), demo(ANALISTA)]) {
    assert.deepEqual(sinSecretos(nav.peticiones, cred), []);
  }
  assert.deepEqual(nav.errores, [], "errores de JavaScript en la página");
});
