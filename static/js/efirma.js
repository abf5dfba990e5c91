// Firma con e.firma en el navegador: shared/efirma compilado a WebAssembly (shared/efirma-web).
// La clave privada (.key) y su contraseña solo existen en la memoria de esta página: se copian a
// la memoria del módulo, se usan para firmar y se borran (con ceros) al terminar. Al servicio se
// envían únicamente el certificado, los datos y la firma.

const RUTA_WASM = new URL("../efirma/efirma_web.wasm", import.meta.url);
const OK = 0;

let cargando = null;

/** Carga (una sola vez) el módulo de firma. */
export function cargarFirmador() {
  if (!cargando) {
    cargando = WebAssembly.instantiateStreaming(fetch(RUTA_WASM), {})
      .then(({ instance }) => instance.exports)
      .catch((e) => {
        cargando = null;
        throw e;
      });
  }
  return cargando;
}

/** Un rechazo de la e.firma, con el campo del formulario al que pertenece. */
export class RechazoEfirma extends Error {
  constructor({ codigo, mensaje, campo }) {
    super(mensaje);
    this.codigo = codigo;
    this.mensaje = mensaje;
    this.campo = campo || "certificado";
  }
}

function copiar(x, bytes) {
  const ptr = x.efirma_alloc(bytes.length);
  new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
  return [ptr, bytes.length];
}

function respuesta(x, estado) {
  const vista = new Uint8Array(x.memory.buffer, x.efirma_output_ptr(), x.efirma_output_len());
  const texto = new TextDecoder().decode(vista.slice());
  if (estado !== OK) {
    throw new RechazoEfirma(JSON.parse(texto));
  }
  return texto;
}

function liberar(x, buffers) {
  for (const [ptr, len] of buffers) x.efirma_free(ptr, len);
}

/** Datos del certificado (RFC, nombre, vigencia) o un RechazoEfirma (CSD, vencido, ilegible). */
export async function resumenCertificado(certificado) {
  const x = await cargarFirmador();
  const cer = copiar(x, certificado);
  try {
    return JSON.parse(respuesta(x, x.efirma_summary(cer[0], cer[1], Date.now())));
  } finally {
    liberar(x, [cer]);
  }
}

/** La cadena original de una lista de campos (mismas reglas de escape que el servicio). */
export async function cadenaOriginal(campos) {
  const x = await cargarFirmador();
  const codificados = campos.map((c) => new TextEncoder().encode(String(c)));
  const total = codificados.reduce((n, c) => n + 4 + c.length, 0);
  const marcos = new Uint8Array(total);
  const vista = new DataView(marcos.buffer);
  let i = 0;
  for (const c of codificados) {
    vista.setUint32(i, c.length, true);
    marcos.set(c, i + 4);
    i += 4 + c.length;
  }
  const buf = copiar(x, marcos);
  try {
    return respuesta(x, x.efirma_cadena(buf[0], buf[1]));
  } finally {
    liberar(x, [buf]);
  }
}

/**
 * Descifra la clave con la contraseña, comprueba que corresponde al certificado y firma la
 * cadena (RSA PKCS#1 v1.5, SHA-256). Devuelve { firma (base64), certificado: resumen }.
 * Los bytes de la clave y de la contraseña se sobrescriben con ceros al terminar.
 */
export async function firmar({ certificado, clave, contrasena, cadena }) {
  const x = await cargarFirmador();
  const pw = new TextEncoder().encode(contrasena);
  const msg = new TextEncoder().encode(cadena);
  const buffers = [copiar(x, certificado), copiar(x, clave), copiar(x, pw), copiar(x, msg)];
  pw.fill(0);
  try {
    const [c, k, p, m] = buffers;
    const estado = x.efirma_sign(c[0], c[1], k[0], k[1], p[0], p[1], m[0], m[1], Date.now());
    return JSON.parse(respuesta(x, estado));
  } finally {
    liberar(x, buffers);
  }
}
