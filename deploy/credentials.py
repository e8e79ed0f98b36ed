"""Broker credentials: one identity per agent, named ``SITE/AGENT``, as a password or a certificate.

Why ``SITE/AGENT`` as the user name (and certificate CN): Mosquitto's ACL ``pattern`` lines
substitute the whole user name for ``%u``, so ``pattern write bw/v1/%u/events`` pins both the site
and the agent level of the topic (``deploy/mosquitto/borderwatch.acl``); site and agent ids can
never contain ``/`` (contract ``Ident``), so the split is unambiguous. ``hub`` is the hub's user.

Passwords are stored as Mosquitto 2 ``$7$`` hashes (PBKDF2-SHA512), so one password file serves
Mosquitto and the embedded broker alike. Secrets come from an environment variable or a file, or
are generated and written to a 0600 file: never from the command line, where ``ps`` shows them.
Certificates are made with the ``openssl`` command line (a CA, then one key and certificate per
device or broker), so nothing beyond the OS is needed on the machine that issues them.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

PBKDF2_ITERATIONS = 101
"""What ``mosquitto_passwd`` 2.0 writes; Mosquitto reads the count from each line."""
_SALT_BYTES = 12
_IDENTITY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,63})?$")
_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def agent_identity(site: str, agent: str) -> str:
    """The broker user name (and certificate CN) of one agent."""
    return check_identity(f"{site}/{agent}")


def check_identity(name: str) -> str:
    """``SITE/AGENT`` for an agent, a single level (``hub``) for the hub; no wildcards or spaces."""
    if not _IDENTITY.match(name):
        raise ValueError(f"identity {name!r} is not SITE/AGENT or a single name (letters, digits, _ . -)")
    return name


def hash_password(password: str, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """A Mosquitto 2 ``$7$`` password hash (what ``mosquitto_passwd`` writes)."""
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Check a password against a ``$7$`` hash; any other or malformed hash never matches."""
    parts = stored.split("$")
    if len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        salt, want = base64.b64decode(parts[3], validate=True), base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    got = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]))
    return hmac.compare_digest(got, want)


def parse_password_lines(text: str) -> dict[str, str]:
    """``user:hash`` lines (comments, blank and colon-less lines skipped), as Mosquitto reads them."""
    users: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            user, _, stored = line.partition(":")
            users[user] = stored
    return users


def read_password_file(path: Path) -> dict[str, str]:
    """The users and hashes of a password file."""
    return parse_password_lines(path.read_text(encoding="utf-8"))


def set_password(passwd: Path, user: str, password: str) -> None:
    """Add or replace one user in a password file; the file stays owner-only (0600)."""
    users = read_password_file(passwd) if passwd.exists() else {}
    users[check_identity(user)] = hash_password(password)
    _write_private(passwd, "".join(f"{u}:{h}\n" for u, h in users.items()))


def new_secret() -> str:
    """A random password: 32 URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


def resolve_secret(env: str | None, file: Path | None, out: Path | None) -> tuple[str, Path | None]:
    """The secret from ``env`` or ``file``; else a new one written to ``out`` (0600).

    Returns the secret and the file it was written to (None when it was given).
    """
    if env is not None:
        value = os.environ.get(env)
        if not value:
            raise ValueError(f"environment variable {env} is not set")
        return value, None
    if file is not None:
        value = file.read_text(encoding="utf-8").strip()
        if not value:
            raise ValueError(f"secret file {file} is empty")
        return value, None
    if out is None:
        raise ValueError("give --secret-env, --secret-file or --secret-out")
    value = new_secret()
    _write_private(out, value + "\n")
    return value, out


def _write_private(path: Path, text: str) -> None:
    """Create or replace ``path`` readable by its owner only (the mode is set before any byte)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# -- certificates (openssl) --------------------------------------------------------------------
def _openssl(cwd: Path, *args: str) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {proc.stderr.strip()[-400:]}")


def make_ca(directory: Path, name: str = "borderwatch-ca", days: int = 3650) -> Path:
    """A self-signed CA (``ca.crt``, ``ca.key`` 0600) that signs every device and broker certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / "ca.key").exists():
        raise FileExistsError(f"{directory / 'ca.key'} exists: a second CA would orphan every issued certificate")
    conf = directory / "ca.cnf"
    conf.write_text(
        _req_conf(name) + "[ext]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
    )
    _openssl(directory, "req", "-x509", *_EC, "-keyout", "ca.key", "-out", "ca.crt", "-days", str(days),
             "-config", conf.name, "-extensions", "ext")  # fmt: skip
    os.chmod(directory / "ca.key", 0o600)
    return directory / "ca.crt"


def make_cert(ca_dir: Path, name: str, out_dir: Path, *, server: bool = False, days: int = 825) -> tuple[Path, Path]:
    """A key and certificate signed by the CA in ``ca_dir``: a device's (CN = its identity, used as
    the broker user name) or, with ``server``, a broker's (``name`` = its host name or IP)."""
    if not server:
        check_identity(name)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = name.replace("/", "_")
    key, csr, crt = out_dir / f"{stem}.key", out_dir / f"{stem}.csr", out_dir / f"{stem}.crt"
    conf = out_dir / f"{stem}.cnf"
    usage = "serverAuth" if server else "clientAuth"
    conf.write_text(
        _req_conf(name) + f"[ext]\nbasicConstraints=CA:FALSE\nextendedKeyUsage={usage}\n{_san(name, server)}"
    )
    _openssl(out_dir, "req", *_EC, "-keyout", key.name, "-out", csr.name, "-config", conf.name)
    os.chmod(key, 0o600)
    _openssl(out_dir, "x509", "-req", "-in", csr.name, "-CA", str(ca_dir.resolve() / "ca.crt"),
             "-CAkey", str(ca_dir.resolve() / "ca.key"), "-CAcreateserial", "-out", crt.name,
             "-days", str(days), "-extfile", conf.name, "-extensions", "ext")  # fmt: skip
    csr.unlink()
    return crt, key


def _req_conf(cn: str) -> str:
    """An openssl request config: the CN is given here, not in ``-subj``, where ``/`` separates fields."""
    return f"[req]\nprompt=no\ndistinguished_name=dn\n[dn]\nCN={cn}\n"


def _san(name: str, server: bool) -> str:
    if not server:
        return ""
    try:
        ipaddress.ip_address(name)
        return f"subjectAltName=IP:{name}\n"
    except ValueError:
        return f"subjectAltName=DNS:{name}\n"


# -- command line ------------------------------------------------------------------------------
def _cmd_user(args: argparse.Namespace) -> int:
    secret, written = resolve_secret(args.secret_env, args.secret_file, args.secret_out)
    set_password(args.passwd, args.identity, secret)
    where = f", secret written to {written}" if written else ""
    print(f"user {args.identity} set in {args.passwd}{where}")
    return 0


def _cmd_ca(args: argparse.Namespace) -> int:
    print(make_ca(args.dir, days=args.days))
    return 0


def _cmd_cert(args: argparse.Namespace) -> int:
    crt, key = make_cert(args.ca_dir, args.name, args.out or args.ca_dir, server=args.server, days=args.days)
    print(f"{crt}\n{key}")
    return 0


def run_credentials(args: argparse.Namespace) -> int:
    """Entry point of ``borderwatch broker credentials``; errors are one line on stderr, exit 2."""
    try:
        return int(args.cred_func(args))
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"borderwatch broker credentials: {exc}", file=sys.stderr)
        return 2


def register(broker: argparse.ArgumentParser) -> None:
    """Add ``credentials {user,ca,cert}`` under the ``broker`` command."""
    sub = broker.add_subparsers(dest="broker_command", metavar="credentials")
    cred = sub.add_parser("credentials", help="per-agent passwords, a CA and device certificates")
    cs = cred.add_subparsers(dest="cred_command", required=True)
    p = cs.add_parser("user", help="add or replace a user (SITE/AGENT, or hub) in a password file")
    p.add_argument("identity", help="SITE/AGENT for an agent, e.g. north/mast-01; hub")
    p.add_argument("--passwd", type=Path, required=True, help="password file (Mosquitto and embedded broker)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--secret-env", metavar="VAR", help="take the password from this environment variable")
    src.add_argument("--secret-file", type=Path, help="take the password from this file")
    src.add_argument("--secret-out", type=Path, help="generate a password and write it here (0600)")
    p.set_defaults(cred_func=_cmd_user)
    p = cs.add_parser("ca", help="create the CA that signs device and broker certificates")
    p.add_argument("--dir", type=Path, required=True, help="where ca.crt and ca.key (0600) go")
    p.add_argument("--days", type=int, default=3650)
    p.set_defaults(cred_func=_cmd_ca)
    p = cs.add_parser("cert", help="issue a device (CN = SITE/AGENT) or broker (--server) certificate")
    p.add_argument("name", help="SITE/AGENT or hub; with --server the broker's host name or IP")
    p.add_argument("--ca-dir", type=Path, required=True)
    p.add_argument("--out", type=Path, default=None, help="output directory (default: the CA directory)")
    p.add_argument("--server", action="store_true", help="a broker certificate (serverAuth, SAN = name)")
    p.add_argument("--days", type=int, default=825)
    p.set_defaults(cred_func=_cmd_cert)
