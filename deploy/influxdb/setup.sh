#!/bin/sh
# borderwatch: prepare an InfluxDB 2.x server for the hub (org, buckets with retention, tokens).
#
# Run once per server, as an operator who holds an all-access (or owner) token, with the
# influx CLI 2.x on PATH (https://docs.influxdata.com/influxdb/v2/tools/influx-cli/):
#
#   INFLUX_HOST=http://127.0.0.1:8086 INFLUX_TOKEN=<operator token> deploy/influxdb/setup.sh
#
# Safe to re-run: existing buckets get their retention updated, nothing is deleted.
# DRY_RUN=1 prints the influx commands instead of running them.
#
# What it creates, matching the hub's [store] defaults (hub/store/config.py, Buckets):
#   one bucket per measurement family, because InfluxDB keeps data per bucket:
#     bw_events        detections/tracks     (measurement "events")        BW_EVENTS_RETENTION    90d
#     bw_telemetry     agent + sensor health (measurements "agent","sensor") BW_TELEMETRY_RETENTION 14d
#     bw_alerts        alert counts          (measurement "alerts")        BW_ALERTS_RETENTION    365d
#     bw_dead_letters  rejection counters    (measurement "dead_letters")  BW_DEAD_LETTERS_RETENTION 30d
#   two tokens, each written to a file readable by its owner only (never printed):
#     hub writer:      write on the four buckets      -> $BW_TOKEN_DIR/hub-writer.token
#     grafana reader:  read on the four buckets       -> $BW_TOKEN_DIR/grafana-reader.token
#   Point the hub at it with   [store] type = "influxdb"  token_file = ".../hub-writer.token"
#
# First start of a brand-new server (no org/user yet): set BW_INIT_USER and BW_INIT_PASSWORD_FILE
# (a file holding the admin password; or BW_INIT_PASSWORD in the environment) and the script sets
# the server up first through its HTTP API. Secrets come from the environment or files, never
# from a command line, and nothing secret is printed.

set -eu

ORG="${BW_ORG:-borderwatch}"
TOKEN_DIR="${BW_TOKEN_DIR:-/etc/borderwatch/secrets}"
EVENTS_RETENTION="${BW_EVENTS_RETENTION:-90d}"
TELEMETRY_RETENTION="${BW_TELEMETRY_RETENTION:-14d}"
ALERTS_RETENTION="${BW_ALERTS_RETENTION:-365d}"
DEAD_LETTERS_RETENTION="${BW_DEAD_LETTERS_RETENTION:-30d}"
DRY_RUN="${DRY_RUN:-0}"

BUCKETS="bw_events:$EVENTS_RETENTION bw_telemetry:$TELEMETRY_RETENTION bw_alerts:$ALERTS_RETENTION bw_dead_letters:$DEAD_LETTERS_RETENTION"

log() { printf 'setup: %s\n' "$*" >&2; }

# Run an influx command quietly, or print it in dry-run mode.
influx_cmd() {
    if [ "$DRY_RUN" = 1 ]; then
        printf 'influx %s\n' "$*"
        return 0
    fi
    influx "$@" >/dev/null
}

require_cli() {
    [ "$DRY_RUN" = 1 ] && return 0
    command -v influx >/dev/null 2>&1 || { log "influx CLI 2.x not found on PATH"; exit 1; }
    : "${INFLUX_HOST:?set INFLUX_HOST, e.g. http://127.0.0.1:8086}"
    if [ -z "${BW_INIT_USER:-}" ]; then
        : "${INFLUX_TOKEN:?set INFLUX_TOKEN to an operator (all-access) token}"
    fi
}

# Brand-new server: create the org, an admin user and the first bucket in one step. Through the
# HTTP API, so the password never stands on a command line (any user can read those with ps): it
# comes from the file BW_INIT_PASSWORD_FILE or, failing that, the variable BW_INIT_PASSWORD. The
# operator token the server answers with goes to $TOKEN_DIR/operator.token (owner only) and, through
# INFLUX_TOKEN in the environment, to the influx commands that follow.
initial_setup() {
    [ -n "${BW_INIT_USER:-}" ] || return 0
    if [ -z "${BW_INIT_PASSWORD_FILE:-}" ] && [ -z "${BW_INIT_PASSWORD:-}" ]; then
        log "BW_INIT_PASSWORD_FILE (or BW_INIT_PASSWORD) is needed with BW_INIT_USER"
        exit 1
    fi
    log "initial setup org=$ORG user=$BW_INIT_USER"
    if [ "$DRY_RUN" = 1 ]; then
        printf 'POST %s/api/v2/setup org=%s user=%s bucket=bw_events retention=%s\n' \
            "${INFLUX_HOST:-http://127.0.0.1:8086}" "$ORG" "$BW_INIT_USER" "$EVENTS_RETENTION"
        return 0
    fi
    umask 077
    mkdir -p "$TOKEN_DIR"
    BW_ORG="$ORG" BW_RETENTION="$EVENTS_RETENTION" python3 - > "$TOKEN_DIR/operator.token" <<'PY'
import json, os, re, urllib.request

env = os.environ
path = env.get("BW_INIT_PASSWORD_FILE")
password = open(path, encoding="utf-8").read().strip() if path else env["BW_INIT_PASSWORD"]
number, unit = re.fullmatch(r"(\d+)([smhdw])", env["BW_RETENTION"]).groups()
seconds = int(number) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
body = {"username": env["BW_INIT_USER"], "password": password, "org": env["BW_ORG"],
        "bucket": "bw_events", "retentionPeriodSeconds": seconds}
req = urllib.request.Request(env["INFLUX_HOST"].rstrip("/") + "/api/v2/setup", json.dumps(body).encode(),
                             {"Content-Type": "application/json"}, method="POST")
with urllib.request.urlopen(req, timeout=30) as resp:
    print(json.load(resp)["auth"]["token"])
PY
    chmod 600 "$TOKEN_DIR/operator.token"
    INFLUX_TOKEN="$(cat "$TOKEN_DIR/operator.token")"
    export INFLUX_TOKEN
}

# Print the id of bucket $1 (empty when it does not exist).
bucket_id() {
    if [ "$DRY_RUN" = 1 ]; then
        printf '<id-of-%s>\n' "$1"
        return 0
    fi
    influx bucket list --org "$ORG" --name "$1" --hide-headers 2>/dev/null | awk 'NR==1 {print $1}'
}

# Create the bucket, or bring an existing bucket's retention to the configured value.
ensure_bucket() {
    name="$1"
    retention="$2"
    id="$(bucket_id "$name")"
    if [ -n "$id" ] && [ "$DRY_RUN" != 1 ]; then
        log "bucket exists name=$name; retention=$retention"
        influx_cmd bucket update --id "$id" --retention "$retention"
    else
        log "bucket create name=$name retention=$retention"
        influx_cmd bucket create --org "$ORG" --name "$name" --retention "$retention"
    fi
}

# Create a token with $2 (--write-bucket or --read-bucket) on every bucket; store it in file $1.
make_token() {
    file="$1"
    flag="$2"
    description="$3"
    args=""
    for entry in $BUCKETS; do
        args="$args $flag $(bucket_id "${entry%%:*}")"
    done
    log "token create description=\"$description\" file=$file"
    if [ "$DRY_RUN" = 1 ]; then
        # shellcheck disable=SC2086
        influx_cmd auth create --org "$ORG" $args --description "$description" --json
        return 0
    fi
    umask 077
    mkdir -p "$TOKEN_DIR"
    # shellcheck disable=SC2086
    influx auth create --org "$ORG" $args --description "$description" --json \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])' > "$file"
    chmod 600 "$file"
}

main() {
    require_cli
    initial_setup
    for entry in $BUCKETS; do
        ensure_bucket "${entry%%:*}" "${entry#*:}"
    done
    make_token "$TOKEN_DIR/hub-writer.token" --write-bucket "borderwatch hub writer"
    make_token "$TOKEN_DIR/grafana-reader.token" --read-bucket "borderwatch grafana reader"
    log "done org=$ORG tokens in $TOKEN_DIR (owner-only files)"
}

main "$@"
