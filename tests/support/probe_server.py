"""A real server process with the probe routes, run through Signoff's own uvicorn setup."""

from __future__ import annotations

import sys

from fastapi import FastAPI

from signoff.app import app_from_environment
from signoff.cli.main import run_uvicorn
from signoff.core.config import load_settings
from tests.support.probe import probe_app


def create() -> FastAPI:
    return probe_app(app_from_environment())


if __name__ == "__main__":
    run_uvicorn(
        load_settings(),
        "tests.support.probe_server:create",
        host="127.0.0.1",
        port=int(sys.argv[1]),
        workers=1,
    )
