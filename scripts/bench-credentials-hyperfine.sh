#!/bin/sh
# Side-by-side start-up figures for the credential helper with hyperfine
# (docs/performance.md, "The hit index"): a warm `credential-process --role`
# from a config against a Rust hello-world and /bin/true, and a cold
# `--no-cache` call against curl sending the same AssumeRole to the same
# moto. Needs hyperfine, curl, rustc, and the test venv's moto_server
# (created by `cargo test`): run from the repository root after
# `cargo build --release --bin tfroles`.
set -eu
TFROLES=${TFROLES_BIN:-$(pwd)/target/release/tfroles}
MOTO=${MOTO_SERVER:-$(pwd)/target/peers/venv/bin/moto_server}
PORT=${PORT:-45321}
work=$(mktemp -d)
trap 'kill $moto_pid 2>/dev/null; rm -rf "$work"' EXIT
"$MOTO" -H 127.0.0.1 -p "$PORT" >"$work/moto.log" 2>&1 &
moto_pid=$!
until curl -s "http://127.0.0.1:$PORT/moto-api/" >/dev/null; do sleep 0.2; done

cat >"$work/hello.rs" <<'RS'
fn main() {
    println!("{{\"Version\":1,\"AccessKeyId\":\"AKIA\",\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\",\"Expiration\":\"2026-11-21T12:00:00Z\"}}");
}
RS
rustc -O -o "$work/hello" "$work/hello.rs"

mkdir "$work/config"
cat >"$work/config/tfroles.hcl" <<'HCL'
defaults {
  region = "us-east-1"
}

account "shared" {
  id = "111111111111"
}

state {
  account = "shared"
  bucket  = "acme-terraform-state"
  role    = "terraform-state"
}

role "terraform-state" {
  account = "shared"
}

role "bench" {
  account     = "shared"
  external_id = "e1"
  services    = ["ec2", "s3"]
}

stack "apps/*" {
  account = "shared"
  role    = "bench"
}
HCL
export AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT" AWS_ACCESS_KEY_ID=testing \
  AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null \
  AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
  TFROLES_CACHE_DIR="$work/cache"
unset RUST_LOG TFROLES_CONFIG AWS_PROFILE AWS_SESSION_TOKEN
cd "$work/config"
# A full run, then one recorded in the hit index.
"$TFROLES" credential-process --role bench >/dev/null
"$TFROLES" credential-process --role bench >/dev/null
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N --warmup 30 --runs "${RUNS:-300}" \
  "$work/hello" /bin/true "$TFROLES --version" "$TFROLES credential-process --role bench"
body="Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::111111111111:role/bench&RoleSessionName=tfroles&ExternalId=e1"
# moto routes a request by its signature's credential scope; unsigned, it
# searches every service, so curl sends a (never checked) SigV4 header too.
auth="Authorization: AWS4-HMAC-SHA256 Credential=testing/20261202/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0"
hyperfine -N --warmup 5 --runs "${COLD_RUNS:-40}" \
  "curl -sS --fail -o /dev/null -H '$auth' --data $body http://127.0.0.1:$PORT/" \
  "$TFROLES credential-process --role-arn arn:aws:iam::111111111111:role/bench --external-id e1 --no-cache"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
