from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def jp_server_config(nepnb_home: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"nepnb": True}, "allow_root": True},
        "NepnbExtensionApp": {"home": str(nepnb_home)},
    }
