"""The report-section registry: every app contributes sections; a plan chooses
which and in what order (``reports.ReportLayout``; default: all, by ``order``)."""

from dataclasses import dataclass
from typing import Any

from yorisou.core.registry import Registry
from yorisou.reports.content import Page


@dataclass(frozen=True)
class SectionContext:
    """What a section is asked to report on."""

    actor: Any
    plan: Any  # reforms.Plan
    period: Any  # reforms.ReportingPeriod or None


class ReportSection:
    """A part of the report contributed by an app (a small class, registered)."""

    title: Any = ""  # a lazy translation: shown when a plan chooses its sections
    description: Any = ""
    order: int = 100

    def pages(self, context: SectionContext) -> list[Page]:
        raise NotImplementedError


sections: Registry[type[ReportSection]] = Registry("report section")


def ordered_sections(
    chosen: list[str] | None = None,
) -> list[tuple[str, type[ReportSection]]]:
    """The registered sections, in the plan's chosen order or by ``order``."""
    every = dict(sections)
    if chosen is not None:
        return [(key, every[key]) for key in chosen if key in every]
    return sorted(every.items(), key=lambda pair: (pair[1].order, pair[0]))
