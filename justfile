# Developer tasks. `just` itself comes from `cargo install just --locked`.
# `just --list` shows the recipes.

# Run every test in the workspace
test:
    cargo test --workspace

# Benchmark `tfroles generate` on 1,000 and 10,000 stacks, the credential helper, and `tfroles usage` on 100 MB and 1 GB of CloudTrail logs (see docs/performance.md)
bench:
    cargo build --release --bin tfroles
    cargo bench --bench generate
    cargo bench --bench credentials
    cargo bench --bench usage

# Format the workspace
fmt:
    cargo fmt --all

# Lint every target, warnings as errors
lint:
    cargo clippy --all-targets -- -D warnings
