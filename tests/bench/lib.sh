# Shared by the benchmark scripts in this folder (sourced, never run): the optimised host build,
# starting and stopping avisos-host, and the result table. The caller sets `set -euo pipefail`,
# runs from the repository root and defines JOBS.

PROFILE=host-bench
# A separate target directory: this long build must not hold the shared target/ lock.
BENCH_TARGET="target/host-bench-build"
BIN="$BENCH_TARGET/$PROFILE"
# Rate limits raised for the benchmarks (one client, one RFC): the point is the store and the
# components, not the limiter.
LIMITS="actos=1000000/60,sesiones=1000000/60,actos_cliente=1000000/60,firmas_fallidas=1000000/60,nonces=1000000/60,nonces_cliente=1000000/60,tablas=1000000/60,consultas=1000000/60,bitacora=1000000/60,directorio=1000000/60,evidencias=1000000/60,descargas=1000000/60,lecturas_cliente=1000000/60"

# build_host [CARGO ARGS...]: avisos-host and avisos-load, optimised without LTO (profile defined
# here on the command line; the first build compiles wasmtime, about 10-15 minutes on 2 cores).
# With arguments, what they name instead (a benchmark driver: `-p avisos-e2e --example X`, then
# in $BIN/examples/), with the same profile.
build_host() {
  local what=("$@")
  [ ${#what[@]} -gt 0 ] || what=(-p avisos-host)
  echo "Building ${what[*]} (profile $PROFILE)..." >&2
  cargo build "${what[@]}" -j "$JOBS" --profile "$PROFILE" --target-dir "$BENCH_TARGET" \
    --config "profile.$PROFILE.inherits=\"release\"" \
    --config "profile.$PROFILE.lto=false" \
    --config "profile.$PROFILE.codegen-units=16" \
    --config "profile.$PROFILE.panic=\"unwind\"" \
    --config "profile.$PROFILE.strip=false" >&2
}

# app_variables: the Spin variables of a benchmark run of the app (fixed session key, the test
# seal, the raised limits), as avisos-host arguments in the array APP_VARIABLES.
app_variables() {
  APP_VARIABLES=(--variable modo=demo --variable limites="$LIMITS"
    --variable clave_sesion=clave-de-sesion-solo-para-pruebas-0123456789
    --variable clave_contrasena=clave-de-contrasenas-solo-para-pruebas-0123456789
    --variable llave_sello="$(cat shared/acts/testdata/sello-pruebas.pem)")
}

# wait_listening NAME PORT PID LOG: waits until PORT accepts connections; if the process PID
# ends first, prints its LOG and exits.
wait_listening() {
  local name=$1 port=$2 pid=$3 log=$4
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "avisos-host ($name) did not start:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "avisos-host ($name) did not listen on port $port" >&2
  exit 1
}

# start_app PORT WORK STORE_ARGS...: the app (spin.toml) on avisos-host in the background, with
# the benchmark variables, its state and cache under WORK; sets host_pid and waits for the port.
start_app() {
  local port=$1 work=$2
  shift 2
  app_variables
  "$BIN/avisos-host" up --manifest spin.toml --listen "127.0.0.1:$port" "$@" \
    --cache-dir "$work/cache" --quiet "${APP_VARIABLES[@]}" >"$work/host.log" 2>&1 &
  host_pid=$!
  wait_listening app "$port" "$host_pid" "$work/host.log"
}

# bench_work: sets `work` to a new temporary directory; on exit, the host is stopped and the
# directory removed.
bench_work() {
  work=$(mktemp -d)
  host_pid=
  trap 'stop_host; rm -rf "$work"' EXIT
}

# stop_host: ends the host started by start_app, if still running.
stop_host() {
  if [ -n "${host_pid:-}" ]; then
    kill "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
    host_pid=
  fi
}

# table_header WIDTH FIRST and table_row WIDTH ROW: the result table; ROW is one avisos-load
# `--format row` line (label, req/s, p50, p90, p99, max, errors; tab-separated).
table_header() {
  printf "%-${1}s %10s %9s %9s %9s %9s %7s\n" "$2" "req/s" "p50 ms" "p90 ms" "p99 ms" "max ms" "errors"
}
table_row() {
  local label rps p50 p90 p99 max errors
  IFS=$'\t' read -r label rps p50 p90 p99 max errors <<<"$2"
  printf "%-${1}s %10s %9s %9s %9s %9s %7s\n" "$label" "$rps" "$p50" "$p90" "$p99" "$max" "$errors"
}
