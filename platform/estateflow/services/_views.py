"""What services hand to the web app and the CLI: plain frozen views, never rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from estateflow import engine
from estateflow.definitions import Bundle
from estateflow.engine import Actor, CaseState, Context


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskView:
    case_id: str
    task_id: str
    case_number: str
    procedure: str
    procedure_title: Mapping[str, str]
    step: str
    step_title: Mapping[str, str]
    role: str | None
    assignee: str | None
    status: str
    opened_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    unit: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseView:
    id: str
    number: str
    estate_id: str
    procedure: str
    title: Mapping[str, str]
    status: str
    outcome: str | None
    version: int
    data: Mapping[str, Any]
    tasks: tuple[TaskView, ...]
    actions: tuple[engine.ActionOption, ...]
    opened_at: datetime
    closed_at: datetime | None
    due_at: datetime | None
    parent: str | None
    state: CaseState


def task_view(bundle: Bundle, row: Mapping[str, Any]) -> TaskView:
    proc = bundle.procedures.get(row["procedure"])
    step = proc.steps.get(row["step"]) if proc else None
    return TaskView(
        case_id=row["case_id"],
        task_id=row["task_id"],
        case_number=row["number"],
        procedure=row["procedure"],
        procedure_title=proc.title if proc else {},
        step=row["step"],
        step_title=step.title if step else {},
        role=row["role"],
        assignee=row["assignee"],
        status=row["status"],
        opened_at=_dt(row["opened_at"]),
        due_at=_dt(row["due_at"]),
        warn_at=_dt(row["warn_at"]),
        unit=row.get("unit") or "",
    )


def case_view(bundle: Bundle, case: CaseState, actor: Actor, ctx: Context) -> CaseView:
    proc = bundle.procedures[case.procedure]
    tasks = tuple(
        TaskView(
            case_id=case.id,
            task_id=t.id,
            case_number=case.number,
            procedure=proc.id,
            procedure_title=proc.title,
            step=t.step,
            step_title=proc.steps[t.step].title,
            role=t.role,
            assignee=t.assignee,
            status=t.status,
            opened_at=t.opened_at,
            due_at=t.due_at,
            warn_at=t.warn_at,
            unit=str(case.data.get("unit") or ""),
        )
        for t in case.open_tasks
    )
    return CaseView(
        id=case.id,
        number=case.number,
        estate_id=bundle.estate.id,
        procedure=proc.id,
        title=proc.title,
        status=case.status,
        outcome=case.outcome,
        version=case.version,
        data=case.data,
        tasks=tasks,
        actions=engine.available_actions(bundle, case, actor, ctx),
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        due_at=case.due_at,
        parent=case.parent,
        state=case,
    )
