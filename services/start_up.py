"""Checks `airwarn up` and `airwarn serve` make before they open a port or a connection.

Bearer tokens (issue 12, item 7): a service on the shared bus runs only with a tokens file
of its own, since the packaged development tokens are public; `airwarn up` may use them
for a rehearsal on one machine, but says so where an operator will see it.
"""

from __future__ import annotations

import logging
import sys

from shared.auth import TokenFileError, TokenStore
from shared.settings import Settings

_LOG = logging.getLogger("airwarn.start_up")

DEVELOPMENT_WARNING = (
    "airwarn up: NO TOKENS FILE: using the packaged DEVELOPMENT TOKENS "
    "(dev-hq-commander, dev-office-director, dev-office-duty, dev-district-<code>, "
    "dev-unit-<unit id>). They are PUBLIC (README, shared/auth/dev_tokens.json): anyone "
    "who reaches this port can approve warnings with them. Set AIRWARN_TOKENS_FILE to a "
    'tokens file of your own ({"tokens": [{"sha256", "name", "role", ...}]}) '
    "for anything but a rehearsal on this machine."
)


def tokens_refusal(settings: Settings, *, command: str) -> str | None:
    """Why ``command`` must not start with these settings' tokens, or None. `up` without a
    tokens file warns (log and stderr) and goes on with the development tokens."""
    path = settings.tokens_file
    if path is None:
        if command != "up":
            return (
                f"airwarn {command}: refusing to start without a tokens file: set "
                "AIRWARN_TOKENS_FILE to a JSON file of hashed bearer tokens "
                "(the packaged development tokens are public and are for `airwarn up` only)"
            )
        _LOG.warning(DEVELOPMENT_WARNING)
        print(DEVELOPMENT_WARNING, file=sys.stderr, flush=True)
        return None
    try:
        TokenStore.from_file(path)
    except TokenFileError as exc:
        return f"airwarn {command}: refusing to start: AIRWARN_TOKENS_FILE is unusable: {exc}"
    return None
