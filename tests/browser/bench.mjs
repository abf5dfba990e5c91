// Benchmark of the in-browser e.firma signer in headless Chromium: module load, certificate
// summary, cadena original, and decrypt + sign (what «Validar» costs), with the bundle's size.
// Usage: node tests/browser/bench.mjs [iterations]   (starts its own host unless AVISOS_URL is set)

import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { RAIZ, iniciarApp, iniciarNavegador } from "./lib/app.mjs";

const N = Number(process.argv[2] || 50);
const app = await iniciarApp();
const nav = await iniciarNavegador();
try {
  await nav.pagina.goto(app.url);
  await nav.pagina.locator("form.efirma").waitFor();
  const tiempos = await nav.pagina.evaluate(async (n) => {
    const t0 = performance.now();
    const m = await import("/js/efirma.js");
    await m.cargarFirmador();
    const carga = performance.now() - t0;
    const leer = async (ruta) => new Uint8Array(await (await fetch(ruta)).arrayBuffer());
    const certificado = await leer("/demo/efirma/EDE200101AB0/certificado.cer");
    const clave = await leer("/demo/efirma/EDE200101AB0/clave.key");
    const medir = async (f) => {
      const xs = [];
      for (let i = 0; i < n; i += 1) {
        const a = performance.now();
        await f(i);
        xs.push(performance.now() - a);
      }
      xs.sort((x, y) => x - y);
      return { p50: xs[Math.floor(n / 2)], p90: xs[Math.floor(n * 0.9)] };
    };
    const campos = ["AVISOS", "1", "ADICIONAR_RELACION", "EDE200101AB0", "2026-11-23T12:00:00-06:00", "nonce", "a".repeat(64), "servicio=Avisos"];
    return {
      carga,
      resumen: await medir(() => m.resumenCertificado(certificado)),
      cadena: await medir(() => m.cadenaOriginal(campos)),
      firma: await medir((i) => m.firmar({ certificado, clave, contrasena: "demo12345", cadena: `||prueba|${i}||` })),
    };
  }, N);
  const wasm = readFileSync(join(RAIZ, "static/efirma/efirma_web.wasm"));
  const f = (x) => x.toFixed(2).padStart(8);
  console.log(`efirma_web.wasm: ${wasm.length} bytes (${gzipSync(wasm, { level: 9 }).length} gzip -9)`);
  console.log(`module load + instantiate (first, uncached): ${tiempos.carga.toFixed(1)} ms`);
  console.log(`| operation (${N} runs, Chromium) | p50 ms | p90 ms |`);
  console.log("| --- | ---: | ---: |");
  console.log(`| certificate summary (.cer parse + checks) | ${f(tiempos.resumen.p50)} | ${f(tiempos.resumen.p90)} |`);
  console.log(`| cadena original (8 fields) | ${f(tiempos.cadena.p50)} | ${f(tiempos.cadena.p90)} |`);
  console.log(`| Validar: decrypt .key (PBKDF2 + 3DES) + match + sign RSA-2048 + self-check | ${f(tiempos.firma.p50)} | ${f(tiempos.firma.p90)} |`);
} finally {
  await nav.cerrar();
  await app.detener();
}
