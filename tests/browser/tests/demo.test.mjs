// Las credenciales de demostración: en modo demo el panel de la e.firma las ofrece y las carga;
// en producción (modo = produccion) el servicio no sirve /demo/ y el panel no las ofrece.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { DEMO_PASSWORD, PATRON, demo, iniciarApp, iniciarNavegador } from "../lib/app.mjs";
import { readFileSync } from "node:fs";

const BOTON = "Usar credenciales de demostración";

let nav;

before(async () => {
  nav = await iniciarNavegador();
});

after(async () => {
  await nav?.cerrar();
});

/** Abre el ingreso y espera la respuesta a la sonda de la página (`HEAD /demo/LEEME.txt`). */
async function abrirIngreso(pagina, url) {
  const sonda = pagina.waitForResponse((r) => new URL(r.url()).pathname === "/demo/LEEME.txt");
  await pagina.goto(url);
  await pagina.getByRole("heading", { name: "Ingresa con tu e.firma" }).waitFor();
  const respuesta = await sonda;
  const ingreso = pagina.locator("#pantalla-ingreso");
  return { ingreso, estado: respuesta.status() };
}

test("en modo demo el panel ofrece y carga las credenciales de demostración", async () => {
  const app = await iniciarApp();
  try {
    const p = nav.pagina;
    const { ingreso, estado } = await abrirIngreso(p, app.url);
    assert.equal(estado, 200);
    await ingreso.getByText("Modo demostración:").waitFor();
    await ingreso.getByLabel("RFC de demostración").selectOption(PATRON);
    await ingreso.getByRole("button", { name: BOTON }).click();
    const pw = ingreso.getByLabel("Contraseña de la e.firma*");
    await p.waitForFunction((el) => el.value !== "", await pw.elementHandle());
    assert.equal(await pw.inputValue(), DEMO_PASSWORD);
    const cer = await ingreso.getByLabel("Certificado (.cer)*").evaluate(async (el) => ({
      nombre: el.files[0]?.name,
      bytes: Array.from(new Uint8Array(await el.files[0].arrayBuffer())),
    }));
    assert.equal(cer.nombre, "certificado.cer");
    assert.deepEqual(Buffer.from(cer.bytes), readFileSync(demo(PATRON).cer));
    assert.equal(
      await ingreso.getByLabel("Clave privada (.key)*").evaluate((el) => el.files[0]?.name),
      "clave.key",
    );
  } finally {
    await app.detener();
  }
});

test("en producción el panel no ofrece credenciales de demostración", async () => {
  const app = await iniciarApp({ modo: "produccion", confianza_efirma: "sat-produccion" });
  try {
    const p = nav.pagina;
    const { ingreso, estado } = await abrirIngreso(p, app.url);
    assert.equal(estado, 404);
    // La sonda ya tiene su respuesta; se da a la página un momento para atenderla (si ofreciera
    // el botón, aparecería aquí) y el panel debe seguir sin la sección de demostración.
    await ingreso.getByRole("button", { name: "Validar" }).waitFor();
    await p.waitForTimeout(300);
    assert.equal(await ingreso.getByRole("button", { name: BOTON }).count(), 0);
    assert.equal(await ingreso.getByText("Modo demostración:").count(), 0);
    const r = await fetch(`${app.url}/demo/efirma/${PATRON}/clave.key`);
    assert.equal(r.status, 404);
    assert.equal((await r.json()).codigo, "RECURSO_NO_ENCONTRADO");
    assert.deepEqual(nav.errores, []);
  } finally {
    await app.detener();
  }
});
