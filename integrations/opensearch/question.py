"""What a log question asks for, independent of any index: time range, filters by kind, aggregations.

Written by the rules in integrations.opensearch.question_parser (and, for triage, from an alert's labels), turned
into a `_search` body for a real index by integrations.opensearch.dsl.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

FilterKind = Literal["status", "status_class", "level", "host", "ip", "cidr", "namespace", "pod", "service",
                     "phrase", "container"]


class TimeRange(BaseModel):
    start: datetime
    end: datetime
    asked: bool = Field(True, description="False when no time was asked for and the default window applies")


class LogFilter(BaseModel):
    kind: FilterKind
    value: str
    exclude: bool = False
    any_of: list[str] = Field(default_factory=list, description="exact values, any of which matches (a level list)")


class LogAggregation(BaseModel):
    kind: Literal["top", "histogram", "percentiles"]
    field: str = Field("", description="a field name or kind as the user said it; empty for a histogram")
    size: int = 10
    interval: str = ""
    percents: list[float] = Field(default_factory=list)


class LogQuestion(BaseModel):
    text: str
    time_range: TimeRange
    filters: list[LogFilter] = Field(default_factory=list)
    aggregations: list[LogAggregation] = Field(default_factory=list)
    sort: Literal["newest", "oldest"] = "newest"
    size: int | None = None
    understood: list[str] = Field(default_factory=list)
    not_understood: list[str] = Field(default_factory=list)
