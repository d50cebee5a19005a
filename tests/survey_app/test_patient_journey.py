"""The patient's journey over real HTTP: start, answer, resume, check, submit, decline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from patient_pages import (
    answer_questions,
    continue_link,
    csrf_token,
    first_option,
    parse,
    start_survey,
    text_of,
)
from sqlalchemy import func, select, update

from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Answer, Invitation, Response, utcnow

MakeInvitation = Callable[..., str]


def stored(app: Flask) -> dict[str, object]:
    """Return what the database holds: responses, answers (item → code) and statuses."""
    with app.app_context():
        return {
            "responses": db.session.scalar(select(func.count(Response.id))),
            "submitted": db.session.scalar(
                select(func.count(Response.id)).where(Response.status == "submitted")
            ),
            "answers": dict(db.session.execute(select(Answer.item_id, Answer.code)).all()),
            "invitations": sorted(db.session.scalars(select(Invitation.status))),
        }


def test_start_page_says_who_asks_why_how_long_and_that_it_is_voluntary(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    page = client.get(f"/s/{make_invitation(app)}")
    text = text_of(parse(page))
    assert "Test Provider RX1 would like to know how well your care was joined up" in text
    assert "It takes about 10 minutes. There are 33 questions." in text
    assert "Taking part is voluntary" in text and "will not affect your care" in text
    assert "How we use your answers" in text
    assert parse(page).find("a", string="I do not want to take part")
    assert stored(app)["responses"] == 0  # looking is not starting


def test_question_page_has_the_question_as_legend_h1_progress_attribution_and_back_link(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    start_survey(client, token)
    page = parse(client.get(f"/s/{token}/q/ctm15-q2"))
    heading = page.select_one("fieldset legend h1")
    assert heading is not None
    assert text_of(heading.select_one(".nhsuk-caption-l")) == (
        "Section 1 of 4: Leaving hospital, question 2 of 15:")
    assert heading.find("strong").get_text() == "what"  # the seed's emphasis, not asterisks
    assert "CTM-15 © Eric A. Coleman, MD, MPH" in text_of(page.select_one(".app-attribution"))
    assert page.select_one(".nhsuk-back-link")["href"] == f"/s/{token}/q/ctm15-q1"
    assert text_of(page.select_one("form button")) == "Continue"
    labels = [text_of(label) for label in page.select(".nhsuk-radios__label")]
    assert labels[:4] == ["Strongly disagree", "Disagree", "Agree", "Strongly agree"]
    assert text_of(page.select_one(".nhsuk-radios__divider")) == "or"


def test_who_is_filling_this_in_is_asked_first_and_back_leads_to_the_start_page(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    first = start_survey(client, token).location
    page = parse(client.get(first))
    assert first == f"/s/{token}/q/about_you-completed_by"
    assert text_of(page.h1) == "About you: Who is filling this in?"  # before the sections
    assert page.select_one(".nhsuk-back-link")["href"] == f"/s/{token}?intro=yes"
    assert client.get(f"/s/{token}?intro=yes").status_code == 200


def test_nothing_chosen_shows_the_nhs_error_pattern_and_saves_nothing(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    url = start_survey(client, token).location
    csrf = csrf_token(client.get(url))
    for data in ({"csrf_token": csrf}, {"csrf_token": csrf, "answer": "not-an-option"}):
        page = parse(client.post(url, data=data))
        summary_link = page.select_one(".nhsuk-error-summary a")
        first_radio = page.select("input[type=radio]")[0]
        assert summary_link["href"] == "#" + first_radio["id"] == "#answer"
        assert text_of(page.select_one(".nhsuk-error-message")) == "Error: Select an answer"
        assert page.title.get_text().startswith("Error: About you: Who is filling this in?")
    assert stored(app)["answers"] == {}


def test_each_answer_is_saved_and_the_page_shows_it_when_you_come_back(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    url = start_survey(client, token).location
    after = client.post(url, data={"csrf_token": csrf_token(client.get(url)), "answer": "3"})
    assert after.location == f"/s/{token}/section/ctm15"  # the first section's page
    assert stored(app)["answers"] == {"completed_by": "3"}
    assert parse(client.get(url)).select_one("input[checked]")["value"] == "3"


def test_opening_the_link_again_on_another_device_welcomes_back_then_resumes(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    answer_questions(client, token, limit=4)
    other_device = app.test_client()
    welcome = other_device.get(f"/s/{token}")
    page = parse(welcome)
    assert welcome.status_code == 200 and text_of(page.h1) == "Welcome back"
    assert "You have answered 4 of 33 questions." in text_of(page)
    assert "in section 1 of 4: Leaving hospital" in text_of(page)
    resumed = continue_link(welcome)
    assert resumed == f"/s/{token}/q/ctm15-q4"  # 1 early question + q1..q3 done
    assert text_of(parse(other_device.get(resumed)).h1).startswith(
        "Section 1 of 4: Leaving hospital, question 4 of 15")


def test_check_your_answers_lists_everything_and_change_returns_to_it(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    check_url = answer_questions(client, token).location
    assert check_url == f"/s/{token}/check"
    page = parse(client.get(check_url))
    assert len(page.select(".nhsuk-summary-list__row")) == 33
    change = page.find("a", href=f"/s/{token}/q/ctm15-q5?change=yes")
    assert "When I left the hospital, I clearly understood" in text_of(change)  # hidden text
    question = client.get(change["href"])
    assert parse(question).select_one(".nhsuk-back-link")["href"] == check_url
    back = client.post(change["href"], data={"csrf_token": csrf_token(question), "answer": "4"})
    assert back.location == check_url
    assert stored(app)["answers"]["q5"] == "4"


def test_check_your_answers_has_one_heading_and_list_per_section(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    page = parse(client.get(answer_questions(client, token).location))
    sections = {
        text_of(heading): [text_of(key) for key in heading.find_next(
            class_="nhsuk-summary-list").select(".nhsuk-summary-list__key")]
        for heading in page.select("main h2")[:-1]
    }
    assert list(sections) == ["Leaving hospital", "Joined-up care", "Your comments", "About you"]
    assert [len(keys) for keys in sections.values()] == [15, 12, 1, 5]
    # "Who is filling this in?" is asked first but listed with the rest of "About you".
    assert sections["About you"][0] == "Who is filling this in?"
    assert len(page.select(".nhsuk-summary-list")) == 4


def test_check_before_everything_is_answered_carries_on_instead(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    answer_questions(client, token, limit=2)
    assert client.get(f"/s/{token}/check").location == f"/s/{token}/q/ctm15-q2"


def test_submit_confirms_and_a_replayed_post_changes_nothing(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    csrf = csrf_token(client.get(answer_questions(client, token).location))
    submitted = client.post(f"/s/{token}/submit", data={"csrf_token": csrf})
    assert submitted.location == f"/s/{token}/done"
    assert text_of(parse(client.get(submitted.location)).h1) == "Your answers have been sent"
    before = stored(app)

    again = client.post(f"/s/{token}/submit", data={"csrf_token": csrf})  # double click
    replay = client.post(f"/s/{token}/q/ctm15-q1", data={"csrf_token": csrf, "answer": "1"})
    assert again.location == f"/s/{token}/done"
    assert replay.status_code == 410
    assert stored(app) == before
    assert before["responses"] == before["submitted"] == 1
    assert before["invitations"] == ["completed"]


def test_submitting_with_a_question_unanswered_goes_back_to_that_question(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    answer_questions(client, token, limit=3)
    csrf = csrf_token(client.get(f"/s/{token}/q/ctm15-q1"))
    refused = client.post(f"/s/{token}/submit", data={"csrf_token": csrf})
    assert refused.location == f"/s/{token}/q/ctm15-q3"
    assert stored(app)["submitted"] == 0


def test_posts_without_the_csrf_token_are_refused_and_change_nothing(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    url = start_survey(client, token).location
    refused = client.post(url, data={"answer": "1"})
    assert refused.status_code == 400
    assert text_of(parse(refused).h1) == "Sorry, this page timed out"
    assert client.post(f"/s/{token}/decline", data={}).status_code == 400
    assert stored(app)["answers"] == {} and stored(app)["invitations"] == ["started"]


def test_declining_is_recorded_confirmed_and_closes_the_link(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    answer_questions(client, token, limit=2)
    page = client.get(f"/s/{token}/decline")
    assert text_of(parse(page).h1) == "Are you sure you do not want to take part?"
    declined = client.post(f"/s/{token}/decline", data={"csrf_token": csrf_token(page)})
    confirmation = client.get(declined.location)
    assert confirmation.status_code == 200
    assert "We will not contact you again" in text_of(parse(confirmation))
    assert stored(app) == {"responses": 0, "submitted": 0, "answers": {},
                           "invitations": ["declined"]}
    assert client.get(f"/s/{token}").status_code == 410


def test_unknown_expired_and_used_links_get_404_or_410(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    expired = make_invitation(app, expired=True)
    assert client.get("/s/never-issued").status_code == 404
    assert client.get("/s/never-issued/q/ctm15-q1").status_code == 404
    assert client.get(f"/s/{expired}").status_code == 410
    assert client.get(f"/s/{expired}/q/ctm15-q1").status_code == 410
    token = make_invitation(app)
    start_survey(client, token)
    assert client.get(f"/s/{token}/q/no-such-question").status_code == 404


def rate_limited(app: Flask, **limits: str) -> Flask:
    """Return an app on the same database with rate limiting on and these limits."""
    return create_app({"APP_ENV": "test", "RATELIMIT_ENABLED": True,
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       **limits})


def test_rate_limit_is_per_link_so_a_shared_hospital_address_is_not_locked_out(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    limited = rate_limited(app, PATIENT_RATE_LIMIT="3/minute")
    busy, quiet = make_invitation(limited), make_invitation(limited)
    client = limited.test_client()  # every request from the same address
    statuses = [client.get(f"/s/{busy}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "too many attempts" in text_of(parse(client.get(f"/s/{busy}")))
    assert client.get(f"/s/{quiet}").status_code == 200


def test_links_that_match_nothing_are_limited_per_address(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    limited = rate_limited(app, UNKNOWN_LINK_RATE_LIMIT="3/minute")
    token = make_invitation(limited)
    guesser = limited.test_client()
    assert [guesser.get(f"/s/{token}").status_code for _ in range(5)] == [200] * 5  # not counted
    statuses = [guesser.get(f"/s/guess-{n}").status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert guesser.get("/s/guess-again/q/ctm15-q1").headers["Retry-After"] == "60"
    # Only the guessing is refused: a real link from the same address still opens.
    assert guesser.get(f"/s/{token}").status_code == 200
    elsewhere = limited.test_client()
    assert elsewhere.get("/s/guess-0", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404


def test_patient_pages_are_never_cached_or_indexed(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    for response in (client.get(f"/s/{token}"), client.get("/s/unknown")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_a_started_questionnaire_offers_to_carry_on_from_the_start_page(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    answer_questions(client, token, limit=1)
    page = parse(client.get(f"/s/{token}?intro=yes"))
    assert text_of(page.select_one("form button")) == "Carry on"


def test_radios_offer_every_option_of_the_item(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    start_survey(client, token)
    page = client.get(f"/s/{token}/q/ctm15-q13")
    values = [radio["value"] for radio in parse(page).select("input[type=radio]")]
    assert values == ["1", "2", "3", "4", "9", "8"]  # medication item: "no medication" too
    assert first_option(page) == "1"


def test_the_decline_page_offers_a_clear_way_back_to_the_survey(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    answer_questions(client, token, limit=2)
    page = parse(client.get(f"/s/{token}/decline"))
    back = page.find("a", string="No, go back to the survey")
    assert back is not None and back["href"] == f"/s/{token}"
    # after the confirm button, in reading order, and it changes nothing
    assert page.select_one("form button").find_next("a") is back
    assert client.get(back["href"], follow_redirects=True).status_code == 200
    assert stored(app)["invitations"] == ["started"]


def test_the_start_page_promises_only_what_is_true(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    with app.app_context():
        expires = db.session.scalars(select(Invitation.expires_at)).one()
    text = text_of(parse(client.get(f"/s/{token}")))
    # Provider staff do read comments (masked), so the page must not say they see nothing.
    assert "will not see your individual answers" not in text
    assert ("Staff at Test Provider RX1, including those who cared for you, only see results "
            "for groups of people, not which answers you chose.") in text
    assert ("If you write a comment in your own words, staff at Test Provider RX1 will read "
            "it, with names, phone numbers and some other details taken out first.") in text
    # The link stops working when it expires: say until when it can be used again.
    last_day = (expires - timedelta(days=1)).date()
    assert ("You can stop at any time and use this link again, on any device, to carry on "
            f"until {last_day.day} {last_day:%B %Y}.") in text
    short_survey = make_invitation(app, survey="leaving-hospital-short")
    short = text_of(parse(client.get(f"/s/{short_survey}")))
    assert "only see results for groups of people" in short
    assert "If you write a comment" not in short  # this survey asks for no comment


def test_a_link_with_less_than_a_day_left_does_not_promise_a_later_visit(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=utcnow() + timedelta(hours=2)))
        db.session.commit()
    text = text_of(parse(client.get(f"/s/{token}")))
    assert "use this link again" not in text
    assert "This link stops working today, so please answer the questions today." in text
