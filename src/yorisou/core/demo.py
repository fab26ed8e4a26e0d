"""The demo-data framework: each app registers a loader; ``yorisou load_demo`` runs
them in order. Loaders are idempotent: running again keeps what is there."""

from dataclasses import dataclass

from yorisou.core.registry import Registry


@dataclass(frozen=True)
class DemoLogin:
    """A demo sign-in printed at the end of ``load_demo``."""

    role: str
    username: str
    password: str
    note: str = ""


class DemoLoader:
    """Loads one app's demo data (sample data, marked as such)."""

    order: int = 100

    def load(self) -> list[DemoLogin]:
        raise NotImplementedError


demo_loaders: Registry[type[DemoLoader]] = Registry("demo loader")


def load_all() -> list[DemoLogin]:
    """Run every registered loader in order; the demo sign-ins they created."""
    logins: list[DemoLogin] = []
    for _, loader in sorted(demo_loaders, key=lambda pair: pair[1].order):
        logins.extend(loader().load())
    return logins
