"""A throw-away CA and server certificate for 127.0.0.1, made with the openssl CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def make_certs(d: Path) -> tuple[Path, Path, Path]:
    """(ca.crt, server.crt, server.key) valid for one day for IP 127.0.0.1 / localhost."""
    d.mkdir(parents=True, exist_ok=True)
    run = lambda *args: subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", *_EC, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=bw-test-ca")
    run("req", *_EC, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "1", "-extfile", "san.ext")  # fmt: skip
    return d / "ca.crt", d / "server.crt", d / "server.key"
