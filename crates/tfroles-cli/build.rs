//! Links the `tfroles` binary as a position-dependent executable on Linux
//! with glibc (`-no-pie`).
//!
//! Why: a `credential-process` cache hit is mostly process start, and a
//! position-independent executable of this size starts with tens of
//! thousands of relative relocations for the dynamic loader to apply and
//! the pages they dirty. Linked without PIE, the linker resolves them and
//! the hit costs about what a minimal program's start costs (measured in
//! docs/performance.md). The trade-off: the executable's own image loses
//! address randomisation (shared libraries, stack, heap and mappings keep
//! it). `TFROLES_PIE=1` at build time keeps the platform's default.
fn main() {
    println!("cargo:rerun-if-env-changed=TFROLES_PIE");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let keep_pie = std::env::var("TFROLES_PIE").is_ok_and(|v| v == "1");
    if os == "linux" && env == "gnu" && !keep_pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
