//! Host bindings for the Spin and `wasi:keyvalue` / `wasi:config` interfaces (see `wit/`).

wasmtime::component::bindgen!({
    path: "wit",
    world: "avisos:host/spin-imports",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": crate::spin_host::SpinStore,
        "wasi:keyvalue/store.bucket": crate::spin_host::Bucket,
        "wasi:keyvalue/atomics.cas": crate::spin_host::Cas,
    },
});
