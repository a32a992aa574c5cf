"""The audit log's keys: HMAC-SHA256 secrets kept outside the database.

A key file is JSON, ``{"current": "<key id>", "keys": {"<key id>": "<base64 secret>"}}``.
New audit entries and anchors are sealed with the current key; every entry records its
key id, so older entries still verify with the key they were sealed with after a
rotation (:func:`rotate`) adds a new current key. Whoever can write the database but
not read this file cannot forge an entry: that is the point of keeping it elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from shared.settings import Settings

log = logging.getLogger(__name__)

#: the development key file ``airwarn up`` makes in its var dir when none is configured
DEV_KEYS_NAME = "audit-keys.json"
_MIN_SECRET = 16


class AuditKeyError(RuntimeError):
    """No usable key file: missing, unreadable or malformed."""


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: dict[str, bytes]
    source: str = "<memory>"

    def mac(self, key_id: str, message: bytes) -> str:
        """HMAC-SHA256 of ``message`` with key ``key_id`` (KeyError if unknown), as hex."""
        return hmac.new(self.keys[key_id], message, "sha256").hexdigest()

    def seal(self, message: bytes) -> tuple[str, str]:
        """(current key id, its MAC of ``message``)."""
        return self.current, self.mac(self.current, message)

    @classmethod
    def generate(cls, key_id: str | None = None) -> KeyRing:
        made = key_id or _new_id()
        return cls(made, {made: secrets.token_bytes(32)})


def _new_id() -> str:
    return f"k{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def parse(text: str, source: str) -> KeyRing:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AuditKeyError(f"{source}: not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise AuditKeyError(f'{source}: expected {{"current": id, "keys": {{id: base64}}}}')
    keys: dict[str, bytes] = {}
    for key_id, encoded in data["keys"].items():
        try:
            secret = base64.b64decode(str(encoded), validate=True)
        except (binascii.Error, ValueError):
            raise AuditKeyError(f"{source}: key {key_id!r} is not base64") from None
        if len(secret) < _MIN_SECRET:
            raise AuditKeyError(f"{source}: key {key_id!r} is shorter than {_MIN_SECRET} bytes")
        keys[str(key_id)] = secret
    current = data.get("current")
    if not isinstance(current, str) or current not in keys:
        raise AuditKeyError(f"{source}: 'current' must name one of its keys")
    return KeyRing(current, keys, source)


def load(path: Path) -> KeyRing:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AuditKeyError(f"cannot read the audit key file {path}: {exc.strerror}") from None
    return parse(text, str(path))


def dump(ring: KeyRing) -> str:
    keys = {k: base64.b64encode(v).decode("ascii") for k, v in ring.keys.items()}
    return json.dumps({"current": ring.current, "keys": keys}, indent=2) + "\n"


def write(path: Path, ring: KeyRing, *, replace: bool = True) -> None:
    """Write ``ring`` to ``path``, readable by its owner only, atomically; with
    ``replace=False`` a file already there (another process's) is kept instead."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(dump(ring))
        handle.flush()
        os.fsync(handle.fileno())
    if replace:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def rotate(path: Path) -> str:
    """Add a new key to the file at ``path`` and make it current; returns its id. The old
    keys stay, so entries sealed with them still verify. Running services pick the new
    key up when they start. Without a file at ``path``, makes one holding just that key."""
    fresh = KeyRing.generate()
    if not path.exists():
        write(path, fresh, replace=False)
        return fresh.current
    ring = load(path)
    write(path, KeyRing(fresh.current, {**ring.keys, **fresh.keys}, str(path)))
    return fresh.current


def keys_path(settings: Settings) -> Path:
    """The configured key file, or else the development one in the var dir."""
    return settings.audit_keys_file or settings.var_dir / DEV_KEYS_NAME


def for_runtime(settings: Settings) -> KeyRing:
    """The keys a service seals with. Without AIRWARN_AUDIT_KEYS_FILE (``airwarn up``, tests)
    a development key file is made in the var dir once, and said so in the log;
    ``airwarn serve`` refuses to start before it gets here without one."""
    if settings.audit_keys_file is not None:
        return load(settings.audit_keys_file)
    path = settings.var_dir / DEV_KEYS_NAME
    if not path.exists():
        write(path, KeyRing.generate(), replace=False)
        log.warning(
            "generated a development audit key file; set AIRWARN_AUDIT_KEYS_FILE in production",
            extra={"path": str(path)},
        )
    return load(path)
