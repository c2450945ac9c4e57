"""The ``/v1`` router: each domain's router, included here and nowhere else."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
