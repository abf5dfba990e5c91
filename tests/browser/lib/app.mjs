// Arranque de la aplicación y del navegador para las pruebas.
//
// La aplicación: si AVISOS_URL está definida (tests/browser/run.sh la define) se usa esa; si no,
// se arranca el host del repositorio (target/debug/avisos-host) con su almacén SQLite en un
// directorio temporal.
// El navegador: el chromium de Debian manejado por playwright-core, sin interfaz.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { chromium } from "playwright-core";

export const RAIZ = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
// Las capturas del README (docs/capturas/) solo se reescriben si se pide (AVISOS_CAPTURAS=1), para
// que una corrida de las pruebas no ensucie el árbol; si no, van a target/ para revisarlas tras un fallo.
export const CAPTURAS =
  process.env.AVISOS_CAPTURAS === "1" ? join(RAIZ, "docs/capturas") : join(RAIZ, "target/browser-capturas");
export const DEMO_PASSWORD = "demo12345";
export const PATRON = "EDE200101AB0";
export const DESARROLLADOR = "NDE190512XY6";
export const DESARROLLADOR_2 = "SDN180301K23";
export const ANALISTA = "AIGL850215QR5";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  // Un navegador en inglés: lo que se revisa son las etiquetas de la propia página («Elegir
  // archivo», «No se eligió ningún archivo»…), no las de los controles nativos del navegador.
  "--lang=en-US",
];

/** La zona horaria del navegador: ni la de México ni UTC, para ver que la página no depende de ella. */
export const ZONA_NAVEGADOR = "Asia/Tokyo";

export function demo(rfc) {
  const dir = join(RAIZ, "static/demo/efirma", rfc);
  return { cer: join(dir, "certificado.cer"), key: join(dir, "clave.key"), password: DEMO_PASSWORD };
}

export function sat(carpeta) {
  const dir = join(RAIZ, "shared/efirma/testdata/sat", carpeta);
  return {
    cer: join(dir, "certificate.cer"),
    key: join(dir, "private_key.key"),
    password: readFileSync(join(dir, "password.txt"), "utf8").trim(),
  };
}

function puertoLibre() {
  return new Promise((resolver, rechazar) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolver(port));
    });
    s.on("error", rechazar);
  });
}

async function esperar(url, ms) {
  const limite = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(`${url}/api/v1/salud`);
      if (r.ok) return;
    } catch (_) {
      /* aún no escucha */
    }
    if (Date.now() > limite) throw new Error(`la aplicación no respondió en ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * La aplicación: { url, db, detener() }. `db` es el archivo SQLite de su almacén (para leer la
 * semilla del set de pruebas, como las pruebas e2e). `variables` (p. ej. { modo: "produccion" })
 * pide una aplicación propia con esas variables de Spin, aunque AVISOS_URL esté definida.
 */
export async function iniciarApp(variables = {}) {
  if (process.env.AVISOS_URL && Object.keys(variables).length === 0) {
    return { url: process.env.AVISOS_URL.replace(/\/$/, ""), db: process.env.AVISOS_DB, detener: async () => {} };
  }
  const puerto = await puertoLibre();
  const estado = mkdtempSync(join(tmpdir(), "avisos-navegador-"));
  const host = spawn(
    join(RAIZ, "target/debug/avisos-host"),
    ["up", "--manifest", join(RAIZ, "spin.toml"), "--listen", `127.0.0.1:${puerto}`, "--state-dir", estado, "--quiet",
      "--variable", `llave_sello=${readFileSync(join(RAIZ, "shared/acts/testdata/sello-pruebas.pem"), "utf8")}`,
      "--variable", "clave_sesion=clave-de-sesion-solo-para-pruebas-del-navegador-0123456789",
      "--variable", "clave_contrasena=clave-de-contrasenas-solo-para-pruebas-del-navegador-0123",
      // The demo, asked for (the app fails closed); a test's own `modo` comes later and wins.
      "--variable", "modo=demo",
      // Tests log in as the same RFCs many times a minute (rate limits: README.md, «Límites»).
      "--variable", "limites=actos=100000/60,sesiones=100000/60,actos_cliente=100000/60,firmas_fallidas=100000/60,nonces=100000/60,nonces_cliente=100000/60,tablas=100000/60,consultas=100000/60,bitacora=100000/60,directorio=100000/60,evidencias=100000/60,descargas=100000/60,lecturas_cliente=100000/60",
      ...Object.entries(variables).flatMap(([nombre, valor]) => ["--variable", `${nombre}=${valor}`])],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const url = `http://127.0.0.1:${puerto}`;
  // A cold host compiles every component first: on a loaded 2-core machine that takes minutes.
  await esperar(url, 240_000);
  return {
    url,
    db: join(estado, "sqlite_key_value.db"),
    detener: async () => {
      host.kill("SIGTERM");
      await new Promise((r) => host.once("exit", r));
      rmSync(estado, { recursive: true, force: true });
    },
  };
}

/**
 * Chromium sin interfaz con un perfil nuevo. Registra cada petición que sale de la página en
 * `peticiones` (método, URL y cuerpo) para revisar qué se envía.
 */
export async function iniciarNavegador() {
  const perfil = mkdtempSync(join(tmpdir(), "avisos-chromium-"));
  const contexto = await chromium.launchPersistentContext(perfil, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, LANGUAGE: "en", LANG: "en_US.UTF-8" },
    acceptDownloads: true,
    locale: "en-US",
    timezoneId: ZONA_NAVEGADOR,
    viewport: { width: 1280, height: 900 },
  });
  const peticiones = [];
  contexto.on("request", (req) => {
    peticiones.push({ metodo: req.method(), url: req.url(), cuerpo: req.postDataBuffer() });
  });
  const errores = [];
  const pagina = contexto.pages()[0] || (await contexto.newPage());
  pagina.on("pageerror", (e) => errores.push(String(e)));
  pagina.on("console", (m) => {
    // Las respuestas 4xx esperadas (rechazos del servicio) también llegan a la consola.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errores.push(m.text());
  });
  return {
    contexto,
    pagina,
    peticiones,
    errores,
    cerrar: async () => {
      await contexto.close();
      rmSync(perfil, { recursive: true, force: true });
    },
  };
}

/** Guarda una captura de pantalla (para el README con AVISOS_CAPTURAS=1; ver CAPTURAS). */
export async function captura(pagina, nombre) {
  mkdirSync(CAPTURAS, { recursive: true });
  await pagina.screenshot({ path: join(CAPTURAS, `${nombre}.png`), fullPage: true });
}
