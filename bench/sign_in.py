"""The time of a failed sign-in for a known account (wrong password) and an unknown one.

The test suite proves the two cost the same work by counting argon2 verifications
(tests/accounts/test_passwords.py); this shows the time, as a ratio measured in one run.

    .venv/bin/python bench/sign_in.py --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from signoff.accounts.passwords import Passwords
from signoff.core.config import AuthSettings

PASSWORD = "correct horse battery staple"  # noqa: S105 (a benchmark's own)


async def main(rounds: int) -> None:
    passwords = Passwords(AuthSettings())  # the production parameters
    stored = await passwords.hash(PASSWORD)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for _ in range(rounds):
        for kind, value in (("known", stored), ("unknown", None)):
            began = time.perf_counter()
            await passwords.verify(value, "wrong password here")
            timings[kind].append(time.perf_counter() - began)
    known, unknown = (statistics.median(timings[k]) for k in ("known", "unknown"))
    print(f"median of {rounds}: known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
    print(f"ratio unknown/known: {unknown / known:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
