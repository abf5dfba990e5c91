#!/usr/bin/env python3
"""Times the efirma operations compiled to wasm32-unknown-unknown under wasmtime (Cranelift).

Usage: wasm_bench.py path/to/efirma_wasm_bench.wasm
Prints one line per operation: `wasm <name> <ops/s>`. Needs `pip install wasmtime`.
"""
import sys
import time

import wasmtime

# Iterations per operation, sized for about a second each on a 2-core machine.
OPERATIONS = [
    ("certificate_parse", 2000),
    ("key_decrypt", 60),
    ("verify_full_uncached", 60),
    ("verify_signed_act_cached", 1000),
    ("rsa2048_verify_efirma", 1000),
]


def main() -> None:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module.from_file(engine, sys.argv[1])
    instance = wasmtime.Instance(store, module, [])
    exports = instance.exports(store)
    if exports["bench_setup"](store) != 1:
        sys.exit("bench_setup failed")
    for name, iterations in OPERATIONS:
        function = exports[f"bench_{name}"]
        function(store, max(1, iterations // 10))  # warm-up
        start = time.perf_counter()
        successes = function(store, iterations)
        elapsed = time.perf_counter() - start
        if successes != iterations:
            sys.exit(f"{name}: {successes}/{iterations} succeeded")
        print(f"wasm {name} {iterations / elapsed:.0f}")


if __name__ == "__main__":
    main()
