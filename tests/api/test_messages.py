"""An exchange's conversation through the API: the same service as the page."""


def test_write_and_read_an_exchanges_conversation(api, world, tokens, mailbox):
    exchange = world.ids["exchange"]
    staff_a, admin_c, staff_b = api(tokens["staff_a"]), api(tokens["admin_c"]), api(tokens["staff_b"])
    written = staff_a.post(f"/api/v1/exchanges/{exchange}/messages", json={"body": "Is Tuesday good? <i>x</i>"})
    assert written.status_code == 201, written.json
    assert written.json["body"] == "Is Tuesday good? <i>x</i>" and written.json["member_id"] == world.ids["member_a"]
    told = [m for m in mailbox.messages if "admin.c.api" in m["To"]]
    assert told and "Tuesday" not in mailbox.body(told[-1])
    assert admin_c.post(f"/api/v1/exchanges/{exchange}/messages", json={"body": "Yes"}).status_code == 201
    read = admin_c.get(f"/api/v1/exchanges/{exchange}/messages").json
    assert [m["body"] for m in read["items"]] == ["Is Tuesday good? <i>x</i>", "Yes"] and read["total"] == 2

    for body, status in ((" ", 422), ("x" * 2001, 422), ("", 422)):
        refused = staff_a.post(f"/api/v1/exchanges/{exchange}/messages", json={"body": body})
        assert refused.status_code == status and refused.mimetype == "application/problem+json"
    assert staff_b.post(f"/api/v1/exchanges/{exchange}/messages", json={"body": "Hi"}).status_code == 404
    assert staff_b.get(f"/api/v1/exchanges/{exchange}/messages").status_code == 404
    assert admin_c.get(f"/api/v1/exchanges/{exchange}/messages").json["total"] == 2
    coordinator = api(tokens["coordinator_scope"])
    assert coordinator.post(f"/api/v1/exchanges/{exchange}/messages", json={"body": "Noted"}).json["member_id"] is None
    assert coordinator.get(f"/api/v1/exchanges/{exchange}/messages").json["total"] == 3


def test_many_messages_through_the_api_email_a_reader_once_until_they_read_the_thread(api, world, tokens, mailbox):
    exchange = world.ids["exchange"]
    staff_a, admin_c = api(tokens["staff_a"]), api(tokens["admin_c"])

    def emails():
        return len([m for m in mailbox.messages if "admin.c.api" in m["To"]])

    before = emails()
    for n in range(30):
        assert staff_a.post(f"/api/v1/exchanges/{exchange}/messages", json={"body": f"Message {n}"}).status_code == 201
    assert emails() == before + 1
    assert admin_c.get(f"/api/v1/exchanges/{exchange}/messages").json["total"] == 30
    staff_a.post(f"/api/v1/exchanges/{exchange}/messages", json={"body": "One more"})
    staff_a.post(f"/api/v1/exchanges/{exchange}/messages", json={"body": "And another"})
    assert emails() == before + 2
