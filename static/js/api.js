// Cliente de la API (openapi.yaml). Errores: { codigo, mensaje } tal como los da el servicio.

import { cadenaOriginal, firmar } from "./efirma.js";

/** Error de la API: el estado HTTP y el { codigo, mensaje } del servicio. */
export class ErrorApi extends Error {
  constructor(status, codigo, mensaje, cuerpo = null) {
    super(mensaje);
    this.status = status;
    this.codigo = codigo;
    this.mensaje = mensaje;
    this.cuerpo = cuerpo;
  }
}

// El token de la sesión se guarda solo en memoria; la cookie HttpOnly `avisos_sesion` cubre
// las recargas de la página.
let token = null;
export function fijarToken(t) {
  token = t;
}

async function errorDe(r) {
  try {
    const e = await r.json();
    if (e && e.codigo) return new ErrorApi(r.status, e.codigo, e.mensaje || "", e);
  } catch (_) {
    /* cuerpo que no es JSON */
  }
  return new ErrorApi(r.status, "ERROR_HTTP", `El servicio respondió con el estado ${r.status}.`);
}

function encabezados(extra = {}) {
  const h = { accept: "application/json", ...extra };
  if (token) h.authorization = `Bearer ${token}`;
  return h;
}

/** Llama a la API y devuelve el JSON de la respuesta, o lanza ErrorApi. */
export async function api(ruta, { metodo = "GET", cuerpo } = {}) {
  const opciones = { method: metodo, headers: encabezados(), credentials: "same-origin" };
  if (cuerpo !== undefined) {
    opciones.headers["content-type"] = "application/json";
    opciones.body = JSON.stringify(cuerpo);
  }
  let r;
  try {
    r = await fetch(ruta, opciones);
  } catch (_) {
    throw new ErrorApi(0, "SIN_CONEXION", "No fue posible comunicarse con el servicio. Revisa tu conexión.");
  }
  if (!r.ok) throw await errorDe(r);
  return r.status === 204 ? null : r.json();
}

/** Descarga un archivo de la API (acuse, exportación) y lo ofrece al usuario con `nombre`. */
export async function descargar(ruta, nombre) {
  const r = await fetch(ruta, { headers: encabezados({ accept: "*/*" }), credentials: "same-origin" });
  if (!r.ok) throw await errorDe(r);
  const blob = await r.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = nombre;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return blob;
}

/** Sube un archivo con avance (XMLHttpRequest: fetch no informa el avance de la subida). */
export function subir(ruta, archivo, { tipo, alAvanzar, metodo = "POST" } = {}) {
  return new Promise((resolver, rechazar) => {
    const xhr = new XMLHttpRequest();
    xhr.open(metodo, ruta);
    xhr.withCredentials = true;
    for (const [k, v] of Object.entries(encabezados())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader("content-type", tipo || archivo.type || "application/octet-stream");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && alAvanzar) alAvanzar(e.loaded / e.total);
    };
    xhr.onload = () => {
      let cuerpo = null;
      try {
        cuerpo = JSON.parse(xhr.responseText);
      } catch (_) {
        /* vacío */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolver(cuerpo);
      else if (cuerpo && cuerpo.codigo) rechazar(new ErrorApi(xhr.status, cuerpo.codigo, cuerpo.mensaje, cuerpo));
      else rechazar(new ErrorApi(xhr.status, "ERROR_HTTP", `El servicio respondió con el estado ${xhr.status}.`));
    };
    xhr.onerror = () => rechazar(new ErrorApi(0, "SIN_CONEXION", "No fue posible comunicarse con el servicio."));
    xhr.send(archivo);
  });
}

export function base64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/**
 * Un acto firmado (ver ActoFirmado en openapi.yaml): pide el nonce, arma la cadena original,
 * la firma en el navegador y envía certificado + datos + firma. `datos` es una lista de pares
 * [nombre, valor] en el orden documentado; `extra` son campos que viajan fuera de la cadena
 * (p. ej. `contrasena` del servicio). `credenciales` = { certificado, clave, contrasena, rfc }.
 */
export async function actoFirmado(opciones) {
  return (await prepararActo(opciones)).enviar();
}

/**
 * Como actoFirmado, pero solo firma: pide el nonce, firma en el navegador y devuelve
 * { cuerpo, terminos, enviar() } sin enviar el acto. Así «Validar» firma y la pantalla de
 * confirmación de las guías decide: «Continuar» llama a enviar(); «Cancelar» no envía nada (el
 * nonce, sin usar, caduca solo). La fecha firmada debe llegar en 5 minutos.
 */
export async function prepararActo({ ruta, accion, datos = [], terminos = null, extra = {}, credenciales }) {
  const rfc = credenciales.rfc;
  const textoTerminos = terminos ? await api(`/api/v1/terminos/${terminos}`) : null;
  const sha = textoTerminos ? textoTerminos.sha256 : "";
  const { nonce } = await api("/api/v1/nonces", { metodo: "POST", cuerpo: { rfc, accion } });
  // La fecha del acto con el reloj del servicio (America/Mexico_City).
  const { hora: fecha } = await api("/api/v1/salud");
  const campos = ["AVISOS", "1", accion, rfc, fecha, nonce, sha, ...datos.map(([n, v]) => `${n}=${v}`)];
  const cadena = await cadenaOriginal(campos);
  const { firma } = await firmar({ ...credenciales, cadena });
  const cuerpo = {
    rfc,
    nonce,
    fecha,
    datos: Object.fromEntries(datos),
    certificado: base64(credenciales.certificado),
    firma,
    ...extra,
  };
  if (terminos) {
    cuerpo.acepto_terminos = true;
    cuerpo.terminos_sha256 = sha;
  }
  return { cuerpo, terminos: textoTerminos, enviar: () => api(ruta, { metodo: "POST", cuerpo }) };
}
