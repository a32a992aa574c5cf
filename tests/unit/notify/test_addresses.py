"""Subscription addresses and webhook destinations, judged as text (issue 12 items 2, 3, 9)."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest

from services.notify.adapters.channels.webhook import signature_headers, status_reason
from services.notify.domain.addresses import (
    AddressError,
    Destinations,
    check_mailbox,
    non_global,
    parse_allow_entry,
    parse_webhook_url,
)
from services.notify.domain.subscriptions import Subscription, check_subscription, signing_key
from shared.errors import Rejected

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1/",
        "http://example.org/a\r\nX-Injected: 1",
        "http://exa mple.org/",
        "http://example.org/\x00",
        "http://example.org/\u202e",
        "ftp://example.org/",
        "javascript:alert(1)",
        "http:///nohost",
        "http://example.org:99999/",
        "http://example.org:0/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://017700000001/",
        "http://127.1/",
        "http://[fe80::1%25eth0]/",
        "http://user@name@example.org/",
        "http://a\\@example.org/",
        "http://-bad-.example.org/",
        "http://exa_mple.org/",
    ],
)
def test_bad_webhook_urls_are_refused(url: str) -> None:
    with pytest.raises(AddressError):
        parse_webhook_url(url)


def test_a_good_webhook_url_gives_its_host_and_port() -> None:
    target = parse_webhook_url("https://Hooks.Example.org/in?x=1")
    assert (target.scheme, target.host, target.port, target.ip) == (
        "https",
        "hooks.example.org",
        443,
        None,
    )
    literal = parse_webhook_url("http://[2606:4700::1111]:8080/")
    assert literal.ip == ipaddress.ip_address("2606:4700::1111") and literal.port == 8080
    assert parse_webhook_url("http://user:pa%20ss@example.org/").host == "example.org"


@pytest.mark.parametrize(
    "mailbox",
    [
        "duty@example.org\r\nBcc: all@example.org",
        "duty@example.org\n",
        "Duty <duty@example.org>",
        '"duty"@example.org',
        "a@example.org, b@example.org",
        "no-at-sign",
        "duty@exa mple.org",
        "duty@@example.org",
        "du\x00ty@example.org",
        "duty@-example.org",
    ],
)
def test_bad_mailboxes_are_refused(mailbox: str) -> None:
    with pytest.raises(AddressError):
        check_mailbox(mailbox)


def test_a_bare_mailbox_is_accepted() -> None:
    check_mailbox("duty.officer+air@mail.example.org")


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("10.0.0.1", "private"),
        ("192.168.1.1", "private"),
        ("172.16.0.1", "private"),
        ("fc00::1", "private"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("100.64.0.1", "not globally routable"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::a9fe:a9fe", "link-local"),
        ("2002:7f00:1::", "loopback"),
    ],
)
def test_internal_addresses_are_not_global(address: str, why: str) -> None:
    assert non_global(ipaddress.ip_address(address)) == why


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_are_global(address: str) -> None:
    assert non_global(ipaddress.ip_address(address)) is None


def test_the_allow_list_names_hosts_ports_and_networks() -> None:
    allowed = Destinations.parse(["127.0.0.1:8080", "[::1]:9000", "10.1.0.0/16", "sink.test"])
    loopback = ipaddress.ip_address("127.0.0.1")
    assert allowed.refusal("127.0.0.1", loopback, 8080) is None
    assert "loopback" in (allowed.refusal("127.0.0.1", loopback, 8081) or "")
    mapped = ipaddress.ip_address("::ffff:127.0.0.1")
    assert allowed.refusal("x", mapped, 8080) is None
    assert allowed.refusal("::1", ipaddress.ip_address("::1"), 9000) is None
    assert allowed.refusal("x", ipaddress.ip_address("10.1.2.3"), 1) is None
    assert allowed.refusal("x", ipaddress.ip_address("10.2.0.1"), 1) is not None
    assert allowed.refusal("sink.test", ipaddress.ip_address("10.9.9.9"), 5) is None
    assert Destinations().refusal("x", loopback, 80) is not None
    for bad in ("127.0.0.1:0", "127.0.0.1:http", "bad host", "[::1]:99999"):
        with pytest.raises(ValueError, match="allow-list entry"):
            parse_allow_entry(bad)


def _subscription(**changes: object) -> Subscription:
    values: dict[str, object] = {
        "subscription_id": "s",
        "name": "n",
        "channel": "webhook",
        "address": "https://hooks.example.org/in",
        "areas": ("all",),
        "secret": SECRET,
    }
    values.update(changes)
    return Subscription(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"address": "http://[::1/"}, "address:"),
        ({"channel": "email", "address": "a@example.org\r\nBcc: x@example.org"}, "address:"),
        ({"secret": ""}, "secret:"),
        ({"secret": "whsec_not base64!"}, "secret:"),
        ({"secret": "whsec_c2hvcnQ="}, "secret:"),
        ({"secret": "short"}, "secret:"),
    ],
)
def test_a_subscription_names_the_field_that_is_wrong(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(Rejected) as refused:
        check_subscription(_subscription(**changes))
    assert str(refused.value).startswith(field)


def test_gateways_may_go_unsigned_but_webhooks_may_not() -> None:
    check_subscription(_subscription(channel="sms", secret=""))
    check_subscription(_subscription(secret="a-long-enough-plain-secret"))


def test_signatures_follow_the_standard_webhooks_test_vector() -> None:
    # the specification's published example (standard-webhooks, spec/standard-webhooks.md)
    at = dt.datetime.fromtimestamp(1614265330, dt.UTC)
    body = b'{"test": 2432232314}'
    headers = signature_headers(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", at, body)
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    assert len(signing_key(SECRET)) == 24


def test_the_log_keeps_a_standard_reason_never_the_body() -> None:
    assert status_reason(500) == "HTTP 500 Internal Server Error"
    assert status_reason(307) == "HTTP 307 Temporary Redirect (redirects are not followed)"
    assert status_reason(599) == "HTTP 599 non-standard status"
