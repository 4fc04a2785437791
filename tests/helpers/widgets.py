"""What a chart widget sent to the browser, for the widget tests."""

from __future__ import annotations

from typing import Any


class Sent:
    """What a widget sent to the browser (``widget.send`` replaced)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def __call__(self, content: dict[str, Any], buffers: Any = None) -> None:
        self.messages.append(content)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in list(self.messages) if m.get("type") == kind]
