"""The embedded MQTT broker (amqtt) for single-machine use and the demo.

Production runs Mosquitto (deploy/mosquitto/) or a clustered broker: amqtt is a pure-Python
broker in the hub's process, enough for one site, not sized for a fleet.

Why credentials by default: an anonymous publisher on the broker can raise a critical alert
with one fake crossing. The broker reads the same ``$7$`` password file as Mosquitto
(``borderwatch broker credentials user``); anonymous access needs ``--allow-anonymous`` and is
refused unless the broker listens on loopback only (lab use).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from borderwatch.deploy.acl import allowed, load_acl
from borderwatch.deploy.credentials import read_password_file, verify_password
from borderwatch.runtime.hosts import is_loopback

log = logging.getLogger("borderwatch.broker")


class PasswordFileAuth(BaseAuthPlugin):
    """amqtt auth plugin: users and ``$7$`` hashes from a Mosquitto password file; no anonymous."""

    @dataclass
    class Config:
        """``password_file``: Mosquitto-format ``user:$7$...`` lines."""

        password_file: str = ""

    def __init__(self, context: object) -> None:
        super().__init__(context)  # type: ignore[arg-type]
        self._users = read_password_file(Path(self.config.password_file))
        log.info("broker users loaded n=%d file=%s", len(self._users), self.config.password_file)

    async def authenticate(self, *, session: Session) -> bool:
        """Known user and matching password, or refused (and logged without the password)."""
        stored = self._users.get(session.username or "")
        ok = stored is not None and verify_password(session.password or "", stored)
        if not ok:
            log.warning("broker refused connection client_id=%s user=%s", session.client_id, session.username or "-")
        return ok


class AclFileTopics(BaseTopicPlugin):
    """amqtt topic plugin applying a Mosquitto ACL file (deploy/acl.py) with Mosquitto's semantics:
    any subscription is accepted, every message is checked for write (publish) and read (receive)."""

    @dataclass
    class Config:
        """``acl_file``: a Mosquitto ACL file, e.g. deploy/mosquitto/borderwatch.acl."""

        acl_file: str = ""

    def __init__(self, context: object) -> None:
        super().__init__(context)  # type: ignore[arg-type]
        self._acl = load_acl(Path(self.config.acl_file))

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool:
        """Subscriptions pass (as in Mosquitto 2); publish needs write, delivery needs read."""
        if action == Action.SUBSCRIBE:
            return True
        if session is None or topic is None:
            return False
        access = "write" if action == Action.PUBLISH else "read"
        ok = allowed(self._acl, session.username, session.client_id, topic, access)
        if not ok and access == "write":
            user = session.username or "-"
            log.warning("broker denied publish client_id=%s user=%s topic=%s", session.client_id, user, topic[:200])
        return ok


def check_access(host: str, password_file: Path | None, allow_anonymous: bool) -> str | None:
    """Why this combination must not start, or None when it may."""
    if allow_anonymous and password_file is not None:
        return "give either --password-file or --allow-anonymous, not both"
    if allow_anonymous and not is_loopback(host):
        return f"--allow-anonymous is refused on {host}: anonymous access is for loopback (127.0.0.1) only"
    if not allow_anonymous and password_file is None:
        return "the broker needs --password-file (from `borderwatch broker credentials user`) or --allow-anonymous"
    if password_file is not None and not password_file.is_file():
        return f"password file {password_file} does not exist"
    return None


def check_acl(acl_file: Path | None) -> str | None:
    """Why the ACL file cannot be used (unreadable, a line not understood), or None."""
    if acl_file is None:
        return None
    try:
        load_acl(acl_file)
    except (OSError, ValueError) as exc:
        return f"ACL file {acl_file}: {exc}"
    return None


def broker_config(host: str, port: int, password_file: Path | None, acl_file: Path | None = None) -> dict[str, object]:
    """amqtt config: one TCP listener; password-file authentication unless ``password_file`` is
    None; the Mosquitto ACL file applied when ``acl_file`` is given."""
    plugins: dict[str, object]
    if password_file is None:
        plugins = {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}
    else:
        plugins = {f"{__name__}.PasswordFileAuth": {"password_file": str(password_file)}}
    if acl_file is not None:
        plugins[f"{__name__}.AclFileTopics"] = {"acl_file": str(acl_file)}
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 256}},
        "plugins": plugins,
    }


def _broker_class() -> type:
    """amqtt's Broker, with retained messages sent only where they belong.

    Why: amqtt 0.12 replays, to every client that connects, the retained messages matching *any*
    client's subscription (the hub's ``bw/v1/#`` included), unchecked against the ACL: each agent
    that reconnected received every active alert and the other agents' status. Here a retained
    message goes only to a session subscribed to that filter, and only where the ACL lets it read.
    """
    from amqtt.broker import Broker

    class ScopedRetainBroker(Broker):
        async def _publish_retained_messages_for_subscription(
            self, subscription: tuple[str, int], session: Session
        ) -> None:
            topic_filter, qos = subscription
            mine = [q for s, q in self._subscriptions.get(topic_filter, []) if s.client_id == session.client_id]
            handler = self._get_handler(session)
            if not mine or handler is None:
                return
            qos = max(mine) if qos == 0 else qos  # the reconnect path passes 0, not the subscription's QoS
            tasks = [
                asyncio.ensure_future(handler.mqtt_publish(r.topic, r.data, min(qos, r.qos or qos), retain=True))
                for name, r in list(self._retained_messages.items())
                if self._matches(name, topic_filter)
                and await self._topic_filtering(session, topic=name, action=Action.RECEIVE)
            ]
            if tasks:
                await asyncio.wait(tasks)

    return ScopedRetainBroker


async def _serve(host: str, port: int, password_file: Path | None, acl_file: Path | None, stop: asyncio.Event) -> None:
    broker = _broker_class()(broker_config(host, port, password_file, acl_file))
    await broker.start()
    log.info("broker listening host=%s port=%d auth=%s", host, port, "password" if password_file else "anonymous")
    await stop.wait()
    await broker.shutdown()
    log.info("broker stopped")


def run_broker(
    host: str = "127.0.0.1",
    port: int = 1883,
    password_file: Path | None = None,
    allow_anonymous: bool = False,
    acl_file: Path | None = None,
) -> int:
    """Run until SIGINT/SIGTERM; returns the process exit code (2: refused configuration)."""
    refused = check_access(host, password_file, allow_anonymous) or check_acl(acl_file)
    if refused is not None:
        log.error("broker not started: %s", refused)
        return 2

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await _serve(host, port, password_file, acl_file, stop)

    try:
        asyncio.run(main())
    except OSError as exc:
        log.error("broker cannot listen host=%s port=%d error=%s", host, port, exc)
        return 1
    return 0
