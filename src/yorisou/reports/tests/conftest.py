"""The reports tests use the reform plan tests' small plan and its users."""

from yorisou.reforms.tests.conftest import lead, office, plan

__all__ = ["lead", "office", "plan"]
