"""Every route of the nepnb server extension."""

from __future__ import annotations

from nepnb.jupyter.base import Routes
from nepnb.jupyter.checkpoints import CHECKPOINT_ROUTES
from nepnb.jupyter.runs import RUN_ROUTES

ROUTES: Routes = [*CHECKPOINT_ROUTES, *RUN_ROUTES]
