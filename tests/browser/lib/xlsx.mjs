// Lectura mínima de un .xlsx (un ZIP con XML) para revisar la exportación: sin dependencias.

import { inflateRawSync } from "node:zlib";

/** Las entradas de un ZIP: Map nombre → Buffer. */
export function unzip(buf) {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd -= 1;
  if (eocd < 0) throw new Error("no es un ZIP");
  const total = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const archivos = new Map();
  for (let i = 0; i < total; i += 1) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error("directorio central dañado");
    const metodo = buf.readUInt16LE(p + 10);
    const comprimido = buf.readUInt32LE(p + 20);
    const nombreLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const comentarioLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const nombre = buf.subarray(p + 46, p + 46 + nombreLen).toString("utf8");
    const inicio = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const datos = buf.subarray(inicio, inicio + comprimido);
    archivos.set(nombre, metodo === 8 ? inflateRawSync(datos) : Buffer.from(datos));
    p += 46 + nombreLen + extraLen + comentarioLen;
  }
  return archivos;
}

function texto(xml) {
  return xml
    .replace(/<[^>]+>/g, "")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'")
    .replaceAll("&amp;", "&");
}

/** Nombres de las hojas y las filas de la primera: arreglo de filas, cada una { "A": valor, ... }. */
export function leerXlsx(buf) {
  const zip = unzip(buf);
  const libro = zip.get("xl/workbook.xml").toString("utf8");
  const hojas = [...libro.matchAll(/<sheet [^>]*name="([^"]+)"/g)].map((m) => texto(m[1]));
  const compartidas = zip.has("xl/sharedStrings.xml")
    ? [...zip.get("xl/sharedStrings.xml").toString("utf8").matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) => texto(m[1]))
    : [];
  const hoja = zip.get("xl/worksheets/sheet1.xml").toString("utf8");
  const filas = [];
  for (const fila of hoja.matchAll(/<row [^>]*>([\s\S]*?)<\/row>/g)) {
    const celdas = {};
    for (const c of fila[1].matchAll(/<c r="([A-Z]+)\d+"([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const [, col, attrs, dentro = ""] = c;
      const v = /<v>([\s\S]*?)<\/v>/.exec(dentro);
      const tipo = /t="(\w+)"/.exec(attrs);
      let valor = v ? v[1] : "";
      if (tipo && tipo[1] === "s") valor = compartidas[Number(valor)];
      else if (tipo && tipo[1] === "inlineStr") valor = texto(dentro);
      celdas[col] = valor;
    }
    filas.push(celdas);
  }
  return { hojas, filas };
}
