from tests.factories import ADMIN, TEACHER_A


async def test_viewer_and_framework(client):
    data = await client.execute(
        "{ viewer { name role teacher { name subjects } } "
        'framework(key: "cstp-2009") { name levels { key } standards { code elements { code } } } }',
        as_=TEACHER_A,
    )
    assert data["viewer"]["name"] == "Ana Alvarez"
    assert data["viewer"]["teacher"]["subjects"] == ["Math"]
    assert [level["key"] for level in data["framework"]["levels"]][0] == "emerging"


async def test_admin_sees_all_teachers(client):
    data = await client.execute(
        "{ district { teachers { totalCount nodes { name } } } }", as_=ADMIN
    )
    assert data["district"]["teachers"]["totalCount"] == 3
