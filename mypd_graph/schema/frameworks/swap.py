"""Switching the district's framework: activateFramework (with a preview) and the swap's record."""

from __future__ import annotations

import asyncio
import enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.frameworks.types import Element, Framework, element_by_id
from mypd_graph.schema.relay import NODE_LOADERS, Connection, Edge, PageInfo
from mypd_graph.services.common import Page, check_first, decode_cursor, encode_cursor
from mypd_graph.services.frameworks import swap as service
from mypd_graph.services.frameworks.swap import Item, SwapPlan

if TYPE_CHECKING:
    from mypd_graph.schema.people.district import District
    from mypd_graph.schema.people.types import Teacher
    from mypd_graph.schema.plans.types import Goal

LazyDistrict = Annotated["District", strawberry.lazy("mypd_graph.schema.people.district")]
LazyTeacher = Annotated["Teacher", strawberry.lazy("mypd_graph.schema.people.types")]
LazyGoal = Annotated["Goal", strawberry.lazy("mypd_graph.schema.plans.types")]


@strawberry.type(description="How many items map to the new framework through the crosswalk.")
class SwapCounts:
    focus_mapped: int
    focus_unmapped: int
    goal_elements_mapped: int
    goal_elements_unmapped: int
    self_ratings_mapped: int
    self_ratings_unmapped: int
    observed_ratings_mapped: int
    observed_ratings_unmapped: int

    @classmethod
    def of(cls, counts: dict[str, int]) -> SwapCounts:
        return cls(
            focus_mapped=counts["focus_mapped"],
            focus_unmapped=counts["focus_unmapped"],
            goal_elements_mapped=counts["goal_mapped"],
            goal_elements_unmapped=counts["goal_unmapped"],
            self_ratings_mapped=counts["self_rating_mapped"],
            self_ratings_unmapped=counts["self_rating_unmapped"],
            observed_ratings_mapped=counts["observed_rating_mapped"],
            observed_ratings_unmapped=counts["observed_rating_unmapped"],
        )


@strawberry.enum(description="What a swap item is.")
class SwapItemKind(enum.Enum):
    FOCUS = "focus"
    GOAL = "goal"
    SELF_RATING = "self_rating"
    OBSERVED_RATING = "observed_rating"


@strawberry.type(
    description="A focus element, an open goal's element or a latest rating at a swap, and the "
    "elements of the new framework it maps to (empty: it does not map; a goal keeps it, a focus "
    "element is listed here instead)."
)
class SwapItem:
    kind: SwapItemKind
    relation: str | None = strawberry.field(description="The crosswalk relation used, if any.")
    element_id: strawberry.Private[int]
    target_ids: strawberry.Private[list[int]]
    goal_id: strawberry.Private[int | None]

    @strawberry.field
    def mapped(self) -> bool:
        return bool(self.target_ids)

    @strawberry.field(description="The element of the old framework.")
    async def element(self, info: Info) -> Element | None:
        return await element_by_id(info, self.element_id)

    @strawberry.field(description="The elements of the new framework it maps to.")
    async def mapped_to(self, info: Info) -> list[Element]:
        found = await asyncio.gather(*(element_by_id(info, t) for t in self.target_ids))
        return [element for element in found if element is not None]

    @strawberry.field(description="The goal, for a goal's element (null where you may not see it).")
    async def goal(self, info: Info) -> LazyGoal | None:
        return None if self.goal_id is None else await NODE_LOADERS["Goal"](info, self.goal_id)


def _items(items: list[tuple[str, int, list[tuple[int, str]], int | None]]) -> list[SwapItem]:
    return [
        SwapItem(
            kind=SwapItemKind(kind),
            relation=targets[0][1] if targets else None,
            element_id=element,
            target_ids=[target for target, _ in targets],
            goal_id=goal,
        )
        for kind, element, targets, goal in items
    ]


@strawberry.type(description="One teacher's part of a swap.")
class TeacherSwap:
    counts: SwapCounts
    teacher_id: strawberry.Private[int]
    raw_items: strawberry.Private[list[tuple[str, int, list[tuple[int, str]], int | None]]]

    @strawberry.field
    async def teacher(self, info: Info) -> LazyTeacher | None:
        return await NODE_LOADERS["Teacher"](info, self.teacher_id)

    @strawberry.field(
        description="Each item and what it maps to; only the teacher sees these (others see the "
        "counts: a draft goal or a private self-assessment is the teacher's)."
    )
    def items(self, info: Info) -> list[SwapItem] | None:
        if info.context.actor.user_id != self.teacher_id:
            return None
        return _items(self.raw_items)

    @strawberry.field(description="What did not map (the teacher's eyes only, like items).")
    def unmapped(self, info: Info) -> list[SwapItem] | None:
        if info.context.actor.user_id != self.teacher_id:
            return None
        return [item for item in _items(self.raw_items) if not item.target_ids]


def _teacher_swaps(
    teacher_ids: list[int], items: list[tuple[int, str, int, list[tuple[int, str]], int | None]]
) -> list[TeacherSwap]:
    by_teacher: dict[int, list[tuple[str, int, list[tuple[int, str]], int | None]]] = {
        teacher: [] for teacher in teacher_ids
    }
    for teacher, kind, element, targets, goal in items:
        by_teacher.setdefault(teacher, []).append((kind, element, targets, goal))
    swaps = []
    for teacher, own in sorted(by_teacher.items()):
        counts = {f"{k}_{s}": 0 for k in service.KINDS for s in ("mapped", "unmapped")}
        for kind, _, targets, _ in own:
            counts[f"{kind}_{'mapped' if targets else 'unmapped'}"] += 1
        swaps.append(TeacherSwap(counts=SwapCounts.of(counts), teacher_id=teacher, raw_items=own))
    return swaps


@strawberry.type(
    description="What a switch of the district's framework does (preview) or did: per teacher "
    "and in total, the focus elements, open goals' elements and latest ratings that map to the "
    "new framework through the crosswalk, and those that do not."
)
class FrameworkSwapReport:
    preview: bool
    totals: SwapCounts
    from_id: strawberry.Private[int | None]
    to_id: strawberry.Private[int]
    all_teachers: strawberry.Private[list[TeacherSwap]]

    @strawberry.field(name="from")
    async def from_framework(self, info: Info) -> Framework | None:
        return None if self.from_id is None else await NODE_LOADERS["Framework"](info, self.from_id)

    @strawberry.field(name="to")
    async def to_framework(self, info: Info) -> Framework | None:
        return await NODE_LOADERS["Framework"](info, self.to_id)

    @strawberry.field(description="Per teacher, in id order.")
    def teachers(self, first: int = 50, after: str | None = None) -> Connection[TeacherSwap]:
        check_first(first)
        start = decode_cursor(after) if after else -1
        rest = [swap for swap in self.all_teachers if swap.teacher_id > start]
        shown = rest[:first]
        edges = [Edge(cursor=encode_cursor(swap.teacher_id), node=swap) for swap in shown]
        page = Page(shown, len(rest) > first, select(literal(len(self.all_teachers))))
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page, end_cursor=edges[-1].cursor if edges else None
            ),
            _page=page,
        )

    @classmethod
    def of_plan(cls, plan: SwapPlan, preview: bool, teachers: list[int]) -> FrameworkSwapReport:
        def raw(item: Item) -> tuple[int, str, int, list[tuple[int, str]], int | None]:
            targets = [(m.to_id, m.relation) for m in item.targets]
            return (item.teacher_id, item.kind, item.from_element_id, targets, item.goal_id)

        shown = set(teachers)
        return cls(
            preview=preview,
            totals=SwapCounts.of(plan.counts()),
            from_id=plan.from_framework.id if plan.from_framework else None,
            to_id=plan.to_framework.id,
            all_teachers=_teacher_swaps(
                [t for t in plan.teacher_ids if t in shown],
                [raw(item) for item in plan.items if item.teacher_id in shown],
            ),
        )

    @classmethod
    def of_record(
        cls, swap: models.FrameworkSwap, rows: list[models.FrameworkSwapItem], teachers: list[int]
    ) -> FrameworkSwapReport:
        grouped: dict[tuple[int, str, int, int | None], list[tuple[int, str]]] = {}
        for row in rows:
            targets = grouped.setdefault(
                (row.teacher_id, row.kind, row.from_element_id, row.goal_id), []
            )
            if row.to_element_id is not None:
                targets.append((row.to_element_id, row.relation))
        totals = {key: int(value) for key, value in swap.totals.items()}  # type: ignore[call-overload]
        return cls(
            preview=False,
            totals=SwapCounts.of(totals),
            from_id=swap.from_framework_id,
            to_id=swap.to_framework_id,
            all_teachers=_teacher_swaps(
                teachers,
                [(t, k, e, targets, g) for (t, k, e, g), targets in grouped.items()],
            ),
        )


@strawberry.input
class ActivateFrameworkInput:
    key: str = strawberry.field(description="The framework to make the district's active one.")
    preview: bool = strawberry.field(
        default=False, description="Only say what the switch would do; change nothing."
    )


@strawberry.type
class ActivateFrameworkPayload:
    district: LazyDistrict | None
    swap: FrameworkSwapReport | None = strawberry.field(
        description="What the switch does (preview) or did; null when the framework was active."
    )
    user_errors: list[UserError]


@strawberry.type
class Query:
    @strawberry.field(
        description="The district's latest framework switch: a district admin sees every "
        "teacher's counts, a teacher their own part with what did not map."
    )
    async def framework_swap(self, info: Info) -> FrameworkSwapReport | None:
        actor = info.context.actor

        async def read(
            session: AsyncSession, _actor: object
        ) -> tuple[models.FrameworkSwap, list[models.FrameworkSwapItem], list[int]] | None:
            found = await service.latest_swap(session, actor.district_id)
            if found is None:
                return None
            teachers = await service.swap_teachers(session, actor, found)
            rows = await service.swap_items(session, found.id, teachers)
            return found, rows, teachers

        result = await info.context.read(read)
        return None if result is None else FrameworkSwapReport.of_record(*result)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="A district admin makes a framework the district's active one. With "
        "preview: true it only answers what the switch would do. The switch carries every "
        "teacher's focus elements and open goals over through the crosswalk and lists what does "
        "not map; ratings, evidence and training stay as they were and keep counting through "
        "the crosswalk."
    )
    async def activate_framework(
        self,
        info: Info,
        input: ActivateFrameworkInput | None = None,
        key: Annotated[
            str | None,
            strawberry.argument(deprecation_reason="Use input: {key, preview}."),
        ] = None,
    ) -> ActivateFrameworkPayload:
        actor = info.context.actor
        chosen = input.key if input is not None else key
        preview = input.preview if input is not None else False
        field = ("input", "key") if input is not None else ("key",)
        if chosen is None:
            return ActivateFrameworkPayload(
                district=None,
                swap=None,
                user_errors=[
                    UserError(field=["input", "key"], message="give a key", code="REQUIRED")
                ],
            )

        async def work(session: AsyncSession) -> tuple[models.District, SwapPlan, bool]:
            if preview:
                plan = await service.plan_swap(session, actor, chosen, field)
                return await session.get_one(models.District, actor.district_id), plan, False
            district, plan, done = await service.activate(session, actor, chosen, field)
            return district, plan, done is not None

        result, errors = await run_mutation(info, work)
        if result is None:
            return ActivateFrameworkPayload(district=None, swap=None, user_errors=errors)
        district, plan, switched = result
        from mypd_graph.schema.people.district import District

        report = None
        if preview or switched:
            report = FrameworkSwapReport.of_plan(plan, preview, plan.teacher_ids)
        return ActivateFrameworkPayload(
            district=District.from_row(district), swap=report, user_errors=[]
        )
