// Muestra el estado del servicio (GET /api/v1/salud).
(async () => {
  const estado = document.getElementById("estado");
  try {
    const r = await fetch("/api/v1/salud", { headers: { accept: "application/json" } });
    const s = await r.json();
    estado.textContent = s.estado === "ok"
      ? `Servicio disponible (versión ${s.version}). Hora del servidor: ${s.hora}.`
      : `Servicio degradado: ${s.almacen.detalle}`;
  } catch (e) {
    estado.textContent = "No fue posible consultar el estado del servicio.";
  }
})();
