// Acciones de usuario sobre el portal, como las haría una persona: etiquetas y botones visibles.

import { readFileSync } from "node:fs";

/** Llena el panel de la e.firma dentro de `ambito` y pulsa «Validar». */
export async function validarEfirma(ambito, { cer, key, password }) {
  const panel = ambito.locator("form.efirma").last();
  await panel.getByLabel("Certificado (.cer)*").setInputFiles(cer);
  await panel.getByLabel("Clave privada (.key)*").setInputFiles(key);
  await panel.getByLabel("Contraseña de la e.firma*").fill(password);
  await panel.getByRole("button", { name: "Validar" }).click();
  return panel;
}

/**
 * La pantalla que sigue a «Validar» (los términos otra vez o la «Solicitud de trámite»): espera
 * su título y devuelve la sección, con sus botones «Cancelar» y «Continuar».
 */
export async function pantallaConfirmacion(pagina, titulo) {
  const seccion = pagina.locator("section.confirmacion").filter({ has: pagina.getByRole("heading", { name: titulo, exact: true }) });
  await seccion.waitFor();
  return seccion;
}

/** Las peticiones POST a `ruta` (p. ej. `/api/v1/relaciones`) registradas desde `desde`. */
export function envios(peticiones, ruta, desde = 0) {
  return peticiones.slice(desde).filter((r) => r.metodo === "POST" && new URL(r.url).pathname === ruta);
}

/** Inicia sesión con un rol y una e.firma; espera a ver las pestañas. */
export async function ingresar(pagina, url, rol, cred) {
  await pagina.goto(url);
  await pagina.getByRole("heading", { name: "Ingresa con tu e.firma" }).waitFor();
  await pagina.getByLabel(rol).check();
  await validarEfirma(pagina.locator("#pantalla-ingreso"), cred);
  await pagina.getByRole("tablist", { name: "Servicios de Intercomunicación" }).waitFor();
}

export async function salir(pagina) {
  await pagina.getByRole("button", { name: "Cerrar sesión" }).click();
  await pagina.getByRole("heading", { name: "Ingresa con tu e.firma" }).waitFor();
}

/** El mensaje de error que la página muestra junto a un control (aria-describedby). */
export async function errorDe(control) {
  const id = await control.getAttribute("id");
  return control.page().locator(`[id="${id}-error"]`);
}

/**
 * Comprueba que ninguna petición lleve la contraseña de la e.firma ni los bytes de la clave
 * privada (en crudo, en base64 o en hex).
 */
export function sinSecretos(peticiones, { key, password }) {
  const clave = readFileSync(key);
  const marcas = [
    Buffer.from(password),
    Buffer.from(encodeURIComponent(password)),
    clave.subarray(0, 64),
    clave.subarray(clave.length - 64),
    Buffer.from(clave.toString("base64").slice(0, 80)),
    Buffer.from(clave.toString("hex").slice(0, 80)),
  ];
  const fugas = [];
  for (const p of peticiones) {
    const cuerpo = p.cuerpo || Buffer.alloc(0);
    for (const m of marcas) {
      if (cuerpo.includes(m) || Buffer.from(p.url).includes(m)) fugas.push(`${p.metodo} ${p.url}`);
    }
  }
  return fugas;
}
