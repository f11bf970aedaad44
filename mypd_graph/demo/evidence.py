"""Evidence teachers attach to their goals, and the comments on goals, evidence and observations
by their approvers, principals and the teachers themselves.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mypd_graph import models
from mypd_graph.demo.basics import (
    APPROVED,
    AS_OF,
    COMPLETED,
    DEMO_TEACHER_EMAIL,
    DRAFT,
    SUBMITTED,
    at_utc,
    insert_all,
    insert_rows,
    school_day,
)
from mypd_graph.demo.plans import PlanGoals, approver
from mypd_graph.demo.practice import FOCUS_BY_CODE
from mypd_graph.demo.state import Build
from mypd_graph.models.growth import Audience

EVIDENCE_TEMPLATES = (
    ("artifact", "Lesson plan: {focus}",
     "Annotated lesson plan showing where I planned for {focus}.", ""),
    ("reflection", "Reflection on {focus}",
     "What I tried, what students did, and what I will change next time.", ""),
    ("student_work", "Student work samples: {focus}",
     "Three samples (above, at and below the target) with my notes on next steps.", ""),
    ("link", "Classroom video clip: {focus}",
     "A six-minute clip from my classroom, shared with my coach.",
     "https://video.demo.mypd.test/clips/{n}"),
    ("file", "Formative assessment results: {focus}",
     "Exit-ticket results before and after the change.",
     "https://files.demo.mypd.test/evidence/{n}.pdf"),
)  # fmt: skip


GOAL_COMMENTS = (
    "Love this focus. Let's look at your exit tickets together at our next meeting.",
    "Strong goal. Can you name the data you'll use to know it worked?",
    "This connects well with the site plan; I'll send you two resources.",
)
EVIDENCE_COMMENTS = (
    "Great evidence. The student samples make your next steps very clear.",
    "Thanks for sharing this; please bring it to the next PLC so others can learn from it.",
    "Nice progress since the fall. What did students say about the change?",
)
OBSERVATION_REPLIES = (
    "Thank you for the feedback. I'll try the hinge question idea this week.",
    "Appreciated the debrief; I've added the next step to my plan.",
)


async def insert_evidence_and_comments(build: Build, goals: PlanGoals) -> None:
    """Evidence on the plans' goals, then comments on goals, evidence and observations."""
    goal_ids, goal_rows, goal_meta = goals
    rng = build.rng
    per_status = {DRAFT: (0, 0), SUBMITTED: (0, 1), APPROVED: (1, 2), COMPLETED: (2, 3)}
    evidence_rows: list[dict[str, Any]] = []
    evidence_links: list[tuple[int, list[str]]] = []
    for goal_id, goal, (teacher, codes, _) in zip(goal_ids, goal_rows, goal_meta, strict=True):
        low, high = per_status[teacher.seed.plan]
        if teacher.email == DEMO_TEACHER_EMAIL:
            low = max(low, 1)
        for _ in range(rng.randint(low, high)):
            kind, title, body, url = rng.choice(EVIDENCE_TEMPLATES)
            short = FOCUS_BY_CODE[codes[0]].short
            last_day = AS_OF - timedelta(days=7)  # leaves a week for comments
            day = school_day(rng, goal["created_at"].date() + timedelta(days=20), last_day)
            created = at_utc(day, 23, rng.randrange(60))
            evidence_rows.append(
                {
                    "teacher_id": teacher.id,
                    "kind": kind,
                    "title": title.format(focus=short),
                    "body": body.format(focus=short),
                    "url": url.format(n=1000 + len(evidence_rows)),
                    "created_at": created,
                    "updated_at": created,
                }
            )
            evidence_links.append((goal_id, codes))
    evidence_ids = await insert_rows(build.session, models.Evidence, evidence_rows)
    await insert_all(
        build.session,
        models.EvidenceElement,
        [
            {"evidence_id": evidence_id, "element_id": build.element_ids[code]}
            for evidence_id, (_, codes) in zip(evidence_ids, evidence_links, strict=True)
            for code in codes
        ],
    )
    await insert_all(
        build.session,
        models.EvidenceGoal,
        [
            {"evidence_id": evidence_id, "goal_id": goal_id}
            for evidence_id, (goal_id, _) in zip(evidence_ids, evidence_links, strict=True)
        ],
    )
    build.counts["evidence"] = len(evidence_ids)

    comments: list[dict[str, Any]] = []
    teacher_of_goal = {goal_id: meta[0] for goal_id, meta in zip(goal_ids, goal_meta, strict=True)}
    for goal_id, (teacher, _, approved) in zip(goal_ids, goal_meta, strict=True):
        if approved is not None and rng.random() < 0.35:
            at = approved + timedelta(days=rng.randint(3, 30))
            comments.append(
                _comment(build, approver(build, teacher), rng.choice(GOAL_COMMENTS), at,
                         goal_id=goal_id)
            )  # fmt: skip
    for evidence_id, evidence, (goal_id, _) in zip(
        evidence_ids, evidence_rows, evidence_links, strict=True
    ):
        teacher = teacher_of_goal[goal_id]
        if rng.random() < 0.3:
            author = build.principal_of[teacher.seed.school]
            at = evidence["created_at"] + timedelta(days=rng.randint(1, 6))
            comments.append(
                _comment(build, author, rng.choice(EVIDENCE_COMMENTS), at, evidence_id=evidence_id)
            )
    for name, observations in build.observations_of.items():
        teacher = build.teachers[name]
        for observation_id, day in observations:
            if teacher.active and rng.random() < 0.15:
                at = at_utc(day + timedelta(days=rng.randint(1, 4)), 4, rng.randrange(60))
                comments.append(
                    _comment(build, teacher.email, rng.choice(OBSERVATION_REPLIES), at,
                             observation_id=observation_id)
                )  # fmt: skip
    await insert_all(build.session, models.Comment, comments)
    build.counts["comments"] = len(comments)
    build.counts["evidence"] += await _insert_shared_and_private(build)


async def _insert_shared_and_private(build: Build) -> int:
    """Two items of Elena's that show sharing (docs/privacy.md): one she keeps to herself, one she
    shares with her principal; the rest of the demo's evidence has the district's default
    audience (COACH). Added last, so no other row of the demo changes."""
    teacher = build.user_ids[DEMO_TEACHER_EMAIL]
    day = AS_OF - timedelta(days=3)
    rows = [
        {
            "teacher_id": teacher,
            "kind": "reflection",
            "title": "Private: I struggled this week",
            "body": "The new seating chart broke my routines. Try again Monday before asking.",
            "url": "",
            "audience": Audience.PRIVATE.value,
            "created_at": at_utc(day, 22, 5),
            "updated_at": at_utc(day, 22, 5),
        },
        {
            "teacher_id": teacher,
            "kind": "student_work",
            "title": "Shared: exit tickets before and after hinge questions",
            "body": "Twelve of twenty-six correct before, twenty-one after. Shared with my principal.",
            "url": "",
            "audience": Audience.SUPERVISORS.value,
            "created_at": at_utc(day, 22, 40),
            "updated_at": at_utc(day, 22, 40),
        },
    ]
    return len(await insert_rows(build.session, models.Evidence, rows))


def _comment(build: Build, author: str, body: str, at: datetime, **target: int) -> dict[str, Any]:
    row: dict[str, Any] = {"evidence_id": None, "goal_id": None, "observation_id": None}
    row.update(target)
    return {"author_id": build.user_ids[author], "body": body, "created_at": at, **row}
