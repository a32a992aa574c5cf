"""GET /console (the page), /console/static/<file> (its scripts and styles), /console/areas
(the plan's regions and districts, §3.2.2) and /console/whoami (the token's role).

No ``from __future__ import annotations``: FastAPI must see the ``Caller`` dependency,
local to the router, as an object.
"""

import re
from importlib import resources
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel

from shared.areas import REGIONS, members
from shared.auth import Principal, TokenStore
from shared.auth.http import bearer
from shared.error_responses import errors
from shared.errors import NotFound
from shared.levels import LEVEL_NAMES, RESPONSE_LEVEL, WARNING_LEVELS

_PACKAGE: Final = __name__.rpartition(".")[0]
MEDIA_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_ASSET_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(js|css|svg)$")
# The page loads nothing but this origin's own files and APIs; the browser enforces it.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_NO_CACHE: Final = {"cache-control": "no-cache"}
# What the routes answer besides JSON, declared so the OpenAPI document tells the truth.
_PAGE: Final[dict[int | str, dict[str, Any]]] = {200: {"content": {"text/html": {}}}}
_ASSET: Final[dict[int | str, dict[str, Any]]] = {
    200: {"content": {"text/javascript": {}, "text/css": {}}},
    404: {"description": "no such asset"},
}


class DistrictOut(BaseModel):
    code: str
    name_zh: str
    name_en: str


class RegionOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    districts: list[DistrictOut]


class LevelOut(BaseModel):
    level: str
    name_zh: str
    name_en: str
    response_level: str


class AreasOut(BaseModel):
    regions: list[RegionOut]
    levels: list[LevelOut]


class WhoAmIOut(BaseModel):
    name: str
    role: str
    area: str | None
    unit: str | None


def _static(name: str) -> bytes:
    return resources.files(_PACKAGE).joinpath("static", name).read_bytes()


def router(tokens: TokenStore) -> APIRouter:
    api = APIRouter(tags=["console"], responses=errors(422))
    page = resources.files(_PACKAGE).joinpath("index.html").read_bytes()

    Caller = Annotated[Principal, Depends(bearer(tokens))]

    @api.get("", response_class=Response, responses=_PAGE)
    async def console() -> Response:
        """The duty officer's console (HTML)."""
        return Response(
            page,
            media_type="text/html; charset=utf-8",
            headers={"content-security-policy": CONTENT_SECURITY_POLICY, **_NO_CACHE},
        )

    @api.get("/static/{name}", response_class=Response, responses=_ASSET)
    async def asset(name: str) -> Response:
        """One of the console's own scripts or stylesheets."""
        if not _ASSET_NAME.match(name):
            raise NotFound(f"no console asset {name!r}")
        try:
            body = _static(name)
        except FileNotFoundError:
            raise NotFound(f"no console asset {name!r}") from None
        return Response(body, media_type=MEDIA_TYPES[name[name.rindex(".") :]], headers=_NO_CACHE)

    @api.get("/areas", response_model=AreasOut)
    async def areas() -> AreasOut:
        """The three regions and their districts in the plan's order, and the levels."""
        return AreasOut(
            regions=[
                RegionOut(
                    code=region.code,
                    name_zh=region.name_zh,
                    name_en=region.name_en,
                    districts=[
                        DistrictOut(code=d.code, name_zh=d.name_zh, name_en=d.name_en)
                        for d in members(region.code)
                    ],
                )
                for region in REGIONS.values()
            ],
            levels=[
                LevelOut(
                    level=level,
                    name_zh=LEVEL_NAMES[level][0],
                    name_en=LEVEL_NAMES[level][1],
                    response_level=RESPONSE_LEVEL[level],
                )
                for level in WARNING_LEVELS
            ],
        )

    @api.get(
        "/whoami",
        response_model=WhoAmIOut,
        responses={401: {"description": "no token, or one nobody issued"}},
    )
    async def whoami(principal: Caller) -> WhoAmIOut:
        """Who the bearer token belongs to: the console enables the buttons of that role."""
        return WhoAmIOut(
            name=principal.name, role=principal.role, area=principal.area, unit=principal.unit
        )

    return api
