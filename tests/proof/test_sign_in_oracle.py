"""Row 8 of issue 11: sign-in is no oracle. On a real server, an unknown email, a known email
with a wrong password, and a locked-out account (throttled after failures, even with the
right password) answer alike: the same status, body and headers, byte for byte once the
request id and the date are set aside. The work is the same too: one argon2 verification at
the configured cost for unknown accounts (tests/accounts/test_passwords.py counts them)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.identity import PASSWORD, Actor, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.requirement("REQ-028")]

# What differs between any two responses by design: the request's id and the clock (the
# date, and the seconds left of a throttle window: a second apart for attempts made a second
# apart, whichever the account).
PER_REQUEST = {"x-request-id", "date", "retry-after"}
Seen = tuple[int, list[tuple[str, str]], dict[str, object], bool]


def seen(response: httpx.Response) -> Seen:
    body = response.json()
    request_id = body.pop("request_id")
    assert request_id == response.headers["x-request-id"]
    headers = sorted((k, v) for k, v in response.headers.items() if k not in PER_REQUEST)
    return response.status_code, headers, body, "retry-after" in response.headers


def waits(responses: list[httpx.Response]) -> None:
    """Retry-After, where there is one, differs by no more than the clock moved."""
    seconds = [int(r.headers["retry-after"]) for r in responses if "retry-after" in r.headers]
    assert not seconds or max(seconds) - min(seconds) <= 2, seconds


async def attempt(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    form = {"grant_type": "password", "username": email, "password": password}
    return await http.post("/v1/auth/token", data=form)


async def test_unknown_wrong_and_locked_out_answer_alike(
    http: httpx.AsyncClient, owner: Actor, record_property: Callable[[str, object], None]
) -> None:
    # A second account that is never signed in from here: the throttle counts its failures
    # from any address too, as for an unknown email.
    other = await sign_up(http)
    unknown, wrong = f"nobody-{owner.email}", f"Wrong {PASSWORD}"
    rounds: list[list[Seen]] = []
    # Interleaved, so that each account's throttle window starts at the same moment.
    for _ in range(7):
        answers = [
            await attempt(http, unknown, wrong),
            await attempt(http, owner.email, wrong),
            await attempt(http, other.email, wrong),
        ]
        waits(answers)
        rounds.append([seen(r) for r in answers])
    statuses = [r[0][0] for r in rounds]
    for seen_ in rounds:
        assert seen_[0] == seen_[1] == seen_[2], seen_
    assert statuses[0] == 400, statuses
    assert statuses[-1] == 429, statuses  # it did lock out
    # Locked out, the right password answers as the wrong one and as an unknown account does.
    locked = [
        await attempt(http, owner.email, PASSWORD),
        await attempt(http, unknown, PASSWORD),
        await attempt(http, other.email, wrong),
    ]
    waits(locked)
    assert seen(locked[0]) == seen(locked[1]) == seen(locked[2])
    assert locked[0].status_code == 429
    record_property(
        "figures",
        f"unknown / wrong password / locked out over {len(rounds)} rounds: statuses "
        f"{statuses}, identical status, headers and body in every round",
    )
