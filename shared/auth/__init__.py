"""Bearer tokens: who the caller is, in the plan's roles.

Tokens are kept only as SHA-256 hashes. Roles (rules §4 "Authority"):
``hq-commander`` (市指挥部指挥长), ``office-director`` (市指挥部办公室主任),
``office-duty`` (the office on duty), ``district-hq`` (a district's HQ, with its
area code), ``agency`` (a member unit, with its unit id).

Every write needs a token (HTTP routes take :func:`shared.auth.http.bearer`);
reads are open. Who may write what:

- approvals follow rules §4 "Authority" (the role each proposal names);
- forecasts and observations (``/forecast``) — a decision, since the rules name
  no submitter: the city's air-quality forecast is made in consultation by the
  ecology and environment bureau (whose monitoring centre also measures) and the
  meteorological bureau (Annex 1 duties), and the office on duty enters what a
  consultation or an advisory settles. So: ``office-duty``, and ``agency``
  tokens of the units in :data:`FORECASTING_UNITS`. A district HQ decides on its
  district's warning but does not write the forecast it decides on; other
  member units carry out measures only. No new role was needed: the existing
  unit-scoped agency tokens already say which bureau is calling.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, ValidationError

from shared.contracts.strict import StrictModel
from shared.errors import Forbidden, Unauthenticated
from shared.observability import context

Role = Literal["hq-commander", "office-director", "office-duty", "district-hq", "agency"]
ROLES: tuple[Role, ...] = (
    "hq-commander",
    "office-director",
    "office-duty",
    "district-hq",
    "agency",
)


#: the packaged development tokens: their plain values are in its "comment" and in the
#: README, so anyone can use them (``airwarn up`` says so; ``airwarn serve`` refuses them)
DEVELOPMENT_TOKENS = resources.files("shared.auth").joinpath("dev_tokens.json")


class TokenFileError(ValueError):
    """A tokens file that cannot be used: unreadable, not JSON, or not in the format."""


class _Token(StrictModel):
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the token, hex")
    name: str = Field(min_length=1)
    role: Role
    area: str | None = None
    unit: str | None = None


class _TokensFile(StrictModel):
    model_config = ConfigDict(extra="ignore")  # e.g. a "comment"

    tokens: list[_Token]


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    area: str | None = None  # a district HQ's district
    unit: str | None = None  # an agency's unit id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, principals: dict[str, Principal]) -> None:
        self._by_hash = principals

    @classmethod
    def from_file(cls, path: Path | None = None) -> TokenStore:
        """Load ``{"tokens": [{"sha256", "name", "role", "area"?, "unit"?}]}``; without a
        path, the packaged development tokens (public: see :data:`DEVELOPMENT_TOKENS`).
        Raise :class:`TokenFileError` naming what is wrong with the file."""
        if path is None:
            return cls.parse(DEVELOPMENT_TOKENS.read_text("utf-8"))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenFileError(f"{path}: cannot be read: {exc}") from exc
        try:
            return cls.parse(text)
        except TokenFileError as exc:
            raise TokenFileError(f"{path}: {exc}") from exc

    @classmethod
    def parse(cls, text: str) -> TokenStore:
        try:
            document = _TokensFile.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the file"
            raise TokenFileError(f"not a tokens file: {where}: {first['msg']}") from None
        if not document.tokens:
            raise TokenFileError('no tokens in "tokens": nobody could write')
        principals = {
            entry.sha256.lower(): Principal(entry.name, entry.role, entry.area, entry.unit)
            for entry in document.tokens
        }
        return cls(principals)

    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("a bearer token is required")
        principal = self._by_hash.get(token_hash(authorization[7:].strip()))
        if principal is None:
            raise Unauthenticated("unknown bearer token")
        # The audit log's actor for the rest of this request; it reaches the endpoint only
        # from an async dependency (a sync one runs in a thread, on a copy of the context).
        context.actor.set(f"{principal.role}:{principal.name}")
        return principal


def require(principal: Principal, *roles: Role, area: str | None = None) -> None:
    """Raise :class:`Forbidden` unless ``principal`` holds one of ``roles`` (and,
    for a district HQ, the given area)."""
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role} may not do this; needs {' or '.join(roles)}")
    if principal.role == "district-hq" and area is not None and principal.area != area:
        raise Forbidden(f"{principal.name} is the HQ of {principal.area}, not of {area}")


#: member units (ids of the response catalogue) that make the forecast and measure the air
FORECASTING_UNITS: frozenset[str] = frozenset(
    {"ecology-environment-bureau", "meteorological-bureau"}
)


def require_forecaster(principal: Principal) -> None:
    """Raise :class:`Forbidden` unless ``principal`` may submit forecasts and observations."""
    if principal.role == "office-duty":
        return
    if principal.role == "agency" and principal.unit in FORECASTING_UNITS:
        return
    raise Forbidden(
        f"{principal.name} may not submit forecasts or observations; needs office-duty "
        f"or the token of {' or '.join(sorted(FORECASTING_UNITS))}"
    )
