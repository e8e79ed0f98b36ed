"""The commented example written by ``borderwatch edge init`` (tests check that it validates)."""

EXAMPLE = """# borderwatch edge agent configuration (TOML).
# Check it with `borderwatch edge check -c agent.toml`, test the mast with `borderwatch edge doctor`.
# Unknown keys and out-of-range values are refused before anything starts.

site = "west-1"          # border section; a topic level: letters, digits, _ . -
agent = "mast-01"        # this mast, unique within the site
state_dir = "var/agent"  # outbox (SQLite) lives here: keep it on persistent storage
telemetry_interval_s = 15

[broker]
host = "127.0.0.1"
port = 1883
# username = "west-1/mast-01"   # SITE/AGENT: the broker ACL pins both
# Never write the password here: name an environment variable or a file (mode 0600).
# password_env = "BW_MQTT_PASSWORD"
# password_file = "/etc/borderwatch/mqtt.secret"
# [broker.tls]
# ca_file = "/etc/borderwatch/ca.crt"

[link]
mqtt_version = "5"       # "3.1.1" for brokers without MQTT 5 (the embedded `borderwatch broker`)

[outbox]
# Events survive link loss here; oldest telemetry is dropped first when full, events last.
max_bytes = 536870912    # 512 MiB
replay_window_s = 3600   # confirmed events kept this long for replays

[detector]
# Shipped models (bw-cam-s, bw-thermal-s, bw-radar-cls) are found in the installed package.
# Your own models go in a folder with its own manifest.json; every model's SHA-256 is checked at load.
# models_dir = "/etc/borderwatch/models"
lanes = 0                # model calls at once; 0 = auto (2 on a 2+ core mast)
intra_op_threads = 0     # onnxruntime threads per call; 0 = auto (cores / lanes)
max_batch = 8            # crops/frames of all cameras batched into one model call

[cameras.cam-1]
url = "rtsp://192.0.2.10:554/stream1"   # credentials in URLs are redacted in every log line
fps = 5

[cameras.cam-1.pose]     # where the camera stands and looks: gives events a latitude/longitude
lat = 47.95
lon = 22.85
height_m = 8.0
heading_deg = 350.0      # optical axis, clockwise from true north
tilt_deg = 9.0           # below the horizon
hfov_deg = 55.0

[cameras.cam-1.detection]
model = "bw-cam-s"       # the shipped camera model (see `borderwatch edge doctor` for its limits), a name in
                         # <models_dir>/manifest.json, or a path to any YOLOv8/YOLO11 ONNX export.
# Without a model the agent falls back to motion blobs (class "unknown").

# The border line in geographic coordinates (lat, lon); the protected land is on inbound_side
# as seen walking from the first point to the second.
[[cameras.cam-1.lines]]
name = "border"
coords = "geo"
points = [[47.9504, 22.846], [47.9504, 22.854]]
inbound_side = "right"
classes = ["person", "vehicle"]
"""
