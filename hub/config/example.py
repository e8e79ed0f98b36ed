"""The commented example written by ``borderwatch hub init`` (tests check that it validates)."""

EXAMPLE = """# borderwatch hub configuration (TOML). Check it with `borderwatch hub check -c hub.toml`.
hub_id = "hub"

[broker]
host = "127.0.0.1"
port = 1883
# username = "hub"
# password_env = "BW_MQTT_PASSWORD"     # never the password itself

[store]
type = "sqlite"                         # embedded default; "influxdb" for production
path = "var/hub/events.sqlite3"
# type = "influxdb"
# url = "http://influxdb:8086"
# org = "borderwatch"
# token_env = "BW_INFLUX_TOKEN"

[delivery]
ledger_path = "var/hub/ledger.sqlite3"  # highest contiguous seq per agent: keep it with the store
mqtt_version = "5"                      # "3.1.1" with the embedded `borderwatch broker`
# shared_group = "hubs"                 # several hub instances splitting the load ($share/hubs/...)

[state]
type = "sqlite"                         # alerts in alerts.db_path, ledger in delivery.ledger_path
# type = "postgres"                     # several hubs: one alert state and one ledger for all
# dsn = "postgresql://borderwatch@db.example:5432/borderwatch"
# schema = "borderwatch"

[ingest]                                # the hub's trust boundary (docs/operator-guide.md, dead letters)
# allow_agents = ["west-1/mast-01"]     # agents the hub tracks; without a list it learns up to max_auto_agents
max_auto_agents = 1000
max_clock_skew_s = 300                  # events stamped further ahead are refused (clock_ahead)
max_event_age_days = 90                 # older events are refused (too_old)

[alerts]
db_path = "var/hub/alerts.sqlite3"

# Rules replace the defaults when given; the first match wins: a person in distress first.
[[alerts.rules]]
name = "person-in-distress"
severity = "humanitarian"               # above critical
kinds = ["track_new", "track_update", "track_end", "zone_entry", "loitering", "line_crossing"]
distress = true                         # events with attributes.distress = true
group_radius_m = 60
group_window_s = 300

[[alerts.rules]]
name = "border-crossing-person"
severity = "critical"
kinds = ["line_crossing"]
classes = ["person"]
min_confidence = 0.3
group_radius_m = 10                     # one crossing seen by two cameras, or a party crossing together
group_window_s = 5                      # = one alert; separate crossings stay separate alerts

[[alerts.rules]]
name = "border-crossing-vehicle"
severity = "critical"
kinds = ["line_crossing"]
classes = ["vehicle", "vessel"]
min_confidence = 0.3
group_radius_m = 10
group_window_s = 5

[[alerts.rules]]
name = "camera-tamper"
severity = "warning"
kinds = ["tamper"]
group_radius_m = 0

[[alerts.rules]]
name = "sensor-offline"
severity = "warning"
kinds = ["sensor_offline"]
group_radius_m = 0
group_window_s = 3600
auto_resolve = false                    # stays until the sensor is back
resolve_on = ["sensor_online"]

# [[alerts.zones]]                      # restricted zones rules name with zone = "..."
# name = "quarry"
# polygon = [[47.951, 22.850], [47.953, 22.850], [47.953, 22.854], [47.951, 22.854]]  # [lat, lon]

[alerts.lifecycle]
resolve_after_s = 120                   # no evidence this long: resolved
renotify_s = 900                        # firing and unacknowledged: notify again
hysteresis_m = 5                        # zone edge: enter 5 m in, leave 5 m out

[alerts.health]
debounce_s = 60                         # agent offline / sensor degraded this long before it pages
silence_s = 180                         # no message from an agent this long = offline

[evidence]                              # agents' JPEG snapshots (best effort, not in the ledger)
dir = "var/hub/evidence"                # <dir>/<site>/<agent>/<date>/<event_id>.jpg + index.sqlite3
max_bytes = 1048576                     # bigger snapshots are rejected and counted
max_total_bytes = 21474836480           # 20 GiB; the oldest are deleted first beyond it
keep_days = 30

[api]                                   # every route but /health needs a token: `borderwatch hub token create`
host = "127.0.0.1"
port = 8080
trusted_hosts = []                      # Host headers answered; empty = localhost, 127.0.0.1, ::1 and host
cors_origins = []                       # browser origins allowed to call the API; empty = none
docs = true                             # /docs, served from the hub itself (no CDN)
# metrics_token_file = "/etc/borderwatch/metrics.token"  # a Prometheus scraper's token for /metrics
# ssl_certfile = "/etc/borderwatch/tls/hub.crt"   # HTTPS (both or neither), or a reverse proxy:
# ssl_keyfile = "/etc/borderwatch/tls/hub.key"    # see docs/operator-guide.md, API access

[console]                               # the web console at /console/ (log in with a token)
title = "borderwatch console"
target_ttl_s = 30                       # a live target fades from the plan after this silence
# [[console.sites]]                     # the site plan: coordinates only, drawn as vector graphics
# name = "west-1"
# border = [[47.9540, 22.8480], [47.9540, 22.8560]]          # the border line, [lat, lon] points
# [[console.sites.masts]]
# agent = "mast-01"
# lat = 47.9520
# lon = 22.8520
# sensors = [{ id = "cam1", kind = "camera", heading_deg = 0, fov_deg = 60, range_m = 300 },
#            { id = "rad1", kind = "radar", heading_deg = 0, fov_deg = 120, range_m = 800 }]

[notify]
mqtt_retained = true                    # active alerts retained at bw/v1/<site>/<hub_id>/alerts/<alert_id>
cap_sender = "borderwatch@hub"          # CAP <sender> of exported alerts (GET /api/v1/alerts/{id}/cap)
# [[notify.webhooks]]                   # paging changes POSTed, retried with exponential back-off
# url = "https://neighbour.example/cap-inbox"
# format = "cap"                        # or "json": {reason, previous, hub_id, alert}
# timeout_s = 5
# max_retries = 5
# backoff_s = 1                         # 1, 2, 4, 8 ... s between attempts, at most backoff_max_s
# backoff_max_s = 60
# queue_max = 1000                      # changes waiting; beyond, new ones are dropped (counted)
"""
