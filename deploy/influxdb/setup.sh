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
# First start of a brand-new server (no org/user yet): set BW_INIT_USER and BW_INIT_PASSWORD
# and the script runs `influx setup` first (it then prints nothing secret either).

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

# Brand-new server: create the org, an admin user and the first bucket in one step.
initial_setup() {
    [ -n "${BW_INIT_USER:-}" ] || return 0
    : "${BW_INIT_PASSWORD:?BW_INIT_PASSWORD is needed with BW_INIT_USER}"
    log "initial setup org=$ORG user=$BW_INIT_USER"
    influx_cmd setup --force --org "$ORG" --bucket bw_events --retention "$EVENTS_RETENTION" \
        --username "$BW_INIT_USER" --password "$BW_INIT_PASSWORD"
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
