"""The one plugin pattern of Yorisou: ``@registry.register("id")`` on a small class.

Report sections, sign-in providers, SMS gateways, media backends, FAQ engines, LLM
backends and menu entries are all registries of this kind.
"""

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Plugins of one kind, each under a unique id, kept in registration order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, plugin_id: str) -> Callable[[T], T]:
        """Decorator: register the decorated class (or object) under ``plugin_id``."""

        def decorator(item: T) -> T:
            if plugin_id in self._items:
                raise ValueError(f"{self.kind} {plugin_id!r} is already registered")
            self._items[plugin_id] = item
            return item

        return decorator

    def unregister(self, plugin_id: str) -> None:
        """Remove a plugin (tests use this to register a double behind the door)."""
        self._items.pop(plugin_id, None)

    def get(self, plugin_id: str) -> T:
        """The plugin registered under ``plugin_id``; KeyError names what exists."""
        try:
            return self._items[plugin_id]
        except KeyError:
            known = ", ".join(self._items) or "none"
            raise KeyError(
                f"no {self.kind} {plugin_id!r} (registered: {known})"
            ) from None

    def __contains__(self, plugin_id: object) -> bool:
        return plugin_id in self._items

    def __iter__(self) -> Iterator[tuple[str, T]]:
        return iter(list(self._items.items()))

    def __len__(self) -> int:
        return len(self._items)
