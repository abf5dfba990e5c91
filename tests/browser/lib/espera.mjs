// Esperas legibles: hasta que un localizador muestre un texto.

export async function esperarTexto(localizador, patron, ms = 30_000) {
  const limite = Date.now() + ms;
  let ultimo = "";
  for (;;) {
    try {
      ultimo = (await localizador.first().textContent({ timeout: 1000 })) || "";
      if (patron instanceof RegExp ? patron.test(ultimo) : ultimo.includes(patron)) return ultimo;
    } catch (_) {
      /* aún no existe */
    }
    if (Date.now() > limite) throw new Error(`se esperaba ${patron}; se vio «${ultimo}»`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
