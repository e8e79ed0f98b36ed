"""An IP camera on localhost: HTTP MJPEG at /video, /snapshot.jpg, and fault injection at /fault.

Why HTTP MJPEG: OpenCV's VideoCapture reads it through the same code path as a real IP
camera's stream, so the agent's capture, watchdog and reconnect logic run unchanged in CI.
One producer thread renders at the camera's fps (only while someone watches); each client
thread waits for the next JPEG and writes it. kill() closes the listening socket and every
connection, so clients see the connection drop and then refused, as with a dead camera.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np

from borderwatch.simulators.camera.faults import Fault, apply_fault
from borderwatch.simulators.camera.rtsp import RtspListener
from borderwatch.simulators.camera.sockets import hard_close
from borderwatch.simulators.scenario import CameraSpec

log = logging.getLogger("borderwatch.sim.camera")
BOUNDARY = "bwframe"


class _Picture(Protocol):
    frame: np.ndarray


class FrameSource(Protocol):
    """What a CameraServer serves: a camera spec (id, fps, JPEG quality) and the picture at time t.

    The scenario's CameraRenderer is one; the tests serve synthetic test patterns through another.
    """

    spec: CameraSpec

    def render(self, t: float) -> _Picture:
        """The picture (``.frame``, BGR uint8) at scenario time ``t`` seconds."""
        ...


class SimClock:
    """Scenario time driven by the wall clock: t = 0 at start(), optionally looping."""

    def __init__(self, speed: float = 1.0, loop_s: float | None = None) -> None:
        self.speed, self.loop_s = speed, loop_s
        self._t0: float | None = None
        self.started_at: datetime | None = None

    def start(self) -> SimClock:
        """Make now scenario time 0 and note the UTC start the ground truth stamps crossings with."""
        self._t0 = time.monotonic()
        self.started_at = datetime.now(UTC)
        return self

    def now(self) -> float:
        """Seconds of scenario time (0 until started)."""
        if self._t0 is None:
            return 0.0
        t = (time.monotonic() - self._t0) * self.speed
        return t % self.loop_s if self.loop_s else t


class _Stream:
    """The latest JPEG and a condition clients wait on."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.jpeg: bytes = b""
        self.frame: np.ndarray | None = None  # the picture of ``jpeg`` (RTSP encodes its own JPEG from it)
        self.seq = 0
        self.clients = 0
        self.closed = False


class CameraServer:
    """Serves one rendered camera; start() returns once the port listens."""

    def __init__(
        self,
        renderer: FrameSource,
        clock: SimClock,
        host: str = "127.0.0.1",
        port: int = 0,
        rtsp_port: int | None = None,
    ) -> None:
        """``rtsp_port`` (0 = any free port) also serves the frames over RTSP; None = MJPEG only."""
        self.renderer, self.clock, self.host, self.port = renderer, clock, host, port
        self.rtsp: RtspListener | None = RtspListener(self, host, rtsp_port) if rtsp_port is not None else None
        self.fps = renderer.spec.fps
        self.fault = Fault.NONE
        self.frames_rendered = 0
        self._fault_until: float | None = None
        self._frozen: np.ndarray | None = None
        self._last: np.ndarray | None = None
        self._stream = _Stream()
        self._httpd: ThreadingHTTPServer | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._producer: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def camera_id(self) -> str:
        """The scenario's id of the camera served (names threads, log lines and the RTSP path)."""
        return self.renderer.spec.id

    @property
    def url(self) -> str:
        """Base HTTP URL; carries the real port once start() has bound port 0."""
        return f"http://{self.host}:{self.port}"

    @property
    def video_url(self) -> str:
        """The MJPEG stream URL an agent's camera config points at."""
        return self.url + "/video"

    @property
    def rtsp_url(self) -> str | None:
        """The RTSP URL, or None when this server serves MJPEG only."""
        return self.rtsp.url if self.rtsp else None

    def start(self) -> CameraServer:
        """Listen (OSError if the port is taken), start the HTTP, render (and RTSP) threads; returns once listening.

        Callable again after stop(): revive() does exactly that, on the port bound the first time.
        """
        self._stop.clear()
        self._stream = _Stream()
        self._httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._httpd.camera = self  # type: ignore[attr-defined]
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name=f"sim-http-{self.camera_id}", daemon=True
        ).start()
        self._producer = threading.Thread(target=self._produce, name=f"sim-render-{self.camera_id}", daemon=True)
        self._producer.start()
        if self.rtsp is not None:
            self.rtsp.start()
        log.info("camera serving camera=%s url=%s rtsp=%s", self.camera_id, self.video_url, self.rtsp_url)
        return self

    def stop(self) -> None:
        """Close the port and every open connection (clients then get connection refused)."""
        self._stop.set()
        with self._stream.cond:
            self._stream.closed = True
            self._stream.cond.notify_all()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self.rtsp is not None:
            self.rtsp.stop()
        with self._lock:
            for c in list(self._conns):
                hard_close(c)
            self._conns.clear()
        if self._producer is not None:
            self._producer.join(timeout=2)

    def kill(self, duration_s: float | None = None) -> None:
        """The stream dies; with duration_s it comes back on the same port afterwards."""
        log.warning("camera killed camera=%s duration_s=%s", self.camera_id, duration_s)
        self.stop()
        if duration_s:
            timer = threading.Timer(duration_s, self.revive)
            timer.daemon = True
            timer.start()

    def revive(self) -> None:
        """Serve again after kill(); scenario time has run on meanwhile (the clock is shared, not reset)."""
        log.info("camera revived camera=%s", self.camera_id)
        self.start()

    def set_fault(self, fault: Fault | str, duration_s: float | None = None) -> None:
        """Apply a frame fault (freeze, black, uniform, blur, shift) or clear it with "none"."""
        self.fault = Fault(fault)
        self._frozen = self._last
        self._fault_until = time.monotonic() + duration_s if duration_s else None
        log.info("camera fault camera=%s fault=%s duration_s=%s", self.camera_id, self.fault, duration_s)

    # -- frames ------------------------------------------------------------------------------
    def frame(self) -> np.ndarray:
        """Render the current picture with the current fault applied."""
        if self._fault_until is not None and time.monotonic() >= self._fault_until:
            self.fault, self._fault_until = Fault.NONE, None
        img = self.renderer.render(self.clock.now()).frame
        self._last = img
        self.frames_rendered += 1
        return apply_fault(img, self.fault, self._frozen)

    def jpeg(self, img: np.ndarray | None = None) -> bytes:
        """``img`` (default: a newly rendered frame) as JPEG at the camera's quality; b"" if encoding fails."""
        img = self.frame() if img is None else img
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.renderer.spec.jpeg_quality])
        return buf.tobytes() if ok else b""

    def _produce(self) -> None:
        period, nxt = 1.0 / self.fps, time.monotonic()
        st = self._stream
        while not self._stop.is_set():
            if st.clients > 0:
                img = self.frame()
                data = self.jpeg(img)
                with st.cond:
                    st.jpeg, st.frame, st.seq = data, img, st.seq + 1
                    st.cond.notify_all()
            nxt += period
            delay = nxt - time.monotonic()
            if delay < -period:
                nxt, delay = time.monotonic(), 0.0
            self._stop.wait(max(delay, 0.0))

    def _register(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def health(self) -> dict:
        """What GET /health shows: scenario time, fault, clients, frames rendered, fps (read without locks)."""
        return {
            "camera": self.camera_id,
            "t": round(self.clock.now(), 3),
            "fault": str(self.fault),
            "clients": self._stream.clients,
            "frames_rendered": self.frames_rendered,
            "fps": self.fps,
        }


class _Handler(BaseHTTPRequestHandler):
    """HTTP side of a CameraServer (reached as self.server.camera)."""

    protocol_version = "HTTP/1.0"

    @property
    def cam(self) -> CameraServer:
        return self.server.camera  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        log.debug("http camera=%s %s", self.cam.camera_id, format % args)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        routes = {
            "/video": self._video,
            "/snapshot.jpg": self._snapshot,
            "/health": self._health,
            "/fault": self._health,
            "/": self._index,
        }
        routes.get(path, self._not_found)()

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/fault":
            return self._not_found()
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        mode = q.get("mode", "none")
        try:
            dur = float(q["duration_s"]) if "duration_s" in q else None
        except ValueError:
            return self._send(400, "text/plain", b"duration_s must be a number\n")
        if mode == "kill":
            self._send(200, "application/json", json.dumps({"killed": True, "duration_s": dur}).encode())
            threading.Thread(target=self.cam.kill, args=(dur,), daemon=True).start()
            return None
        try:
            self.cam.set_fault(mode, dur)
        except ValueError:
            return self._send(
                400,
                "text/plain",
                f"unknown fault {mode!r}: {[f.value for f in Fault]} or kill\n".encode(),
            )
        return self._health()

    def _send(self, code: int, ctype: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _health(self) -> None:
        self._send(200, "application/json", json.dumps(self.cam.health()).encode())

    def _index(self) -> None:
        self._send(
            200,
            "text/plain",
            f"borderwatch camera simulator {self.cam.camera_id}: /video /snapshot.jpg "
            "/health, POST /fault?mode=black|uniform|blur|freeze|shift|none|kill&duration_s=N\n".encode(),
        )

    def _not_found(self) -> None:
        self._send(404, "text/plain", b"not found\n")

    def _snapshot(self) -> None:
        self._send(200, "image/jpeg", self.cam.jpeg())

    def _video(self) -> None:
        st = self.cam._stream
        self.cam._register(self.connection, True)
        with st.cond:
            st.clients += 1
        try:
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self._pump(st)
        except (OSError, ValueError):
            pass
        finally:
            with st.cond:
                st.clients -= 1
            self.cam._register(self.connection, False)

    def _pump(self, st: _Stream) -> None:
        seen = st.seq
        while True:
            with st.cond:
                st.cond.wait_for(lambda last=seen: st.seq > last or st.closed, timeout=2.0)
                if st.closed:
                    return
                data, seen = st.jpeg, st.seq
            head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n"
            self.wfile.write(head.encode() + data + b"\r\n")
            self.wfile.flush()
