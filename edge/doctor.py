"""`borderwatch edge doctor`: what a technician runs on the mast before leaving it.

Each check says PASS, WARN or FAIL with the figure that decided it, in the order a technician
fixes things (config, disk, broker, cameras, thermal imagers, radars, models, clock). Nothing here changes
state, except that the disk check creates a missing state dir (and removes the probe file it writes).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from borderwatch.edge.config.agent import AgentConfig, load_agent_config
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.radar.config import RadarConfig
from borderwatch.edge.sensors.thermal.config import ThermalConfig

MIN_FREE_BYTES = 1 << 30


@dataclass(frozen=True)
class Check:
    """One printed line of the report; ``status`` is PASS, WARN or FAIL and only FAIL sets the exit code."""

    status: str  # PASS | WARN | FAIL
    name: str
    detail: str
    notes: tuple[str, ...] = ()  # further lines printed indented under the result


def check_disk(cfg: AgentConfig) -> Check:
    """The outbox lives in ``state_dir``: FAIL if it cannot be written, WARN under 1 GiB free."""
    path = cfg.state_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".doctor-probe"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        return Check("FAIL", "state dir", f"{path} not writable: {exc.strerror}")
    free = shutil.disk_usage(path).free
    status = "PASS" if free >= MIN_FREE_BYTES else "WARN"
    return Check(status, "state dir", f"{path} writable, {free / 1e9:.1f} GB free")


def check_broker(cfg: AgentConfig, timeout_s: float = 5.0) -> Check:
    """TCP reach first, then a real MQTT session with the agent's credentials and TLS, so a bad password or
    certificate shows here rather than as a silent reconnect loop; the client id differs from the agent's
    so a running agent is not kicked off the broker.
    """
    import paho.mqtt.client as mqtt

    from borderwatch.edge.link import link_session
    from borderwatch.runtime.mqtt import build_client

    where = f"{cfg.broker.host}:{cfg.broker.port}"
    try:
        socket.create_connection((cfg.broker.host, cfg.broker.port), timeout=timeout_s).close()
    except OSError as exc:
        return Check("FAIL", "broker", f"{where}: cannot reach: {exc.strerror or exc}")
    done, result = threading.Event(), {}
    try:
        session = replace(link_session(cfg.link, cfg.site, cfg.agent), client_id=f"bw-doctor-{cfg.site}-{cfg.agent}")
        client = build_client(cfg.broker, session)
    except ValueError as exc:  # an unreadable password file or unset variable
        return Check("FAIL", "broker", str(exc))

    def on_connect(c: mqtt.Client, u: object, flags: object, reason: mqtt.ReasonCode, props: object) -> None:
        result["reason"] = reason
        done.set()

    client.on_connect = on_connect
    try:
        t0 = time.monotonic()
        client.connect_async(cfg.broker.host, cfg.broker.port, keepalive=10)
        client.loop_start()
        if not done.wait(timeout_s):
            return Check("FAIL", "broker", f"{where}: no answer in {timeout_s:.0f} s")
        reason = result["reason"]
        if reason.is_failure:
            return Check("FAIL", "broker", f"{where}: refused ({reason})")
        return Check("PASS", "broker", f"{where}: connected in {(time.monotonic() - t0) * 1000:.0f} ms")
    except (OSError, ValueError) as exc:
        return Check("FAIL", "broker", f"{where}: {exc}")
    finally:
        client.loop_stop()
        client.disconnect()


def check_camera(cam_id: str, cam: CameraConfig, seconds: float = 2.0) -> Check:
    """Reads frames for ``seconds``: FAIL if none arrive, WARN below 80 % of the configured fps; URL shown redacted."""
    from borderwatch.edge.sensors.camera.capture import classify, open_capture

    shown = classify(cam.url).redacted
    cap = open_capture(cam)
    if cap is None:
        return Check("FAIL", f"camera {cam_id}", f"{shown}: cannot open (see log line above)")
    try:
        frames, shape, t0 = 0, None, time.monotonic()
        while time.monotonic() - t0 < seconds:
            ok, frame = cap.retrieve() if cap.grab() else (False, None)
            if not ok or frame is None:
                break
            frames, shape = frames + 1, frame.shape
        elapsed = time.monotonic() - t0
    finally:
        cap.release()
    if not frames:
        return Check("FAIL", f"camera {cam_id}", f"{shown}: opened but delivered no frame")
    fps = frames / elapsed
    status = "PASS" if fps >= cam.fps * 0.8 else "WARN"
    return Check(status, f"camera {cam_id}", f"{shown}: {shape[1]}x{shape[0]}, {fps:.1f} fps (want {cam.fps:g})")


def check_thermal(sensor_id: str, cfg: ThermalConfig, seconds: float = 2.0) -> Check:
    """Open the imager, read for ``seconds``: good frames per second and refused frames by reason."""
    from collections import Counter

    from borderwatch.edge.sensors.thermal.checks import bad_frame_reason
    from borderwatch.edge.sensors.thermal.sources import open_source
    from borderwatch.edge.sensors.thermal.stream import StreamError

    name, shown = f"thermal {sensor_id}", cfg.url if isinstance(cfg.url, str) else f"UVC device {cfg.url}"
    try:
        source = open_source(cfg)
    except OSError as exc:
        return Check("FAIL", name, f"{shown}: cannot open ({exc})")
    good, bad, shape, t0 = 0, Counter[str](), None, time.monotonic()
    previous, counter = None, None
    try:
        while time.monotonic() - t0 < seconds:
            try:
                header, counts = source.read()
            except StreamError as exc:
                bad[exc.reason] += 1
                continue
            reason = bad_frame_reason(counts, header.counter, previous, counter, cfg.bad_frames)
            previous, counter = counts, header.counter
            if reason is not None:
                bad[reason] += 1
            else:
                good, shape = good + 1, (header.width, header.height, header.format)
    except (OSError, EOFError) as exc:
        return Check("FAIL", name, f"{shown}: stream stopped after {good} frames ({exc})")
    finally:
        source.close()
    if not good:
        return Check("FAIL", name, f"{shown}: no valid frame (refused: {dict(bad)})")
    fps = good / (time.monotonic() - t0)
    status = "PASS" if fps >= cfg.fps * 0.8 and not bad else "WARN"
    w, h, fmt = shape
    return Check(status, name, f"{shown}: {w}x{h} {fmt}, {fps:.1f} fps (want {cfg.fps:g}), refused {dict(bad)}")


def check_radar(sensor_id: str, cfg: RadarConfig, seconds: float = 3.0) -> Check:
    """Open the radar's link as the agent would (the serial port at its configured baud, or the UDP
    port) and decode what arrives for ``seconds``: FAIL when it cannot open, nothing arrives, or only
    garbage arrives (the usual sign of a wrong baud rate); WARN when frames come with rejections.
    Run it with the agent stopped: the agent holds the serial port, and a UDP datagram goes to one
    listener only."""
    from borderwatch.edge.sensors.radar.decoder import StreamDecoder
    from borderwatch.edge.sensors.radar.reader import open_transport

    name = f"radar {sensor_id}"
    if cfg.protocol == "asterix":
        shown = f"asterix udp {cfg.listen_host}:{cfg.listen_port}"
    else:
        shown = f"{cfg.protocol} {cfg.device} at {cfg.serial_baud} baud"
    try:
        link = open_transport(cfg)
    except (OSError, ValueError) as exc:  # pyserial's SerialException is an OSError
        hint = " (is the agent running? stop it first)" if "in use" in str(exc).lower() else ""
        return Check("FAIL", name, f"{shown}: cannot open ({exc}){hint}")
    decoder = StreamDecoder(cfg.protocol, cfg.link.batch_s, cfg.noise_dbm)
    plots = tracks = scans = 0
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < seconds:
            data = link.read()
            now = time.time()
            for scan in decoder.feed(data, now) if data else decoder.flush(now):
                scans, plots, tracks = scans + 1, plots + scan.n_plots, tracks + scan.n_tracks
        for scan in decoder.flush(time.time(), force=True):
            scans, plots, tracks = scans + 1, plots + scan.n_plots, tracks + scan.n_tracks
    except OSError as exc:
        return Check("FAIL", name, f"{shown}: link lost while reading ({exc})")
    finally:
        link.close()
    c = decoder.counters
    rejected = c.checksum_failures + c.length_errors + c.malformed
    if c.bytes_in == 0:
        what = "no datagram" if cfg.protocol == "asterix" else "no byte"
        return Check("FAIL", name, f"{shown}: {what} in {seconds:g} s (radar off, not sending, or sending elsewhere)")
    if c.frames == 0:
        return Check("FAIL", name, f"{shown}: {c.bytes_in} bytes but no valid frame, dropped {c.dropped_bytes}, "
                                   f"rejected {rejected}: garbage (check the baud rate and the port)")  # fmt: skip
    detail = (f"{shown}: {c.frames / seconds:.1f} frames/s, {scans} scans ({plots} plots, {tracks} tracks), "
              f"rejected {rejected} (checksum {c.checksum_failures}, length {c.length_errors}, malformed "
              f"{c.malformed}), dropped {c.dropped_bytes} of {c.bytes_in} bytes")  # fmt: skip
    return Check("WARN" if rejected else "PASS", name, detail)


YOLO_DROP_IN = (
    "own detector: a standard YOLOv8/YOLO11 ONNX export runs as is (`yolo export model=yolov8n.pt format=onnx "
    "imgsz=320 dynamic=True`): copy it to the mast, list it in <models_dir>/manifest.json (or give its path) as "
    "cameras.<id>.detection.model; when to: technician guide, 'Detection model'"
)


def check_model(name: str, cfg: AgentConfig, users: tuple[str, ...] = ()) -> Check:
    """Loads the model as the agent would (hash checked), times one warm-up inference with one lane's threads, and
    lists the sensors running it, its card's limits and, for a detector, how to drop in a standard YOLO export.
    """
    from borderwatch.edge.pipeline.detector import OnnxDetector
    from borderwatch.edge.pipeline.modelcard import card_limits, model_card
    from borderwatch.edge.pipeline.modelref import ModelError, resolve_model

    runs_on = f"runs on {', '.join(users)}" if users else "used by no sensor"
    try:
        ref = resolve_model(name, cfg.detector.models_dir)
        lanes, threads = cfg.detector.threads()
        det = OnnxDetector(ref, threads, cfg.detector.input_size)
        ms = det.warm_up()
    except ModelError as exc:
        return Check("FAIL", f"model {name}", f"{exc} ({runs_on})")
    w, h = det.input_wh
    detail = (
        f"{runs_on}; hash verified, {len(det.labels)} classes, input {w}x{h}, {ms:.1f} ms per frame "
        f"({lanes} lanes x {threads} threads)"
    )
    card = model_card(ref)
    notes = [f"file {ref.path}", f"card {card}" if card else "card none beside the file: limits unknown"]
    notes += [f"limit {line}" for line in (card_limits(card) if card else [])]
    if det.layout == "yolo":
        notes.append(YOLO_DROP_IN)
    return Check("PASS", f"model {name}", detail, tuple(notes))


def check_no_model(cam_id: str) -> Check:
    """A camera without a detector only reports motion blobs of class unknown: no person or vehicle alerts."""
    return Check(
        "WARN", f"camera {cam_id}", 'no detection.model: motion blobs only (class unknown); set model = "bw-cam-s"'
    )


def check_clock() -> Check:
    """Events carry the mast's clock; a year before 2025 means it never synchronised (no RTC battery, no NTP)."""
    now = datetime.now(UTC)
    status = "PASS" if now.year >= 2025 else "FAIL"
    return Check(status, "clock", f"UTC {now:%Y-%m-%d %H:%M:%S} (events carry this time: keep NTP on)")


def model_users(cfg: AgentConfig) -> dict[str, list[str]]:
    """Model reference -> the sensors that run it ("camera cam-1"), asked of each kind as the agent does."""
    from borderwatch.edge.sensor.registry import build_kinds

    users: dict[str, list[str]] = {}
    kinds = build_kinds(cfg.registry)
    for section, sensors in cfg.sensor_sections().items():
        for sensor_id, sensor in sensors.items():
            ref = kinds[section].model_ref(sensor)
            if ref:
                users.setdefault(ref, []).append(f"{section.removesuffix('s')} {sensor_id}")
    return users


def checks(cfg: AgentConfig) -> Iterator[Callable[[], Check]]:
    """The checks in the order a technician fixes things, lazily, so each prints before the next (slow) one runs."""
    yield lambda: check_disk(cfg)
    yield lambda: check_broker(cfg)
    for cam_id, cam in cfg.cameras.items():
        yield lambda cam_id=cam_id, cam=cam: check_camera(cam_id, cam)
    for sensor_id, imager in cfg.thermals.items():
        yield lambda sensor_id=sensor_id, imager=imager: check_thermal(sensor_id, imager)
    for sensor_id, radar in cfg.radars.items():
        yield lambda sensor_id=sensor_id, radar=radar: check_radar(sensor_id, radar)
    for cam_id, cam in cfg.cameras.items():
        if not cam.detection.model:
            yield lambda cam_id=cam_id: check_no_model(cam_id)
    users = model_users(cfg)
    for model in sorted(users):
        yield lambda model=model: check_model(model, cfg, tuple(users[model]))
    yield check_clock


def run_doctor(config_path: Path) -> int:
    """Print every check and return the exit code (1 if any failed); a bad config raises ConfigError first."""
    cfg = load_agent_config(config_path)
    sensors = f"{len(cfg.cameras)} camera(s), {len(cfg.thermals)} thermal imager(s), {len(cfg.radars)} radar(s)"
    print(f"PASS config     {config_path}: site {cfg.site}, agent {cfg.agent}, {sensors}")
    failed = 0
    for check in checks(cfg):
        c = check()
        failed += c.status == "FAIL"
        print(f"{c.status} {c.name:<11} {c.detail}", flush=True)
        for note in c.notes:
            print(f"     {note}", flush=True)
    print("result: " + ("all checks passed" if not failed else f"{failed} check(s) failed"))
    return 1 if failed else 0
