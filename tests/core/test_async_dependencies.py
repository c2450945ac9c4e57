"""No API route waits on the thread pool to build its dependencies (issue 16).

FastAPI runs a dependency that is a plain function in the thread pool: a hop to another
thread and back for what is, in every dependency here, a constructor call. Under load the
hops cost more than the dependencies, so every dependency of an API route is a coroutine
(or a generator, which FastAPI enters without a hop only when it is async).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from tests.security.walker import endpoints


def _sync_calls(dependant: Dependant) -> Iterator[str]:
    for sub in dependant.dependencies:
        call: Any = sub.call
        if call is not None and not (
            inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
        ):
            yield f"{call.__module__}.{call.__qualname__}"
        yield from _sync_calls(sub)


def test_every_api_dependency_is_a_coroutine(app: FastAPI) -> None:
    found = {
        f"{e.method} {e.path}: {name}"
        for e in endpoints(app)
        for name in _sync_calls(e.route.dependant)
    }
    assert not found, "dependencies run in the thread pool:\n" + "\n".join(sorted(found))
