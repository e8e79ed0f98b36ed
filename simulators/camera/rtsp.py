"""RTSP 1.0 for a simulated camera: the same frames as its MJPEG stream, as RTP/JPEG over TCP.

Why: real mast cameras are usually reached over RTSP, and the agent opens RTSP through FFmpeg with
TCP transport; this listener lets that path run in CI. It speaks just what FFmpeg's client needs:
OPTIONS, DESCRIBE (SDP with payload type 26), SETUP (interleaved TCP only; UDP gets 461 and the
client falls back), PLAY, GET_PARAMETER keep-alives, TEARDOWN, and the client's interleaved RTCP
reports are read and dropped. RFC 2435 carries sizes in multiples of 8 px, so frames are padded at
the right and bottom to multiples of 16 (4:2:0 blocks) by repeating the edge.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import struct
import threading
import time
from typing import TYPE_CHECKING, BinaryIO

import cv2
import numpy as np

from borderwatch.simulators.camera.rtp_jpeg import CLOCK_HZ, PAYLOAD_TYPE, packets, parse_jpeg
from borderwatch.simulators.camera.sockets import hard_close

if TYPE_CHECKING:
    from borderwatch.simulators.camera.server import CameraServer

log = logging.getLogger("borderwatch.sim.rtsp")
_METHODS = "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, SET_PARAMETER"


def pad_to_blocks(img: np.ndarray, block: int = 16) -> np.ndarray:
    """The image grown right and bottom to multiples of ``block`` by repeating its edge pixels."""
    h, w = img.shape[:2]
    dh, dw = -h % block, -w % block
    return cv2.copyMakeBorder(img, 0, dh, 0, dw, cv2.BORDER_REPLICATE) if dh or dw else img


def encode_for_rtp(img: np.ndarray, quality: int) -> bytes:
    """A baseline 4:2:0 JPEG that RFC 2435 can carry."""
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420]
    ok, buf = cv2.imencode(".jpg", pad_to_blocks(img), params)
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


class RtspListener:
    """Accepts RTSP clients for one CameraServer; closed with it (a killed camera drops RTSP too)."""

    def __init__(self, camera: CameraServer, host: str, port: int = 0) -> None:
        self.camera, self.host, self.port = camera, host, port
        self._sock: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """rtsp://host:port/<camera id>; the real port once start() has bound port 0."""
        return f"rtsp://{self.host}:{self.port}/{self.camera.camera_id}"

    def start(self) -> RtspListener:
        """Listen (OSError if the port is taken) and accept clients on a daemon thread; returns once listening."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(8)
        self._sock, self.port = sock, sock.getsockname()[1]
        name = f"sim-rtsp-{self.camera.camera_id}"
        threading.Thread(target=self._accept, args=(sock,), name=name, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the listening socket and every client at once, as a dead camera does; start() reopens it."""
        if self._sock is not None:
            hard_close(self._sock)
            self._sock = None
        with self._lock:
            for conn in list(self._conns):
                hard_close(conn)
            self._conns.clear()

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        session = _Session(self, conn)
        try:
            session.run()
        except (OSError, ValueError) as exc:
            log.debug("rtsp client gone camera=%s error=%s", self.camera.camera_id, exc)
        finally:
            session.playing.clear()
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()


class _Session:
    """One RTSP client: requests in on the socket, RTP packets out on it once playing."""

    def __init__(self, listener: RtspListener, conn: socket.socket) -> None:
        self.listener, self.conn = listener, conn
        self.cam = listener.camera
        self.id = secrets.token_hex(4)
        self.ssrc = int.from_bytes(secrets.token_bytes(4), "big")
        self.seq = int.from_bytes(secrets.token_bytes(2), "big")
        self.playing = threading.Event()
        self.write_lock = threading.Lock()

    def run(self) -> None:
        f = self.conn.makefile("rb")
        while True:
            first = f.read(1)
            if not first:
                return
            if first == b"$":  # the client's interleaved RTCP report: read and drop
                _, size = struct.unpack(">BH", _exactly(f, 3))
                _exactly(f, size)
                continue
            request = (first + f.readline()).decode("latin-1").split()
            headers = _headers(f)
            if int(headers.get("content-length", "0")):
                _exactly(f, int(headers["content-length"]))
            if len(request) < 2 or not self._answer(request[0].upper(), request[1], headers):
                return

    def _answer(self, method: str, url: str, headers: dict[str, str]) -> bool:
        """Reply to one request; False ends the session."""
        cseq = headers.get("cseq", "0")
        base = self.listener.url
        if method == "OPTIONS":
            self._reply(cseq, 200, {"Public": _METHODS})
        elif method == "DESCRIBE":
            self._reply(cseq, 200, {"Content-Base": base + "/", "Content-Type": "application/sdp"}, self._sdp())
        elif method == "SETUP":
            if "TCP" not in headers.get("transport", "").upper():
                self._reply(cseq, 461)  # unsupported transport: the client retries over TCP
            else:
                transport = "RTP/AVP/TCP;unicast;interleaved=0-1"
                self._reply(cseq, 200, {"Transport": transport, "Session": f"{self.id};timeout=60"})
        elif method == "PLAY":
            rtptime = self._rtp_time()
            info = f"url={base}/track0;seq={self.seq};rtptime={rtptime}"
            self._reply(cseq, 200, {"Session": self.id, "Range": "npt=0.000-", "RTP-Info": info})
            if not self.playing.is_set():
                self.playing.set()
                threading.Thread(target=self._pump, daemon=True).start()
        elif method in ("GET_PARAMETER", "SET_PARAMETER"):
            self._reply(cseq, 200, {"Session": self.id})
        elif method == "TEARDOWN":
            self._reply(cseq, 200, {"Session": self.id})
            return False
        else:
            self._reply(cseq, 501)
        return True

    def _sdp(self) -> bytes:
        fps = self.cam.fps
        return (
            "v=0\r\n"
            f"o=- {self.id} 1 IN IP4 {self.listener.host}\r\n"
            f"s=borderwatch simulated camera {self.cam.camera_id}\r\n"
            "c=IN IP4 0.0.0.0\r\nt=0 0\r\n"
            f"m=video 0 RTP/AVP {PAYLOAD_TYPE}\r\n"
            f"a=framerate:{fps:g}\r\na=control:track0\r\n"
        ).encode()

    def _reply(self, cseq: str, code: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        reason = {200: "OK", 461: "Unsupported Transport", 501: "Not Implemented"}[code]
        lines = [f"RTSP/1.0 {code} {reason}", f"CSeq: {cseq}", "Server: borderwatch-sim"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        with self.write_lock:
            self.conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def _rtp_time(self) -> int:
        return int(time.monotonic() * CLOCK_HZ) & 0xFFFFFFFF

    def _pump(self) -> None:
        """Send every new frame of the camera's stream as RTP/JPEG, until the client goes."""
        st = self.cam._stream
        with st.cond:
            st.clients += 1  # the camera renders only while somebody watches
            seen = st.seq
        quality = self.cam.renderer.spec.jpeg_quality
        try:
            while self.playing.is_set():
                with st.cond:
                    st.cond.wait_for(lambda last=seen: st.seq > last or st.closed, timeout=2.0)
                    if st.closed:
                        return
                    frame, seen = st.frame, st.seq
                if frame is None:
                    continue
                parts = parse_jpeg(encode_for_rtp(frame, quality))
                out = packets(parts, self.seq, self._rtp_time(), self.ssrc)
                self.seq = (self.seq + len(out)) & 0xFFFF
                data = b"".join(b"$\x00" + struct.pack(">H", len(p)) + p for p in out)
                with self.write_lock:
                    self.conn.sendall(data)
        except OSError:
            return
        finally:
            with st.cond:
                st.clients -= 1


def _exactly(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) < n:
        raise ValueError("connection closed mid-message")
    return data


def _headers(f: BinaryIO) -> dict[str, str]:
    out = {}
    while True:
        line = f.readline()
        if not line:
            raise ValueError("connection closed in the headers")
        text = line.decode("latin-1").strip()
        if not text:
            return out
        key, _, value = text.partition(":")
        out[key.strip().lower()] = value.strip()
