#!/usr/bin/env bash
# Builds the Partnerline image from a binary built on this machine (the Dockerfile's `prebuilt`
# target, on a local Debian base) and proves it with podman: migrations, one container per
# service with production-shaped settings (real Ed25519 key pair, secrets from files, read-only
# root, uid 65532, no capabilities), readiness, the demo seed, and a login, a product, a
# customer and an order through the containerised gateway.
#
#   deploy/image.sh --binary PATH [--keep]
#   deploy/image.sh --cleanup          # what --keep left behind
#
# Nothing here collides with a developer's stack (8080, 5005x, 9090) or the tests (ephemeral
# ports): ports below 32768 (gateway 18080, gRPC 1505x, admin 1909x, moved up by 100 until all
# are free), databases `plimage_*`, NATS prefix `plimage` (streams `PLIMAGE_*`).
#
# Environment (all optional):
#   PLIMAGE_TAG            image tag                     (localhost/partnerline:dev)
#   PLIMAGE_BASE           runtime base image            (localhost/bookworm-min, made here)
#   PLIMAGE_DATABASE_URL   PostgreSQL server             (postgres://postgres@127.0.0.1:5432)
#   PLIMAGE_NATS_URL       NATS server with JetStream    (nats://127.0.0.1:4222)
#   PLIMAGE_READY_TIMEOUT  seconds per service for /readyz (180)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

TAG=${PLIMAGE_TAG:-localhost/partnerline:dev}
BASE=${PLIMAGE_BASE:-localhost/bookworm-min}
DB_URL=${PLIMAGE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}
NATS_URL=${PLIMAGE_NATS_URL:-nats://127.0.0.1:4222}
READY_TIMEOUT=${PLIMAGE_READY_TIMEOUT:-180}
DB_PREFIX=plimage_
NATS_PREFIX=plimage
STREAM_PREFIX=PLIMAGE_
NAME=plimage # container names: plimage-<svc>, plimage-migrate, plimage-seed
SERVICES=(identity customers orders attribution commissions notifications gateway)
PODMAN=(podman --runtime runc)

binary='' keep=0 cleanup_only=0
usage() {
    local code=${1:-2}
    if ((code == 0)); then sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; else sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; fi
    exit "$code"
}
while [[ $# -gt 0 ]]; do
    case $1 in
        --binary) binary=${2:?--binary needs a path}; shift 2 ;;
        --binary=*) binary=${1#--binary=}; shift ;;
        --keep) keep=1; shift ;;
        --cleanup) cleanup_only=1; shift ;;
        -h | --help) usage 0 ;;
        *) echo "image.sh: unknown argument '$1'" >&2; usage ;;
    esac
done

t0=$SECONDS
step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() {
    printf '\nFAILED: %s\n' "$*" >&2
    exit 1
}
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------------------------------------
# Cleanup: containers, databases, NATS streams of this script only (names above).
containers() { podman ps -a --format '{{.Names}}' 2>/dev/null | grep -E "^${NAME}-" || true; }

drop_everything() {
    local c dbs db
    for c in $(containers); do
        "${PODMAN[@]}" rm -f -t 5 "$c" >/dev/null 2>&1 || true
    done
    dbs=$(psql "$DB_URL/postgres" -Atc "SELECT datname FROM pg_database WHERE datname LIKE '${DB_PREFIX//_/\\_}%'" 2>/dev/null) || {
        info "could not list databases at $DB_URL; drop ${DB_PREFIX}* by hand"
        dbs=
    }
    for db in $dbs; do
        psql "$DB_URL/postgres" -qAtc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null ||
            info "could not drop database $db"
    done
    if [[ -n $dbs ]]; then info "dropped databases: $(echo $dbs)"; fi
    if [[ -n ${PYTHON:-} ]]; then
        local streams
        if streams=$("$PYTHON" "$here/nats-streams.py" --url "$NATS_URL" delete "$STREAM_PREFIX"); then
            if [[ -n $streams ]]; then info "deleted NATS streams: $(echo $streams)"; fi
        else
            info "could not delete NATS streams ${STREAM_PREFIX}* (see above); they hold only this script's events"
        fi
    else
        info "no python3: NATS streams ${STREAM_PREFIX}* are left (delete with: nats stream rm ${STREAM_PREFIX}ORDERS ...)"
    fi
}

PYTHON=$(command -v python3 || true)

if ((cleanup_only)); then
    step "Removing containers ${NAME}-*, databases ${DB_PREFIX}*, NATS streams ${STREAM_PREFIX}*"
    drop_everything
    # Work directories of --keep runs: they hold the signing key.
    rm -rf /tmp/plimage.??????
    exit 0
fi
[[ -n $binary ]] || { echo "image.sh: --binary PATH is required" >&2; usage; }
[[ -f $binary && -x $binary ]] || die "--binary $binary: no such executable file (build it with: cargo build --release -p partnerline)"
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

work=$(mktemp -d /tmp/plimage.XXXXXX)
declare -A ready_ms=()
summary_lines=()
on_exit() {
    local rc=$?
    set +e
    if ((rc != 0)); then
        for c in $(containers); do
            if [[ $("${PODMAN[@]}" inspect -f '{{.State.Running}}' "$c" 2>/dev/null) != true ]]; then
                printf '\n--- %s exited; its last log lines (podman logs %s):\n' "$c" "$c" >&2
                "${PODMAN[@]}" logs --tail 15 "$c" 2>&1 | sed 's/^/    /' >&2
            fi
        done
    fi
    if ((keep)); then
        step "--keep: left running (remove with: deploy/image.sh --cleanup)"
        info "containers: $(containers | tr '\n' ' ')"
        info "gateway ${gw_url:-?}   secrets and config: $work"
    else
        step "Cleaning up"
        drop_everything
        rm -rf "$work"
    fi
    printf '\n==================== summary ====================\n'
    for l in "${summary_lines[@]}"; do printf '  %s\n' "$l"; done
    printf '  result:        %s (exit %s, %ss in all)\n' "$([[ $rc == 0 ]] && echo PASSED || echo FAILED)" "$rc" "$((SECONDS - t0))"
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
step "Checking tools"
missing=()
for t in podman runc debootstrap; do command -v "$t" >/dev/null || missing+=("$t"); done
if ((${#missing[@]})); then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        info "installing ${missing[*]} (apt-get install -y podman runc debootstrap)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >"$work/apt.log" 2>&1 ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >"$work/apt.log" 2>&1; } ||
            die "apt-get install failed (log: $work/apt.log)"
    else
        die "missing ${missing[*]}: run  sudo apt-get install -y podman runc debootstrap"
    fi
fi
for t in curl jq openssl psql; do
    command -v "$t" >/dev/null || die "missing $t: run  sudo apt-get install -y curl jq openssl postgresql-client"
done
[[ -n $PYTHON ]] || info "python3 not found: NATS streams will not be deleted at the end"
# crun cannot set rlimits on this kind of machine: no default ulimits (FIELD-NOTES).
conf=/etc/containers/containers.conf
if ! grep -qs '^[[:space:]]*default_ulimits[[:space:]]*=[[:space:]]*\[\]' "$conf" "${CONTAINERS_CONF:-/nonexistent}"; then
    if [[ ! -s $conf && -w $(dirname "$conf") ]] || [[ ! -e $conf && $(id -u) == 0 ]]; then
        mkdir -p "$(dirname "$conf")"
        printf '[containers]\ndefault_ulimits = []\n' >"$conf"
        info "wrote $conf: [containers] default_ulimits = []"
    else
        printf '[containers]\ndefault_ulimits = []\n' >"$work/containers.conf"
        export CONTAINERS_CONF=$work/containers.conf
        info "$conf sets default ulimits; using CONTAINERS_CONF=$CONTAINERS_CONF for this run"
    fi
fi
info "$(podman --version), $(runc --version | head -1)"
info "binary: $binary ($(du -h "$binary" | cut -f1)), $("$binary" --version)"
libs=$(ldd "$binary" 2>/dev/null | awk '{print $1}' | grep -v -e '^linux-vdso' -e '^/lib64/ld-linux' | xargs)
info "links: ${libs:-static}"
psql "$DB_URL/postgres" -qAtc 'SELECT 1' >/dev/null || die "PostgreSQL does not answer at $DB_URL"
nats_hostport=${NATS_URL#*://}
nats_hostport=${nats_hostport##*@}
(exec 3<>"/dev/tcp/${nats_hostport%:*}/${nats_hostport##*:}") 2>/dev/null || die "NATS does not answer at $NATS_URL"

# ---------------------------------------------------------------------------------------------
step "Base image $BASE"
if podman image exists "$BASE"; then
    info "present (cached)"
elif [[ $BASE == localhost/bookworm-min ]]; then
    [[ $(id -u) == 0 ]] || die "making $BASE needs root (debootstrap): run this as root once"
    root="$work/rootfs"
    info "debootstrap --variant=minbase bookworm (about a minute)"
    debootstrap --variant=minbase bookworm "$root" >"$work/debootstrap.log" 2>&1 ||
        die "debootstrap failed (log: $work/debootstrap.log; it needs deb.debian.org or an apt mirror)"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/{doc,man,info}/*
    tar -C "$root" -c . | podman import --quiet - "$BASE" >/dev/null
    rm -rf "$root"
    info "imported $BASE"
else
    die "base image $BASE is missing: pull it (podman pull $BASE) or unset PLIMAGE_BASE"
fi
base_size=$(podman image inspect -f '{{.Size}}' "$BASE")

# ---------------------------------------------------------------------------------------------
step "Building $TAG (deploy/Dockerfile, target prebuilt, RUNTIME_IMAGE=$BASE)"
# A context of just the binary: the repository (gigabytes of target/) need not be sent.
mkdir -p "$work/context"
cp "$binary" "$work/context/partnerline"
build_start=$SECONDS
"${PODMAN[@]}" build --quiet -f "$here/Dockerfile" --target prebuilt \
    --build-arg RUNTIME_IMAGE="$BASE" --build-arg BINARY=partnerline \
    --build-arg VERSION="$("$binary" --version | awk '{print $2}')" \
    --build-arg REVISION="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)" \
    --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -t "$TAG" "$work/context" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; die "podman build failed"; }
rm -rf "$work/context"
size=$(podman image inspect -f '{{.Size}}' "$TAG")
mb() { awk -v b="$1" 'BEGIN { printf "%.0f MB", b / 1000000 }'; }
shape=$(podman image inspect -f 'user={{.Config.User}} entrypoint={{join .Config.Entrypoint " "}} cmd={{join .Config.Cmd " "}}' "$TAG")
info "built in $((SECONDS - build_start))s: $(mb "$size") (base $(mb "$base_size") + binary $(mb "$((size - base_size))")); $shape"
[[ $shape == "user=65532:65532 entrypoint=/usr/local/bin/partnerline cmd=serve --target all" ]] ||
    die "image config is not what deploy/Dockerfile says: $shape"
summary_lines+=("image:         $TAG, $(mb "$size") (base $BASE $(mb "$base_size") + binary $(mb "$((size - base_size))"))")

# ---------------------------------------------------------------------------------------------
step "Choosing ports"
port_free() { [[ -z $(ss -Htln "sport = :$1" 2>/dev/null) ]]; }
declare -A port=()
for offset in 0 100 200 300 400 500 600 700 800 900; do
    port=([gateway]=$((18080 + offset)) [identity]=$((15051 + offset)) [customers]=$((15052 + offset))
        [orders]=$((15053 + offset)) [attribution]=$((15054 + offset)) [commissions]=$((15055 + offset)) [notifications]=$((15056 + offset)))
    ok=1
    i=0
    for s in "${SERVICES[@]}"; do
        admin_port[$i]=$((19090 + offset + i))
        port_free "${port[$s]}" && port_free "${admin_port[$i]}" || ok=0
        i=$((i + 1))
    done
    ((ok)) && break
done
((ok)) || die "no free set of ports found between 15051 and 19995"
i=0
for s in "${SERVICES[@]}"; do
    info "$(printf '%-12s %-6s admin %s' "$s" "${port[$s]}" "${admin_port[$i]}")"
    i=$((i + 1))
done
gw_url=http://127.0.0.1:${port[gateway]}

# ---------------------------------------------------------------------------------------------
step "Generating secrets (Ed25519 key pair, IP-hash salt) and the configuration file"
if [[ -n $(containers) ]]; then
    info "removing what an earlier --keep run left"
fi
drop_everything
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
mkdir -m 0755 "$work/secrets" "$work/config"
openssl genpkey -algorithm ed25519 -outform DER -out "$work/ed25519.der" 2>/dev/null
# PKCS#8 DER of an Ed25519 key: 16 bytes of header, then the 32-byte seed.
seed=$(tail -c 32 "$work/ed25519.der" | b64url)
# SubjectPublicKeyInfo DER: 12 bytes of header, then the raw 32-byte public key (the JWK `x`).
x=$(openssl pkey -inform DER -in "$work/ed25519.der" -pubout -outform DER | tail -c 32 | b64url)
rm -f "$work/ed25519.der"
[[ ${#seed} == 43 && ${#x} == 43 ]] || die "key generation gave a seed of ${#seed} and a key of ${#x} characters, not 43"
kid="plimage-$(date -u +%Y%m%d%H%M%S)"
printf '%s\n' "$seed" >"$work/secrets/signing-key"
openssl rand -hex 32 >"$work/secrets/ip-hash-salt"
chmod 0644 "$work/secrets/"* # read by uid 65532 in the container; $work itself is 0700
{
    echo "# deploy/image.sh: what a ConfigMap would hold. No secret here."
    echo "[database]"
    echo "url = \"$DB_URL\""
    echo "name_prefix = \"$DB_PREFIX\""
    echo "create_missing = true"
    echo "[nats]"
    echo "url = \"$NATS_URL\""
    echo "prefix = \"$NATS_PREFIX\""
    echo "[auth]"
    echo "signing_key_id = \"$kid\""
    echo "[[auth.verify_keys]]"
    echo "kid = \"$kid\""
    echo "x = \"$x\""
    echo "[gateway]"
    echo "public_url = \"$gw_url\""
    for s in "${SERVICES[@]}"; do
        echo "[services.$s]"
        echo "listen = \"127.0.0.1:${port[$s]}\""
        echo "url = \"http://127.0.0.1:${port[$s]}\""
    done
} >"$work/config/partnerline.toml"
chmod 0644 "$work/config/partnerline.toml"
info "key id $kid, public key x=$x"

# Every container: host network, read-only root, uid 65532, no capabilities, no new privileges,
# the configuration and the secrets mounted read-only. A secret is given only to who needs it.
run_opts=(--network host --read-only --read-only-tmpfs=false --user 65532:65532 --cap-drop ALL --security-opt no-new-privileges
    -v "$work/config:/etc/partnerline:ro" -e PARTNERLINE_CONFIG=/etc/partnerline/partnerline.toml
    -e RUST_LOG=info)
signing=(-v "$work/secrets/signing-key:/run/secrets/partnerline/signing-key:ro"
    -e PARTNERLINE_AUTH__SIGNING_KEY_FILE=/run/secrets/partnerline/signing-key)
salt=(-v "$work/secrets/ip-hash-salt:/run/secrets/partnerline/ip-hash-salt:ro"
    -e PARTNERLINE_GATEWAY__IP_HASH_SALT_FILE=/run/secrets/partnerline/ip-hash-salt)

# ---------------------------------------------------------------------------------------------
step "Migrating (partnerline migrate --target all)"
m0=$SECONDS
"${PODMAN[@]}" run --rm --name "$NAME-migrate" "${run_opts[@]}" "$TAG" migrate --target all >"$work/migrate.log" 2>&1 ||
    { tail -20 "$work/migrate.log" >&2; die "migrate failed (command: podman run ... $TAG migrate --target all)"; }
dbs=$(psql "$DB_URL/postgres" -Atc "SELECT count(*) FROM pg_database WHERE datname LIKE '${DB_PREFIX//_/\\_}%'")
info "done in $((SECONDS - m0))s: $dbs databases ${DB_PREFIX}*"
((dbs == ${#SERVICES[@]})) || die "migrate left $dbs databases ${DB_PREFIX}*, expected ${#SERVICES[@]}"

# ---------------------------------------------------------------------------------------------
step "Starting one container per service"
declare -A started=()
i=0
for s in "${SERVICES[@]}"; do
    extra=(-e "PARTNERLINE_ADMIN__LISTEN=127.0.0.1:${admin_port[$i]}")
    [[ $s == identity ]] && extra+=("${signing[@]}")
    [[ $s == gateway ]] && extra+=("${salt[@]}")
    started[$s]=$(now_ms)
    "${PODMAN[@]}" run -d --name "$NAME-$s" "${run_opts[@]}" "${extra[@]}" "$TAG" serve --target "$s" >/dev/null ||
        die "podman run $NAME-$s failed"
    info "$NAME-$s: serve --target $s"
    i=$((i + 1))
done

step "Waiting for /readyz (at most ${READY_TIMEOUT}s)"
# All at once: each service's time counts from its own start to its first 200. (Today /readyz
# answers 200 before a service has connected to PostgreSQL and NATS: its checks are added only then.)
deadline=$((SECONDS + READY_TIMEOUT))
while ((${#ready_ms[@]} < ${#SERVICES[@]})); do
    i=0
    for s in "${SERVICES[@]}"; do
        url="http://127.0.0.1:${admin_port[$i]}/readyz"
        i=$((i + 1))
        [[ -n ${ready_ms[$s]:-} ]] && continue
        if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url") == 200 ]]; then
            ready_ms[$s]=$(($(now_ms) - started[$s]))
            info "$(printf '%-12s ready after %5.1fs' "$s" "$(awk -v m="${ready_ms[$s]}" 'BEGIN { print m / 1000 }')")"
        elif [[ $("${PODMAN[@]}" inspect -f '{{.State.Running}}' "$NAME-$s") != true ]]; then
            die "$s exited before it was ready ($("${PODMAN[@]}" inspect -f 'exit code {{.State.ExitCode}}' "$NAME-$s")); logs: podman logs $NAME-$s"
        elif ((SECONDS > deadline)); then
            printf '\n--- last log lines of %s (podman logs %s):\n' "$s" "$NAME-$s" >&2
            "${PODMAN[@]}" logs --tail 20 "$NAME-$s" 2>&1 | sed 's/^/    /' >&2
            die "$s not ready within ${READY_TIMEOUT}s: $url answers '$(curl -s --max-time 2 "$url" | head -c 300)'"
        fi
    done
    if ((${#ready_ms[@]} < ${#SERVICES[@]})); then sleep 0.1; fi
done
line="ready:        "
for s in "${SERVICES[@]}"; do line+=" $s $(awk -v m="${ready_ms[$s]}" 'BEGIN { printf "%.1fs", m / 1000 }')"; done
summary_lines+=("$line")

# ---------------------------------------------------------------------------------------------
step "Seeding the demo program (partnerline seed --demo)"
s0=$SECONDS
"${PODMAN[@]}" run --rm --name "$NAME-seed" "${run_opts[@]}" "${signing[@]}" "$TAG" seed --demo >"$work/seed.log" 2>&1 ||
    { tail -20 "$work/seed.log" >&2; die "seed --demo failed"; }
info "done in $((SECONDS - s0))s: $(grep -c '^created' "$work/seed.log") lines 'created ...'"

# ---------------------------------------------------------------------------------------------
step "Through the containerised gateway $gw_url"
# call METHOD PATH EXPECTED_STATUS [JSON]: sets $body; dies naming the call on another status.
call() {
    local method=$1 path=$2 want=$3 data=${4:-} code
    local args=(-s -o "$work/body" -w '%{http_code}' --max-time 30 -X "$method" -H 'accept: application/json')
    [[ -n ${token:-} ]] && args+=(-H "authorization: Bearer $token")
    [[ -n $data ]] && args+=(-H 'content-type: application/json' --data "$data")
    code=$(curl "${args[@]}" "$gw_url$path") || code="curl-error-$?"
    body=$(cat "$work/body" 2>/dev/null || true)
    [[ $code == "$want" ]] || die "$method $path answered $code, expected $want: $(head -c 600 <<<"$body")"
}
# expect JQ_FILTER DESCRIPTION: the filter must give true on $body.
expect() {
    [[ $(jq -r "$1" <<<"$body" 2>/dev/null) == true ]] || die "$2: $1 is not true of $(head -c 600 <<<"$body")"
    info "ok  $2"
}
token=
call GET /api/v1/openapi.json 200
expect '(.openapi | startswith("3")) and (.paths | has("/api/v1/orders"))' "GET /api/v1/openapi.json: 200, OpenAPI $(jq -r .openapi <<<"$body"), $(jq '.paths | length' <<<"$body") paths"
call POST /api/v1/auth/login 200 '{"email":"admin@demo.test","password":"demo-admin","program":"demo"}'
expect '(.access_token | length > 20) and .token_type == "Bearer"' "POST /api/v1/auth/login as admin@demo.test: 200, a Bearer token"
token=$(jq -r .access_token <<<"$body")
call GET /api/v1/me 200
expect 'tostring | contains("\"admin@demo.test\"")' "GET /api/v1/me: 200, admin@demo.test"
sku="IMG-$(date +%s)"
call POST /api/v1/products 201 "{\"sku\":\"$sku\",\"name\":\"Image check\",\"base_price\":\"12.5\",\"kind\":\"physical\",\"category\":\"checks\"}"
expect ".sku == \"$sku\" and .base_price == \"12.50\" and .currency == \"EUR\"" "POST /api/v1/products: 201, $sku 12.50 EUR"
product=$(jq -r .id <<<"$body")
call POST /api/v1/customers 201 '{"name":"Image Check Bar","email":"bar@image-check.test","language":"en"}'
expect '.id | length > 0' "POST /api/v1/customers: 201, customer $(jq -r .id <<<"$body")"
customer=$(jq -r .id <<<"$body")
a0=$(now_ms)
call POST /api/v1/orders 201 "{\"customer_id\":\"$customer\",\"items\":[{\"product_id\":\"$product\",\"quantity\":2}],\"payment_method\":\"card\",\"paid\":true,\"shipping\":\"0\",\"tax_rate\":\"0\"}"
expect '.order.status == "paid" and .order.total == "25.00" and .order.amount_paid == "25.00" and .order.attribution_reason == null' \
    "POST /api/v1/orders: 201, $(jq -r .order.number <<<"$body") paid, total $(jq -r '.order.total + " " + .order.currency' <<<"$body"), not yet attributed"
order=$(jq -r .order.id <<<"$body")
number=$(jq -r .order.number <<<"$body")
# orders -> NATS -> attribution -> NATS -> orders: the order learns why its partner is who it is.
deadline=$((SECONDS + 60))
while :; do
    call GET "/api/v1/orders/$order" 200
    [[ $(jq -r '.attribution_reason // empty' <<<"$body") != "" ]] && break
    ((SECONDS < deadline)) || die "order $number has no attribution_reason 60s after it was placed: order.placed / order.attributed did not travel through NATS (logs: podman logs $NAME-attribution; podman logs $NAME-orders)"
    sleep 0.5
done
attributed_ms=$(($(now_ms) - a0))
expect '.attribution_reason | length > 0' "GET /api/v1/orders/$order: attributed through NATS ('$(jq -r .attribution_reason <<<"$body")') ${attributed_ms} ms after placing"
call GET /api/v1/ledger/check 200
expect '.sound == true' "GET /api/v1/ledger/check: 200, sound ($(jq -r .accounts <<<"$body") accounts)"
summary_lines+=("login:         200, admin@demo.test (program demo), Bearer token from identity's own key $kid")
summary_lines+=("order:         201, $number paid 25.00 EUR for a new customer; attributed '$(jq -r .attribution_reason <<<"$(curl -s -H "authorization: Bearer $token" "$gw_url/api/v1/orders/$order")")' via NATS in ${attributed_ms} ms; ledger sound")

# ---------------------------------------------------------------------------------------------
step "Every container still running, none restarted"
for s in "${SERVICES[@]}"; do
    [[ $("${PODMAN[@]}" inspect -f '{{.State.Running}}' "$NAME-$s") == true ]] || die "$s stopped (podman logs $NAME-$s)"
    if errors=$("${PODMAN[@]}" logs "$NAME-$s" 2>&1 | grep -c '"level":"ERROR"'); then
        info "$s: $errors ERROR log lines (podman logs $NAME-$s)"
    fi
done
info "all ${#SERVICES[@]} running"
summary_lines+=("run:           --read-only (no tmpfs) --user 65532:65532 --cap-drop ALL --security-opt no-new-privileges --network host --runtime runc")
