"""Switching a district to another framework without losing anyone's history.

:func:`plan_swap` answers what a switch would do, per teacher and in total: which focus elements,
open goals' elements and latest ratings map to the new framework through the crosswalk
(:mod:`.crosswalks`) and which do not. :func:`activate` does exactly that plan: focus elements and
open goals' elements move to the elements they map to; what does not map stays as it was on the
goal (a goal never loses its subject) or, for a focus element, is listed for the teacher in the
swap's record (``framework_swap_item``) instead of staying in a focus set it no longer belongs to.
Ratings, evidence and training are history: never changed; needs read them through the crosswalk.
The preview and the switch run the same function, so the numbers agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    AuditEvent,
    District,
    FocusElement,
    Framework,
    FrameworkSwap,
    FrameworkSwapItem,
    Goal,
    GoalElement,
    LearningPlan,
    Observation,
    ObservationRating,
    PlanStatus,
    RatingLevel,
    Role,
    SelfAssessment,
    SelfAssessmentRating,
    Standard,
    TeacherProfile,
    User,
)
from mypd_graph.services.access import Actor
from mypd_graph.services.errors import PermissionDenied, invalid
from mypd_graph.services.frameworks.crosswalks import Mapping, mappings_into

KINDS = ("focus", "goal", "self_rating", "observed_rating")
OPERATOR_ID = 0  # services.people.admin.OPERATOR_ID: the command line's operator, not a user


@dataclass(frozen=True, slots=True)
class Item:
    """One focus element, goal element or latest rating, and what it maps to (none: unmapped)."""

    kind: str
    teacher_id: int
    from_element_id: int
    targets: tuple[Mapping, ...]
    goal_id: int | None = None

    @property
    def mapped(self) -> bool:
        return bool(self.targets)


@dataclass
class SwapPlan:
    district_id: int
    from_framework: Framework | None
    to_framework: Framework
    items: list[Item] = field(default_factory=list)
    teacher_ids: list[int] = field(default_factory=list)

    def counts(self, teacher_id: int | None = None) -> dict[str, int]:
        """``{kind_mapped, kind_unmapped}`` for every kind, of one teacher or of all."""
        found = {f"{kind}_{state}": 0 for kind in KINDS for state in ("mapped", "unmapped")}
        for item in self.items:
            if teacher_id is None or item.teacher_id == teacher_id:
                found[f"{item.kind}_{'mapped' if item.mapped else 'unmapped'}"] += 1
        return found

    def of_teacher(self, teacher_id: int) -> list[Item]:
        return [item for item in self.items if item.teacher_id == teacher_id]


async def _framework(
    session: AsyncSession, actor: Actor, key: str, field: tuple[str, ...]
) -> Framework:
    if not actor.is_district_admin:
        raise PermissionDenied("only a district admin may change the active framework")
    framework = await session.scalar(select(Framework).where(Framework.key == key))
    if framework is None:
        raise invalid(
            field,
            f"no framework with key {key!r}; see the frameworks query",
            "NOT_FOUND",
        )
    return framework


async def plan_swap(
    session: AsyncSession, actor: Actor, key: str, field: tuple[str, ...] = ("input", "key")
) -> SwapPlan:
    """What activating ``key`` would do in the actor's district (district admins only)."""
    target = await _framework(session, actor, key, field)
    district = await session.get_one(District, actor.district_id)
    current = (
        await session.get(Framework, district.active_framework_id)
        if district.active_framework_id
        else None
    )
    plan = SwapPlan(district.id, current, target)
    teachers = (
        select(TeacherProfile.user_id)
        .join(User, User.id == TeacherProfile.user_id)
        .where(User.district_id == district.id)
    )
    plan.teacher_ids = sorted(await session.scalars(teachers))
    outside = Standard.framework_id != target.id
    focus = (
        await session.execute(
            select(FocusElement.teacher_id, FocusElement.element_id)
            .join(Standard, Standard.id == FocusElement.element_id)
            .where(FocusElement.teacher_id.in_(teachers), outside)
        )
    ).all()
    goals = (
        await session.execute(
            select(LearningPlan.teacher_id, GoalElement.element_id, Goal.id)
            .join(Goal, Goal.id == GoalElement.goal_id)
            .join(LearningPlan, LearningPlan.id == Goal.plan_id)
            .join(Standard, Standard.id == GoalElement.element_id)
            .where(
                LearningPlan.teacher_id.in_(teachers),
                LearningPlan.status != PlanStatus.COMPLETED.value,
                outside,
            )
        )
    ).all()
    # Latest ratings: one per teacher and element, whatever the number of cycles or visits.
    selfs = (
        await session.execute(
            select(SelfAssessment.teacher_id, SelfAssessmentRating.element_id)
            .join(SelfAssessment, SelfAssessment.id == SelfAssessmentRating.self_assessment_id)
            .join(Standard, Standard.id == SelfAssessmentRating.element_id)
            .where(SelfAssessment.teacher_id.in_(teachers), outside)
            .distinct()
        )
    ).all()
    observed = (
        await session.execute(
            select(Observation.teacher_id, ObservationRating.element_id)
            .join(Observation, Observation.id == ObservationRating.observation_id)
            .join(Standard, Standard.id == ObservationRating.element_id)
            .where(Observation.teacher_id.in_(teachers), outside)
            .distinct()
        )
    ).all()
    elements = {row[1] for rows in (focus, goals, selfs, observed) for row in rows}
    maps = await mappings_into(session, target.id, sorted(elements)) if elements else {}

    def targets(element_id: int) -> tuple[Mapping, ...]:
        found = maps.get(element_id, [])
        best = found[0].relation if found else None
        return tuple(m for m in found if m.relation == best)

    for kind, rows in (("focus", focus), ("self_rating", selfs), ("observed_rating", observed)):
        plan.items += [Item(kind, t, e, targets(e)) for t, e in sorted(rows)]
    plan.items += [Item("goal", t, e, targets(e), g) for t, e, g in sorted(goals)]
    return plan


async def activate(
    session: AsyncSession, actor: Actor, key: str, field: tuple[str, ...] = ("input", "key")
) -> tuple[District, SwapPlan, FrameworkSwap | None]:
    """Make ``key`` the district's active framework, carrying focus elements and open goals over
    through the crosswalk and recording what did not map. Activating the active one changes
    nothing (no swap is recorded)."""
    plan = await plan_swap(session, actor, key, field)
    district = await session.get_one(District, actor.district_id)
    if plan.from_framework is not None and plan.from_framework.id == plan.to_framework.id:
        return district, plan, None
    # Compare-and-set first: of two switches at once, one moves the district and the other is
    # told (on PostgreSQL the second waits for the first's row lock, then finds it changed).
    before = plan.from_framework.id if plan.from_framework else None
    moved = await session.execute(
        update(District)
        .where(
            District.id == district.id,
            District.active_framework_id.is_(None)
            if before is None
            else District.active_framework_id == before,
        )
        .values(active_framework_id=plan.to_framework.id)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise invalid(
            field,
            "the district's framework changed while this switch was prepared; preview again",
            "FRAMEWORK_CHANGED",
        )
    swap = FrameworkSwap(
        district_id=district.id,
        from_framework_id=plan.from_framework.id if plan.from_framework else None,
        to_framework_id=plan.to_framework.id,
        actor_id=None if actor.user_id == OPERATOR_ID else actor.user_id,
        totals=plan.counts(),
    )
    session.add(swap)
    await session.flush()
    await _carry_focus(session, plan)
    await _carry_goals(session, plan)
    session.add_all(
        FrameworkSwapItem(
            swap_id=swap.id,
            teacher_id=item.teacher_id,
            kind=item.kind,
            from_element_id=item.from_element_id,
            to_element_id=target.to_id if target else None,
            goal_id=item.goal_id,
            relation=target.relation if target else "",
        )
        for item in plan.items
        for target in (item.targets or (None,))
    )
    await session.refresh(district, ["active_framework_id"])
    _audit(session, actor, district, plan)
    await session.flush()
    return district, plan, swap


async def _carry_focus(session: AsyncSession, plan: SwapPlan) -> None:
    rows = {
        (row.teacher_id, row.element_id): row
        for row in await session.scalars(
            select(FocusElement).where(FocusElement.teacher_id.in_(plan.teacher_ids))
        )
    }
    have = defaultdict(set)
    for teacher, element in rows:
        have[teacher].add(element)
    for item in plan.items:
        if item.kind != "focus":
            continue
        row = rows.get((item.teacher_id, item.from_element_id))
        if row is not None:
            await session.delete(row)  # through the ORM: the teacher's record audits itself
        for target in item.targets:
            if target.to_id not in have[item.teacher_id]:
                have[item.teacher_id].add(target.to_id)
                session.add(FocusElement(teacher_id=item.teacher_id, element_id=target.to_id))
    await session.flush()


async def _carry_goals(session: AsyncSession, plan: SwapPlan) -> None:
    goal_ids = sorted({item.goal_id for item in plan.items if item.goal_id is not None})
    if not goal_ids:
        return
    rows = {
        (row.goal_id, row.element_id): row
        for row in await session.scalars(
            select(GoalElement).where(GoalElement.goal_id.in_(goal_ids))
        )
    }
    have = defaultdict(set)
    for goal, element in rows:
        have[goal].add(element)
    carried = set()
    for item in plan.items:
        if item.kind != "goal" or not item.targets or item.goal_id is None:
            continue
        carried.add(item.goal_id)
        row = rows.get((item.goal_id, item.from_element_id))
        if row is not None:
            await session.delete(row)
        for target in item.targets:
            if target.to_id not in have[item.goal_id]:
                have[item.goal_id].add(target.to_id)
                session.add(GoalElement(goal_id=item.goal_id, element_id=target.to_id))
    scale = list(
        await session.scalars(
            select(RatingLevel)
            .where(RatingLevel.framework_id == plan.to_framework.id)
            .order_by(RatingLevel.position)
        )
    )
    goals = list(await session.scalars(select(Goal).where(Goal.id.in_(sorted(carried)))))
    level_ids = {g.baseline_level_id for g in goals} | {g.target_level_id for g in goals}
    old = {
        row.id: row
        for row in await session.scalars(
            select(RatingLevel).where(RatingLevel.id.in_([i for i in level_ids if i]))
        )
    }
    counts: dict[int, int] = defaultdict(int)
    for row in await session.scalars(
        select(RatingLevel).where(
            RatingLevel.framework_id.in_({row.framework_id for row in old.values()})
        )
    ):
        counts[row.framework_id] += 1
    for goal in goals:
        for column in ("baseline_level_id", "target_level_id"):
            level = old.get(getattr(goal, column))
            if level is not None and level.framework_id != plan.to_framework.id and scale:
                position = scale_position(level.position, counts[level.framework_id], len(scale))
                setattr(goal, column, scale[position - 1].id)
    await session.flush()


def scale_position(position: int, size: int, new_size: int) -> int:
    """The level of a ``new_size`` scale at the same relative height as ``position`` of ``size``
    (lowest to lowest, highest to highest, halves rounded up)."""
    if size <= 1 or new_size <= 1:
        return 1
    position = min(max(position, 1), size)
    return int((position - 1) * (new_size - 1) / (size - 1) + 1.5)


def _audit(session: AsyncSession, actor: Actor, district: District, plan: SwapPlan) -> None:
    """The switch in the district's trail (teachers' focus and goal changes record themselves)."""
    totals = plan.counts()
    before = plan.from_framework.key if plan.from_framework else "none"
    words = ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in totals.items())
    by_operator = actor.user_id == OPERATOR_ID
    event = AuditEvent(
        user_id=None if by_operator else actor.user_id,
        district_id=district.id,
        action="update",
        entity="district",
        entity_ids=[str(district.id)],
        detail=f"active framework {before} -> {plan.to_framework.key}: {words}"
        + (" (by the operator)" if by_operator else ""),
    )
    if by_operator:
        event.actor_name, event.actor_role = "operator (command line)", "operator"
    session.add(event)


async def swap_teachers(session: AsyncSession, actor: Actor, swap: FrameworkSwap) -> list[int]:
    """Whose part of a swap the actor reads: a district admin every teacher's (as counts), a
    teacher their own; anyone else the totals only."""
    if actor.is_district_admin:
        return sorted(
            await session.scalars(
                select(FrameworkSwapItem.teacher_id)
                .where(FrameworkSwapItem.swap_id == swap.id)
                .distinct()
            )
        )
    if actor.role is Role.TEACHER:
        return [actor.user_id]
    return []


async def swap_items(
    session: AsyncSession, swap_id: int, teacher_ids: Sequence[int]
) -> list[FrameworkSwapItem]:
    return list(
        await session.scalars(
            select(FrameworkSwapItem)
            .where(
                FrameworkSwapItem.swap_id == swap_id,
                FrameworkSwapItem.teacher_id.in_(teacher_ids),
            )
            .order_by(FrameworkSwapItem.id)
        )
    )


async def latest_swap(session: AsyncSession, district_id: int) -> FrameworkSwap | None:
    return await session.scalar(
        select(FrameworkSwap)
        .where(FrameworkSwap.district_id == district_id)
        .order_by(FrameworkSwap.id.desc())
        .limit(1)
    )
