"""Look up a channel adapter by name."""

from __future__ import annotations

from importlib import import_module

from .base import ChannelAdapter

ADAPTERS = {
    "web": "channels.web.adapter.WebAdapter",
    "line": "channels.line.adapter.LineAdapter",
}


def get_adapter(name: str) -> ChannelAdapter:
    path = ADAPTERS[name]
    module, cls = path.rsplit(".", 1)
    return getattr(import_module(module), cls)()
