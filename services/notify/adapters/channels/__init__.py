"""Delivery channels, one adapter each behind one interface (a plugin per channel)."""

from __future__ import annotations

from typing import Protocol

from services.notify.domain.delivery import Attempt
from services.notify.domain.subscriptions import Subscription


class Outgoing(Protocol):
    """What a channel sends: the bulletin in the subscriber's languages."""

    @property
    def bulletin_id(self) -> str: ...

    @property
    def delivery_id(self) -> str: ...

    def as_json(self, languages: tuple[str, ...]) -> dict[str, object]: ...

    def as_text(self, languages: tuple[str, ...]) -> str: ...

    def subject(self, languages: tuple[str, ...]) -> str: ...


class ChannelAdapter(Protocol):
    async def send(self, subscription: Subscription, message: Outgoing) -> Attempt: ...
