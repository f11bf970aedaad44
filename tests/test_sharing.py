"""Teacher-controlled sharing beyond the matrix: who sets an audience, the district's settings,
needs explanations, returned plans, district views and the demo (docs/privacy.md, "Who sees what").

Every test runs over GraphQL HTTP from the district's defaults (evidence, self-assessments,
reflections and growth profiles shared with COACH; coaching and evaluations kept apart).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.demo import load_demo
from mypd_graph.schema.relay import to_global_id
from tests.factories import ADMIN, COACH, PRINCIPAL_NORTH, TEACHER_A, TEACHER_B, World
from tests.plans_helpers import Api, ok
from tests.plans_helpers import api as api  # the fixture, found by its name

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase

ERRORS = "userErrors { field code }"


async def run(client: GraphQLClient, name: str, input: dict[str, Any], result: str, as_: str):
    """A mutation's payload: ``result`` (its fields) and userErrors."""
    input_type = name[0].upper() + name[1:] + "Input"
    query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {result} {ERRORS} }} }}"
    return (await client.execute(query, {"input": input}, as_=as_))[name]


async def node(client: GraphQLClient, global_id: str, as_: str, fields: str = "id") -> Any:
    query = "query($id: ID!) { node(id: $id) { " + fields + " } }"
    return (await client.execute(query, {"id": global_id}, as_=as_))["node"]


async def add_evidence(client: GraphQLClient, **more: Any) -> dict[str, Any]:
    input = {"kind": "REFLECTION", "title": "Private: I struggled this week"} | more
    payload = await run(client, "addEvidence", input, "evidence { id audience }", TEACHER_A)
    assert payload["userErrors"] == []
    return payload["evidence"]


def teacher(world: World, email: str = TEACHER_A) -> str:
    return to_global_id("Teacher", world.id(email))


# --- who sets an audience -----------------------------------------------------------------------


async def test_evidence_takes_the_district_default_and_only_its_teacher_changes_it(
    client: GraphQLClient, world: World
) -> None:
    evidence = await add_evidence(client)
    assert evidence["audience"] == "COACH"  # the default district default
    assert await node(client, evidence["id"], PRINCIPAL_NORTH) is None
    for who in (COACH, PRINCIPAL_NORTH, ADMIN):
        payload = await run(
            client,
            "updateEvidence",
            {"evidenceId": evidence["id"], "audience": "SUPERVISORS"},
            "evidence { id }",
            who,
        )
        assert payload["evidence"] is None and payload["userErrors"][0]["code"] == "FORBIDDEN"
    assert await node(client, evidence["id"], PRINCIPAL_NORTH) is None
    payload = await run(
        client,
        "updateEvidence",
        {"evidenceId": evidence["id"], "audience": "SUPERVISORS"},
        "evidence { audience }",
        TEACHER_A,
    )
    assert payload["evidence"] == {"audience": "SUPERVISORS"}
    assert await node(client, evidence["id"], PRINCIPAL_NORTH) == {"id": evidence["id"]}
    payload = await run(
        client,
        "updatePersonalizationSettings",
        {"sharing": {"defaultAudience": "PRIVATE"}},
        "settings { sharing { defaultAudience } }",
        ADMIN,
    )
    assert payload["settings"]["sharing"] == {"defaultAudience": "PRIVATE"}
    assert (await add_evidence(client))["audience"] == "PRIVATE"
    assert (await add_evidence(client, audience="COACH"))["audience"] == "COACH"


async def test_only_admins_change_the_sharing_settings(client: GraphQLClient) -> None:
    for who in (TEACHER_A, COACH, PRINCIPAL_NORTH):
        payload = await run(
            client,
            "updatePersonalizationSettings",
            {"sharing": {"coachingSharedWithSupervisors": True}},
            "settings { minimumGroupSize }",
            who,
        )
        assert payload["userErrors"][0]["code"] == "FORBIDDEN"
    query = "{ district { personalizationSettings { sharing { defaultAudience "
    query += "coachingSharedWithSupervisors evaluationsSharedWithCoaches } } } }"
    sharing = (await client.execute(query, as_=TEACHER_A))["district"]["personalizationSettings"]
    assert sharing["sharing"] == {
        "defaultAudience": "COACH",
        "coachingSharedWithSupervisors": False,
        "evaluationsSharedWithCoaches": False,
    }


async def test_a_resubmitted_self_assessment_keeps_its_audience(client: GraphQLClient) -> None:
    fields = "selfAssessment { id audience }"
    ratings = [{"elementCode": "1.1", "level": "emerging"}]
    first = await run(
        client,
        "submitSelfAssessment",
        {"cycle": "2025-26", "ratings": ratings, "audience": "PRIVATE"},
        fields,
        TEACHER_A,
    )
    again = await run(
        client, "submitSelfAssessment", {"cycle": "2025-26", "ratings": ratings}, fields, TEACHER_A
    )
    assert again["selfAssessment"] == first["selfAssessment"] | {"audience": "PRIVATE"}
    assert await node(client, first["selfAssessment"]["id"], COACH) is None


async def test_only_the_teacher_sets_their_growth_profile_audience(
    client: GraphQLClient,
) -> None:
    mutation = "growthProfileAudience { chosen effective }"
    for who in (COACH, PRINCIPAL_NORTH, ADMIN):
        payload = await run(
            client, "setGrowthProfileAudience", {"audience": "SUPERVISORS"}, mutation, who
        )
        assert payload["growthProfileAudience"] is None
        assert payload["userErrors"][0]["code"] == "FORBIDDEN"
    query = "{ myGrowthProfileAudience { chosen effective } }"
    mine = (await client.execute(query, as_=TEACHER_A))["myGrowthProfileAudience"]
    assert mine == {"chosen": None, "effective": "COACH"}
    payload = await run(
        client, "setGrowthProfileAudience", {"audience": "PRIVATE"}, mutation, TEACHER_A
    )
    assert payload["growthProfileAudience"] == {"chosen": "PRIVATE", "effective": "PRIVATE"}
    payload = await run(client, "setGrowthProfileAudience", {"audience": None}, mutation, TEACHER_A)
    assert payload["growthProfileAudience"] == {"chosen": None, "effective": "COACH"}


async def test_only_the_teacher_shares_a_reflection(api: Api, client: GraphQLClient) -> None:
    plan = await api.new_plan(TEACHER_A)
    step = await api.new_step(await api.new_goal(plan))
    ok(await api.move("submitPlan", plan, TEACHER_A), "plan")
    ok(await api.move("approvePlan", plan, COACH), "plan")  # reflections are written once approved
    fields = "actionStep { reflection reflectionAudience }"
    written = await run(
        client,
        "updateActionStep",
        {"actionStepId": step, "reflection": "Too fast."},
        fields,
        TEACHER_A,
    )
    assert written["actionStep"] == {"reflection": "Too fast.", "reflectionAudience": "COACH"}
    step_fields = "... on ActionStep { description reflection }"
    assert (await node(client, step, PRINCIPAL_NORTH, step_fields))["reflection"] == ""
    assert (await node(client, step, COACH, step_fields))["reflection"] == "Too fast."
    refused = await run(
        client,
        "updateActionStep",
        {"actionStepId": step, "reflectionAudience": "SUPERVISORS"},
        fields,
        COACH,
    )
    assert refused["userErrors"][0]["code"] == "FORBIDDEN"
    shared = await run(
        client,
        "updateActionStep",
        {"actionStepId": step, "reflectionAudience": "SUPERVISORS"},
        fields,
        TEACHER_A,
    )
    assert shared["userErrors"] == []
    assert (await node(client, step, PRINCIPAL_NORTH, step_fields))["reflection"] == "Too fast."


# --- the district's rules for what the teacher does not write ------------------------------------


async def test_a_district_may_open_coaching_to_supervisors_and_evaluations_to_coaches(
    client: GraphQLClient, world: World
) -> None:
    observation = {"teacherId": teacher(world), "observedOn": "2025-10-01", "notes": "Seen."}
    ids = {}
    for kind, observer in (("COACHING", COACH), ("WALKTHROUGH", PRINCIPAL_NORTH)):
        payload = await run(
            client,
            "recordObservation",
            observation | {"kind": kind},
            "observation { id }",
            observer,
        )
        ids[kind] = payload["observation"]["id"]
    evidence = await add_evidence(client, audience="SUPERVISORS")
    note = await run(
        client,
        "addComment",
        {"evidenceId": evidence["id"], "body": "Let's try it together."},
        "comment { id }",
        COACH,
    )
    coaching = [ids["COACHING"], note["comment"]["id"]]
    assert [await node(client, i, PRINCIPAL_NORTH) for i in coaching] == [None, None]
    assert await node(client, ids["WALKTHROUGH"], COACH) is None

    await run(
        client,
        "updatePersonalizationSettings",
        {"sharing": {"coachingSharedWithSupervisors": True}},
        "settings { minimumGroupSize }",
        ADMIN,
    )
    assert all([await node(client, i, PRINCIPAL_NORTH) for i in coaching])
    assert await node(client, ids["WALKTHROUGH"], COACH) is None
    await run(
        client,
        "updatePersonalizationSettings",
        {"sharing": {"evaluationsSharedWithCoaches": True}},
        "settings { minimumGroupSize }",
        ADMIN,
    )
    assert await node(client, ids["WALKTHROUGH"], COACH) == {"id": ids["WALKTHROUGH"]}


async def test_a_returned_plan_stays_with_its_approvers(api: Api) -> None:
    plan = await api.submitted_plan(TEACHER_A)
    ok(await api.move("returnPlan", plan, COACH, "Add a measure."), "plan")
    assert await api.node(plan, COACH) == {"id": plan, "status": "DRAFT"}
    assert await api.node(plan, PRINCIPAL_NORTH) == {"id": plan, "status": "DRAFT"}
    assert await api.node(await api.new_plan(TEACHER_A, "2027-28"), COACH) is None


DRAFTS = """{ district {
  drafts: teachers(where: {planStatus: DRAFT}) { nodes { name } }
  cycle: teachers(where: {planCycle: "2026-27"}) { nodes { name } } } }"""


async def test_filters_on_plans_never_reveal_an_unsubmitted_draft(api: Api) -> None:
    """Filtering teachers by plan status or cycle counts only plans the viewer may read: a
    supervisor must not learn, through a filter, who has a draft they were never shown."""
    plan = await api.new_plan(TEACHER_A)
    for viewer in (COACH, PRINCIPAL_NORTH, ADMIN):
        found = (await api.client.execute(DRAFTS, as_=viewer))["district"]
        assert found == {"drafts": {"nodes": []}, "cycle": {"nodes": []}}, viewer
    own = (await api.client.execute(DRAFTS, as_=TEACHER_A))["district"]
    assert len(own["drafts"]["nodes"]) == len(own["cycle"]["nodes"]) == 1
    await api.new_goal(plan, TEACHER_A)
    ok(await api.move("submitPlan", plan, TEACHER_A), "plan")
    for viewer in (COACH, PRINCIPAL_NORTH, ADMIN):
        found = (await api.client.execute(DRAFTS, as_=viewer))["district"]
        assert len(found["cycle"]["nodes"]) == 1 and found["drafts"]["nodes"] == [], viewer


# --- needs and district views -------------------------------------------------------------------

NEEDS = """query($id: ID!) { teacher(id: $id) { needs(first: 40, includeUnscored: true) {
  element { code } selfRating { cycle } observedRating { kind }
  signals { kind value evidence missingReason } } } }"""


async def needs_of(client: GraphQLClient, world: World, viewer: str) -> dict[str, Any]:
    found = (await client.execute(NEEDS, {"id": teacher(world)}, as_=viewer))["teacher"]
    return {need["element"]["code"]: need for need in (found or {"needs": []})["needs"]}


async def test_a_supervisors_view_of_needs_never_uses_what_they_may_not_see(
    client: GraphQLClient, world: World
) -> None:
    await run(
        client,
        "submitSelfAssessment",
        {"cycle": "2025-26", "ratings": [{"elementCode": "1.1", "level": "emerging"}]},
        "selfAssessment { id }",
        TEACHER_A,
    )  # shared with COACH, the default
    await run(
        client,
        "recordObservation",
        {
            "teacherId": teacher(world),
            "kind": "COACHING",
            "observedOn": "2025-10-01",
            "ratings": [{"elementCode": "1.1", "level": "exploring"}],
        },
        "observation { id }",
        COACH,
    )
    assert await needs_of(client, world, PRINCIPAL_NORTH) == {}  # the profile is not shared
    await run(
        client,
        "setGrowthProfileAudience",
        {"audience": "SUPERVISORS"},
        "growthProfileAudience { effective }",
        TEACHER_A,
    )
    coach = (await needs_of(client, world, COACH))["1.1"]
    assert coach["selfRating"] == {"cycle": "2025-26"}
    assert coach["observedRating"] == {"kind": "coaching"}
    principal = (await needs_of(client, world, PRINCIPAL_NORTH))["1.1"]
    assert principal["selfRating"] is None and principal["observedRating"] is None
    by_kind = {signal["kind"]: signal for signal in principal["signals"]}
    assert by_kind["SELF_ASSESSMENT"]["value"] is None
    assert by_kind["SELF_ASSESSMENT"]["missingReason"] == (
        "1.1 is not rated in any self-assessment you may see"
    )
    assert by_kind["OBSERVATION"]["value"] is None
    words = " ".join(" ".join(s["evidence"]) for s in principal["signals"])
    assert "self-rated" not in words and "coaching" not in words
    growth = """query($id: ID!) { teacher(id: $id) { growth { elements { element { code }
      selfLevels { when } observedLevels { when } } } } }"""
    seen = (await client.execute(growth, {"id": teacher(world)}, as_=PRINCIPAL_NORTH))["teacher"]
    assert seen["growth"]["elements"] == []


DISTRIBUTION = """{ district { insights { ratingDistribution {
  element { code } school { code } selfLevels { level { key } teachers } } } } }"""


async def test_district_views_count_private_ratings_only_over_the_minimum_group_size(
    client: GraphQLClient, db: TestDatabase
) -> None:
    for email, audience in ((TEACHER_A, "PRIVATE"), (TEACHER_B, "SUPERVISORS")):
        await run(
            client,
            "submitSelfAssessment",
            {
                "cycle": "2025-26",
                "ratings": [{"elementCode": "1.1", "level": "emerging"}],
                "audience": audience,
            },
            "selfAssessment { id }",
            email,
        )

    async def counted() -> int:
        rows = (await client.execute(DISTRIBUTION, as_=PRINCIPAL_NORTH))["district"]["insights"]
        return sum(level["teachers"] for row in rows["ratingDistribution"]
                   for level in row["selfLevels"])  # fmt: skip

    assert await counted() == 1  # two teachers rated: a small group, only B's shared rating
    await run(
        client,
        "updatePersonalizationSettings",
        {"minimumGroupSize": 2},
        "settings { minimumGroupSize }",
        ADMIN,
    )
    assert await counted() == 2  # the group reaches the minimum: A's private rating counts


# --- the demo -----------------------------------------------------------------------------------


async def test_the_demo_shows_a_private_item_and_a_shared_one(db: TestDatabase, client) -> None:
    async with db.sessionmaker.begin() as session:
        await load_demo(session)
        users = {user.email: user.id for user in await session.scalars(select(models.User))}
        elena = users["elena.ramirez@demo.mypd.test"]
    client.world.user_ids.update(users)
    query = """query($id: ID!) { teacher(id: $id) { evidence { title audience } } }"""
    variables = {"id": to_global_id("Teacher", elena)}

    async def titles(viewer: str) -> dict[str, str]:
        found = (await client.execute(query, variables, as_=viewer))["teacher"]["evidence"]
        return {item["title"]: item["audience"] for item in found}

    private, shared = (
        "Private: I struggled this week",
        "Shared: exit tickets before and after hinge questions",
    )
    mine = await titles("elena.ramirez@demo.mypd.test")
    assert (mine[private], mine[shared]) == ("PRIVATE", "SUPERVISORS")
    principal = await titles("robert.nakamura@demo.mypd.test")
    assert shared in principal and private not in principal
    coach = await titles("david.chen@demo.mypd.test")
    assert private not in coach and shared in coach


async def test_staff_who_teach_read_every_comment_on_their_own_record(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    """A principal with a teacher profile is a teacher for their own record: their coach's
    comment on their evidence is theirs to read, though a coach's comment is hidden from
    principals as evaluators."""
    async with db.sessionmaker.begin() as session:
        principal = world.id(PRINCIPAL_NORTH)
        session.add(models.TeacherProfile(user_id=principal, school_id=world.school_ids["N"]))
        session.add(models.CoachAssignment(coach_id=world.id(COACH), teacher_id=principal))
    payload = await run(
        client,
        "addEvidence",
        {"kind": "REFLECTION", "title": "My own practice"},
        "evidence { id }",
        PRINCIPAL_NORTH,
    )
    evidence = payload["evidence"]["id"]
    note = await run(
        client, "addComment", {"evidenceId": evidence, "body": "Nice"}, "comment { id }", COACH
    )
    comment = note["comment"]["id"]
    assert await node(client, comment, PRINCIPAL_NORTH) == {"id": comment}
    assert await node(client, comment, ADMIN) is None  # the admin is an evaluator here
