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


Scalar = str | int | float
ClauseOp = Literal["term", "terms", "range", "prefix", "wildcard", "phrase", "match", "exists"]


class FieldClause(BaseModel):
    """A condition on one field of the index (the mapping-driven rules and the LLM both write these)."""

    field: str
    op: ClauseOp
    value: Scalar | None = None
    values: list[Scalar] = Field(default_factory=list, description="terms: any of these")
    gte: Scalar | None = None
    gt: Scalar | None = None
    lte: Scalar | None = None
    lt: Scalar | None = None
    exclude: bool = False
    words: str = Field("", description="the words of the question it came from")


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
    clauses: list[FieldClause] = Field(default_factory=list)
    any_of: list[list[FieldClause]] = Field(default_factory=list, description="groups: one clause of each matches")
    sort: Literal["newest", "oldest"] = "newest"
    sort_field: str | None = Field(None, description="sort on this measure instead of time")
    sort_order: Literal["asc", "desc"] = "desc"
    size: int | None = None
    understood: list[str] = Field(default_factory=list)
    not_understood: list[str] = Field(default_factory=list)
    as_text: list[FieldClause] = Field(default_factory=list, description="clauses that look for an identifier no "
                                       "field was named for as text in the message (also in `clauses`)")
    guesses: list[FieldClause] = Field(default_factory=list, description="clauses of `clauses` the weakest rules "
                                       "wrote (text matches, a value given to a field named apart from it)")
