"""Comments in the provider portal over real HTTP: masked, scoped, flagged, followed up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from comment_data import comment_on
from flask import Flask
from flask.testing import FlaskClient
from patient_pages import csrf_token, parse, structure_problems, text_of
from sqlalchemy import select
from staff import make_staff, sign_in, signed_in

from survey_app.auth.scope import Scope
from survey_app.extensions import db
from survey_app.models import AuditEvent, Comment, CommentFollowUp, Organisation, StaffUser
from survey_app.services.comments import CommentFilters, list_comments

OWN_WORDS = "Dr Patel was kind but nobody rang 07700 900123 back."
OWN_MASKED = "Dr [name] was kind but nobody rang [phone] back."
THEIR_WORDS = "Sister Okafor at Riverside was wonderful."


@dataclass(frozen=True)
class World:
    """Comments at two providers: RX1 (the user's own) and RY1 (someone else's)."""

    own: int
    own_empty: int
    own_unsent: int
    theirs: int


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        return World(
            own=comment_on("RX1", OWN_WORDS),
            own_empty=comment_on("RX1", ""),
            own_unsent=comment_on("RX1", "Half-way through, not sent", submitted=False),
            theirs=comment_on("RY1", THEIR_WORDS),
        )


@pytest.fixture
def own_user(app: Flask, world: World) -> FlaskClient:
    """A signed-in provider user of RX1."""
    staff = make_staff(app, role="provider", organisations=("RX1",))
    client = app.test_client()
    sign_in(client, staff.email, staff.password)
    return client


def flag(client: FlaskClient, org: str, comment_id: int, reason: str, *, token: bool = True):
    url = f"/provider/{org}/comments/{comment_id}/flag"
    data = {"reason": reason}
    if token:
        data["csrf_token"] = csrf_token(client.get(url))
    return client.post(url, data=data)


def stored(app: Flask, comment_id: int) -> Comment:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        db.session.expunge(comment)
        return comment


def test_provider_sees_only_its_own_sent_comments_and_only_masked(
    own_user: FlaskClient
) -> None:
    response = own_user.get("/provider/RX1/comments")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and structure_problems(response) == []
    page = parse(response)
    assert [text_of(p) for p in page.select(".nhsuk-card__description")] == [OWN_MASKED]
    assert "Patel" not in body and "07700" not in body  # never the raw words
    assert "Okafor" not in body and "Half-way" not in body  # not theirs, not unsent
    assert text_of(page.h1) == "Comments from patients"


def test_another_providers_comments_are_not_found_by_code_or_by_id(
    app: Flask, own_user: FlaskClient, world: World
) -> None:
    paths = ["/provider/RY1/comments", "/provider/RY1/comments/flagged",
             f"/provider/RY1/comments/{world.theirs}/flag",
             f"/provider/RX1/comments/{world.theirs}/flag",  # their id under our code
             f"/provider/RX1/comments/{world.own_unsent}/flag",  # never sent
             f"/provider/RX1/comments/{world.own_empty}/flag"]  # "no comment"
    for path in paths:
        response = own_user.get(path)
        assert response.status_code == 404, path
        assert "Okafor" not in response.get_data(as_text=True)
    assert flag(own_user, "RX1", world.own, "x").status_code == 302  # a token to reuse
    token = csrf_token(own_user.get(f"/provider/RX1/comments/{world.own}/flag"))
    for path in (f"/provider/RX1/comments/{world.theirs}/flag",
                 f"/provider/RY1/comments/{world.theirs}/flag"):
        assert own_user.post(path, data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert stored(app, world.theirs).flagged_at is None


def test_flagging_a_safety_concern_records_who_why_and_when(
    app: Flask, own_user: FlaskClient, world: World
) -> None:
    form = own_user.get(f"/provider/RX1/comments/{world.own}/flag")
    assert structure_problems(form) == []
    assert OWN_MASKED in text_of(parse(form))
    done = flag(own_user, "RX1", world.own, "  Patient waiting for a call back at home ")
    assert done.location == "/provider/RX1/comments/flagged"
    comment = stored(app, world.own)
    assert comment.flag_reason == "Patient waiting for a call back at home"
    assert comment.flagged_at is not None and comment.follow_up_status == "awaiting_follow_up"
    assert comment.flagged_by_id is not None
    page = parse(own_user.get(done.location))
    assert "Safety concern: awaiting follow-up" in text_of(page)
    assert "Patient waiting for a call back at home" in text_of(page)
    assert "Safety concerns awaiting follow-up (1)" in text_of(
        parse(own_user.get("/provider/RX1/comments")))
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "comment_flagged")).one()
        assert (event.object_id, event.actor_id) == (str(world.own), comment.flagged_by_id)


def test_a_flag_needs_a_reason_and_this_sessions_csrf_token(
    app: Flask, own_user: FlaskClient, world: World
) -> None:
    no_reason = flag(own_user, "RX1", world.own, "   ")
    assert no_reason.status_code == 200 and structure_problems(no_reason) == []
    assert text_of(parse(no_reason).select_one(".nhsuk-error-summary a")) == (
        "Enter why this comment is a safety concern")
    no_token = flag(own_user, "RX1", world.own, "A real concern", token=False)
    assert no_token.status_code == 200
    assert "CSRF token is missing" in text_of(parse(no_token))
    assert stored(app, world.own).flagged_at is None


def test_marking_a_flagged_comment_as_followed_up(
    app: Flask, own_user: FlaskClient, world: World
) -> None:
    follow_up = f"/provider/RX1/comments/{world.own}/follow-up"
    assert own_user.get(follow_up).status_code == 404  # nothing to follow up yet
    flag(own_user, "RX1", world.own, "No insulin at home")
    page = parse(own_user.get("/provider/RX1/comments/flagged"))
    assert page.find("a", href=follow_up) is not None
    empty = own_user.post(follow_up, data={"csrf_token": csrf_token(own_user.get(follow_up)),
                                           "note": ""})
    assert "Enter what was done to follow up this concern" in text_of(parse(empty))
    done = own_user.post(follow_up, data={"csrf_token": csrf_token(own_user.get(follow_up)),
                                          "note": "GP surgery rang the patient on Tuesday"})
    assert done.location == "/provider/RX1/comments/flagged"
    comment = stored(app, world.own)
    assert comment.follow_up_status == "followed_up"
    assert notes_of(app, world.own) == [("GP surgery rang the patient on Tuesday",
                                         "Test Provider")]
    assert "Safety concern: followed up" in text_of(parse(own_user.get(done.location)))
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "comment_followed_up" in actions


def notes_of(app: Flask, comment_id: int) -> list[tuple[str, str]]:
    """Return the comment's stored follow-up notes (words, writer's name), oldest first."""
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(CommentFollowUp.note, StaffUser.full_name)
            .join(StaffUser, StaffUser.id == CommentFollowUp.written_by_id)
            .where(CommentFollowUp.comment_id == comment_id)
            .order_by(CommentFollowUp.written_at, CommentFollowUp.id)
        )]


def test_a_second_follow_up_note_is_kept_beside_the_first(
    app: Flask, own_user: FlaskClient, world: World
) -> None:
    follow_up = f"/provider/RX1/comments/{world.own}/follow-up"
    flag(own_user, "RX1", world.own, "No insulin at home")
    first = own_user.post(follow_up, data={"csrf_token": csrf_token(own_user.get(follow_up)),
                                           "note": "GP surgery rang the patient on Tuesday"})
    closed = stored(app, world.own)
    colleague = make_staff(app, role="provider", organisations=("RX1",),
                           email="colleague.rx1@example.nhs.uk")
    with app.app_context():
        db.session.get(StaffUser, colleague.id).full_name = "Sam Colleague"
        db.session.commit()
    other = app.test_client()
    sign_in(other, colleague.email, colleague.password)
    form = other.get(follow_up)
    assert text_of(parse(form).h1) == "Add a follow-up note"
    second = other.post(follow_up, data={"csrf_token": csrf_token(form),
                                         "note": "District nurse visited on Thursday"})
    assert first.status_code == second.status_code == 302

    assert notes_of(app, world.own) == [
        ("GP surgery rang the patient on Tuesday", "Test Provider"),
        ("District nurse visited on Thursday", "Sam Colleague"),
    ]
    still = stored(app, world.own)  # the first follow-up closed the concern; it still did
    assert (still.followed_up_at, still.followed_up_by_id) == (
        closed.followed_up_at, closed.followed_up_by_id)
    page = parse(other.get("/provider/RX1/comments/flagged"))
    today = datetime.now(UTC).strftime("%-d %B %Y")  # notes are dated in UTC
    listed = [text_of(item) for item in page.select(".app-follow-ups li")]
    assert [note.split(" UTC, ")[1] for note in listed] == [
        "Test Provider: GP surgery rang the patient on Tuesday",
        "Sam Colleague: District nurse visited on Thursday",
    ]
    assert all(note.startswith(today) for note in listed)
    assert page.find("a", href=follow_up) is not None  # more notes can be added
    with app.app_context():
        audited = db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "comment_followed_up").order_by(AuditEvent.id)).all()
    assert audited == ["RX1: GP surgery rang the patient on Tuesday",
                       "RX1: District nurse visited on Thursday"]


def test_filters_by_pathway_and_period_and_names_a_wrong_choice(app: Flask) -> None:
    last_year = date.today() - timedelta(days=400)
    with app.app_context():
        comment_on("RX1", "About my hip operation", pathway="hip-fracture")
        comment_on("RX1", "A long time ago", discharged=last_year)
        comment_on("RX1", "About my stroke care")
    staff = make_staff(app, role="provider", organisations=("RX1",))
    client = app.test_client()
    sign_in(client, staff.email, staff.password)

    def shown(query: str) -> list[str]:
        page = parse(client.get(f"/provider/RX1/comments{query}"))
        return sorted(text_of(p) for p in page.select(".nhsuk-card__description"))

    assert shown("?pathway=hip-fracture") == ["About my hip operation"]
    period = f"{last_year.year}-Q{(last_year.month - 1) // 3 + 1}"
    assert shown(f"?period={period}") == ["A long time ago"]
    wrong = client.get("/provider/RX1/comments?pathway=nope")
    assert wrong.status_code == 400 and structure_problems(wrong) == []
    assert text_of(parse(wrong).select_one(".nhsuk-error-summary a")) == (
        "Choose a pathway from the list")


def test_other_roles_and_anonymous_visitors_see_no_comments(app: Flask, world: World) -> None:
    anonymous = app.test_client().get("/provider/RX1/comments")
    assert anonymous.status_code == 302 and anonymous.location.startswith("/staff/sign-in")
    commissioner = make_staff(app, role="commissioner", organisations=("QX1",))
    client = app.test_client()
    sign_in(client, commissioner.email, commissioner.password)
    assert client.get("/provider/RX1/comments").status_code == 403
    assert client.get("/admin/safety-review").status_code == 403


def test_administrators_review_flagged_comments_as_written(
    app: Flask, own_user: FlaskClient, world: World
) -> None:
    flag(own_user, "RX1", world.own, "Call back needed")
    assert own_user.get("/admin/safety-review").status_code == 403  # providers: masked only
    admin = make_staff(app, role="administrator")
    client = app.test_client()
    sign_in(client, admin.email, admin.password)
    response = client.get("/admin/safety-review")
    assert response.status_code == 200 and structure_problems(response) == []
    cells = [text_of(td) for td in parse(response).select("tbody td")]
    assert cells[:4] == ["Test Provider RX1", cells[1], OWN_WORDS, "Call back needed"]
    assert "Okafor" not in response.get_data(as_text=True)  # only flagged comments
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "safety_review_viewed")).all() == ["safety_review_viewed"]


def test_the_audit_log_names_what_a_safety_review_showed(
    app: Flask, own_user: FlaskClient, world: World
) -> None:
    flag(own_user, "RX1", world.own, "Call back needed")
    client, _admin = signed_in(app, role="administrator")
    assert client.get("/admin/safety-review").status_code == 200
    log = parse(client.get("/admin/audit"))
    header = [text_of(th) for th in log.select("thead th")]
    rows = [dict(zip(header, (text_of(td) for td in tr.find_all("td")), strict=True))
            for tr in log.select("tbody tr")]
    viewed = next(row for row in rows if row["What"] == "safety review viewed")
    assert (viewed["Object"], viewed["Detail"]) == (
        "", f"1 flagged comment shown (comment {world.own})")
    flagged = next(row for row in rows if row["What"] == "comment flagged")
    assert flagged["Object"] == f"comment {world.own}"
    assert not [row for row in rows if "None" in row.values()]
    assert "None" not in text_of(log.find("table"))


def test_the_dashboard_links_to_the_comments_pages(own_user: FlaskClient) -> None:
    page = parse(own_user.get("/provider/RX1/"))
    links = {text_of(a): a["href"] for a in page.select("main a[href*='/comments']")}
    assert set(links.values()) == {"/provider/RX1/comments", "/provider/RX1/comments/flagged"}
    for href in links.values():
        assert own_user.get(href).status_code == 200


@pytest.fixture
def many(app: Flask) -> list[tuple[int, str]]:
    """Seven sent comments of RX1 (id, masked words), oldest first."""
    words = ["The ward was kind", "Nobody told me about my tablets", "Kind nurses, cold tea",
             "Transport was late", "I waited 100% of the day", "The discharge_letter was lost",
             "A KIND porter helped me"]
    with app.app_context():
        return [(comment_on("RX1", text), text) for text in words]


def listed(client: FlaskClient, query: str = "") -> tuple[int, list[str], object]:
    """Return the status, the comments' words as shown, and the parsed page."""
    response = client.get(f"/provider/RX1/comments{query}")
    page = parse(response)
    return response.status_code, [text_of(p) for p in page.select(".nhsuk-card__description")], page


def test_comments_are_paged_newest_first_and_every_one_can_be_reached(
    app: Flask, own_user: FlaskClient, many: list[tuple[int, str]]
) -> None:
    app.config["COMMENTS_PER_PAGE"] = 3
    newest_first = [text for _, text in reversed(many)] + [OWN_MASKED]  # the world's, first
    status, first, page = listed(own_user)
    assert status == 200 and first == newest_first[:3]
    assert text_of(page.find("main").find("h2")) == "8 comments"
    assert text_of(page.find(id="comments-shown")) == "Showing 1 to 3 of 8, newest first."
    pages = page.find("nav", class_="nhsuk-pagination")
    assert pages["aria-label"] == "Pages of comments"
    links = {text_of(a): a["href"] for a in pages.find_all("a")}
    assert links == {"1": "/provider/RX1/comments", "2": "/provider/RX1/comments?page=2",
                     "3": "/provider/RX1/comments?page=3",
                     "Next page": "/provider/RX1/comments?page=2"}
    assert text_of(pages.find("a", attrs={"aria-current": "page"})) == "1"
    _, second, page = listed(own_user, "?page=2")
    _, third, page = listed(own_user, "?page=3")
    assert second == newest_first[3:6] and third == newest_first[6:]
    assert text_of(page.find(id="comments-shown")) == "Showing 7 to 8 of 8, newest first."
    for wrong in ("?page=4", "?page=0", "?page=two"):
        assert own_user.get(f"/provider/RX1/comments{wrong}").status_code == 404, wrong


def test_comments_are_searched_by_their_masked_words_only(
    own_user: FlaskClient, many: list[tuple[int, str]]
) -> None:
    assert listed(own_user, "?words=kind")[1] == [
        "A KIND porter helped me", "Kind nurses, cold tea", "The ward was kind", OWN_MASKED]
    assert listed(own_user, "?words=KIND+nurses")[1] == ["Kind nurses, cold tea"]  # every word
    assert listed(own_user, "?words=100%25")[1] == ["I waited 100% of the day"]
    assert listed(own_user, "?words=discharge_letter")[1] == ["The discharge_letter was lost"]
    assert listed(own_user, "?words=e_w")[1] == []  # _ is a letter, not a wildcard ("The ward")
    assert listed(own_user, "?words=Patel")[1] == []  # masked away (in OWN_WORDS): not found
    assert listed(own_user, "?words=07700")[1] == []
    status, shown, page = listed(own_user, "?words=tablets")
    assert status == 200 and shown == ["Nobody told me about my tablets"]
    assert text_of(page.find("main").find("h2")) == "1 comment"
    assert page.find("input", attrs={"name": "words"})["value"] == "tablets"
    status, _, page = listed(own_user, "?words=" + "x" * 201)
    assert status == 400 and text_of(page.select_one(".nhsuk-error-summary a")) == (
        "Enter 200 characters or fewer")


def test_comments_are_filtered_by_flag_and_the_filters_stay_on_every_page(
    app: Flask, own_user: FlaskClient, many: list[tuple[int, str]]
) -> None:
    (first, _), (second, _) = many[:2]
    flag(own_user, "RX1", first, "Call back")
    flag(own_user, "RX1", second, "No tablets at home")
    follow_up = f"/provider/RX1/comments/{second}/follow-up"
    own_user.post(follow_up, data={"csrf_token": csrf_token(own_user.get(follow_up)),
                                   "note": "Pharmacy delivered them"})
    assert listed(own_user, "?flag=awaiting")[1] == ["The ward was kind"]
    assert listed(own_user, "?flag=followed-up")[1] == ["Nobody told me about my tablets"]
    assert listed(own_user, "?flag=flagged")[1] == [
        "Nobody told me about my tablets", "The ward was kind"]
    not_flagged = listed(own_user, "?flag=none")[1]
    assert len(not_flagged) == 6 and "The ward was kind" not in not_flagged  # + world's own
    _, _, page = listed(own_user, "?flag=awaiting")
    chosen = page.find("select", attrs={"name": "flag"}).find("option", selected=True)
    assert (chosen["value"], text_of(chosen)) == ("awaiting", "Safety concern: awaiting follow-up")
    status, _, page = listed(own_user, "?flag=urgent")
    assert status == 400 and text_of(page.select_one(".nhsuk-error-summary a")) == (
        "Choose a safety flag from the list")

    app.config["COMMENTS_PER_PAGE"] = 1
    _, shown, page = listed(own_user, "?words=kind&flag=none&pathway=stroke")
    assert shown == ["A KIND porter helped me"]
    links = [a["href"] for a in page.find("nav", class_="nhsuk-pagination").find_all("a")]
    assert "/provider/RX1/comments?pathway=stroke&words=kind&flag=none&page=2" in links
    assert listed(own_user, "?words=kind&flag=none&pathway=stroke&page=2")[1] == [
        "Kind nurses, cold tea"]


def test_the_search_is_the_same_on_every_database(any_app: Flask) -> None:
    """Case-insensitive, every word, % and _ taken literally: on SQLite and PostgreSQL."""
    with any_app.app_context():
        for words in ("A KIND porter", "Kindness at 100%", "ward_round missed", "wards"):
            comment_on("RX1", words)
        org = db.session.scalar(select(Organisation).where(Organisation.code == "RX1"))
        scope = Scope.for_providers([org.id])

        def found(words: str) -> list[str]:
            listing = list_comments(scope, org, CommentFilters(words=words))
            return sorted(row.masked_text for row in listing.rows)

        assert found("kind") == ["A KIND porter", "Kindness at 100%"]
        assert found("kind 100%") == ["Kindness at 100%"]
        assert found("0%") == ["Kindness at 100%"] and found("1%0") == []
        assert found("d_r") == ["ward_round missed"] and found("d_s") == []
