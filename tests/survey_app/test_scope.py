"""Who may see what. The matrix walks ``app.url_map``, so every portal and administration
route (including ones added later) is covered without listing them here."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from patient_pages import parse
from sqlalchemy import select
from staff import make_staff, organisation, sign_in
from werkzeug.exceptions import NotFound
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from survey_app.auth import staff_required
from survey_app.auth.scope import Scope, peer_letter
from survey_app.demo.loader import load_demo
from survey_app.extensions import db
from survey_app.models import AuditEvent, Organisation, Pathway
from survey_app.results import build as results_build

# Routes anyone may open: the patient's journey (its link is the key), assets, the home
# page and the sign-in pages themselves. Everything else must need a staff sign-in.
PUBLIC_ENDPOINTS = {"index", "static", "frontend_asset", "auth.sign_in", "auth.signed_out"}
PUBLIC_BLUEPRINTS = {"patient"}
# Machine-to-machine routes: an integration engine's bearer credential, not a staff sign-in.
CREDENTIAL_BLUEPRINTS = {"intake"}
# Callbacks from services outside (GOV.UK Notify's receipts): that service's bearer token.
CALLBACK_BLUEPRINTS = {"callbacks"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def is_public(rule: Rule) -> bool:
    return rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS


def needs_credential(rule: Rule) -> bool:
    return rule.endpoint.split(".")[0] in CREDENTIAL_BLUEPRINTS


def is_callback(rule: Rule) -> bool:
    return rule.endpoint.split(".")[0] in CALLBACK_BLUEPRINTS


def staff_rules(app: Flask, prefix: str = "/") -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if not is_public(rule) and not needs_credential(rule) and not is_callback(rule)
            and rule.rule.startswith(prefix)]


def build_paths(app: Flask, rule: Rule, values: dict[str, object]) -> list[str]:
    """Return concrete paths for ``rule``: known values, else 1 for ids and "x" for text,
    and one path per choice of every ``any(…)`` part (e.g. each download format)."""
    choices: dict[str, list[object]] = {}
    for name in rule.arguments:
        converter = rule._converters[name]  # werkzeug has no public accessor
        if isinstance(converter, AnyConverter):
            choices[name] = sorted(converter.items)
        elif name in values:
            choices[name] = [values[name]]
        else:
            choices[name] = [1 if isinstance(converter, IntegerConverter) else "x"]
    paths = []
    with app.test_request_context():
        for combination in itertools.product(*choices.values()):
            _, path = rule.build(dict(zip(choices, combination, strict=True)),
                                 append_unknown=False) or ("", "")
            paths.append(path)
    return paths


def request(client: FlaskClient, method: str, path: str):
    return client.open(path, method=method)


# ---- Scope on its own ---------------------------------------------------------------------


def test_peer_letters_run_a_to_z_then_aa() -> None:
    assert [peer_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_own_providers_are_named_and_peers_lettered_by_code(app: Flask) -> None:
    with app.app_context():
        codes = ["RZ9", "RA1", "RM5", "RB2", "RC3"]
        ids = {code: organisation(code).id for code in codes}
        db.session.commit()
        scope = Scope.for_providers([ids["RM5"]])
        labels = scope.peer_labels(ids.values())
        assert labels == {
            ids["RA1"]: "Provider A", ids["RB2"]: "Provider B", ids["RC3"]: "Provider C",
            ids["RM5"]: "Test Provider RM5", ids["RZ9"]: "Provider D",
        }
        # The same comparison asked in another order gives the same letters.
        assert scope.peer_labels(reversed(list(ids.values()))) == labels
        everyone = Scope(is_admin=True, provider_ids=frozenset()).peer_labels(ids.values())
        assert everyone[ids["RZ9"]] == "Test Provider RZ9"


def test_require_provider_answers_404_outside_the_scope(app: Flask) -> None:
    with app.app_context():
        own, other = organisation("RX1"), organisation("RY1")
        site = Organisation(code="RX101", name="Site", type_code="site", parent=own,
                            effective_from=own.effective_from)
        db.session.add(site)
        db.session.commit()
        scope = Scope.for_providers([own.id, site.id])
        assert scope.require_provider("RX1") == own
        for code in ("RY1", "NOPE", "RX101"):  # someone else's, unknown, not a provider
            with app.test_request_context(), pytest.raises(NotFound):
                scope.require_provider(code)
        assert scope.visible_providers() == [own]
        admin = Scope(is_admin=True, provider_ids=frozenset())
        assert admin.require_provider("RY1") == other
        assert Scope.for_user(None).visible_providers() == []


# ---- Over HTTP ----------------------------------------------------------------------------


@pytest.fixture
def world(app: Flask) -> Iterator[dict[str, object]]:
    """A small demo world; X is one provider with a user, Y another provider with data."""
    with app.app_context():
        load_demo(seed=7, event_count=400)
        providers = list(db.session.scalars(
            select(Organisation).where(Organisation.type_code == "provider")
            .order_by(Organisation.code)))
        x, y = providers[0], providers[1]
        pathway = db.session.scalars(select(Pathway).order_by(Pathway.code)).first()
        results_build.build(built_by="tests")  # pages read it
        yield {"x_code": x.code, "y_code": y.code, "y_name": y.name, "x_name": x.name,
               "pathway_code": pathway.code}


def routes_open_to_anonymous_visitors(app: Flask) -> dict[str, int]:
    """Return "METHOD rule" → status for every staff route that does not ask for sign-in."""
    app.config["WTF_CSRF_ENABLED"] = False  # so posts reach the sign-in check itself
    client = app.test_client()
    open_to_all = {}
    for rule in staff_rules(app):
        for path in build_paths(app, rule, {}):
            for method in sorted(set(METHODS) & (rule.methods or set())):
                response = request(client, method, path)
                if response.status_code != 302 or not response.location.startswith(
                    "/staff/sign-in"
                ):
                    open_to_all[f"{method} {rule.rule}"] = response.status_code
    return open_to_all


def provider_page_leaks(
    app: Flask, world: dict[str, object]
) -> tuple[dict[str, int], dict[str, int]]:
    """Sign in as a user of provider X and open every /provider/ page with Y's code.

    Return the leaks ("METHOD path" → status for any answer other than 403/404, or one
    that shows Y's name or code) and the statuses of the same pages with X's own code.
    """
    staff = make_staff(app, role="provider", organisations=(str(world["x_code"]),))
    client = app.test_client()
    sign_in(client, staff.email, staff.password)
    leaks, own_statuses = {}, {}
    for rule in staff_rules(app, "/provider/"):
        if "org_code" not in rule.arguments:
            continue
        methods = sorted({"GET", "POST"} & (rule.methods or set()))
        swapped = build_paths(app, rule, {**world, "org_code": world["y_code"]})
        own = build_paths(app, rule, {**world, "org_code": world["x_code"]})
        pairs = list(zip(swapped, own, strict=True))
        for method, (their_path, own_path) in itertools.product(methods, pairs):
            response = request(client, method, their_path)
            body = response.get_data(as_text=True)
            if (response.status_code not in (403, 404) or str(world["y_name"]) in body
                    or str(world["y_code"]) in body):
                leaks[f"{method} {their_path}"] = response.status_code
            own_statuses[f"{method} {own_path}"] = request(client, method, own_path).status_code
    return leaks, own_statuses


def test_every_staff_route_sends_anonymous_visitors_to_sign_in(app: Flask) -> None:
    assert {rule.endpoint.split(".")[0] for rule in staff_rules(app)} >= {"admin", "auth"}
    assert routes_open_to_anonymous_visitors(app) == {}


def test_every_intake_route_answers_401_without_a_live_credential(app: Flask) -> None:
    from survey_app.services.intake_credentials import create_credential, revoke_credential

    rules = [rule for rule in app.url_map.iter_rules() if needs_credential(rule)]
    assert {rule.rule for rule in rules} >= {"/intake/hl7", "/intake/fhir"}
    assert all(rule.rule.startswith("/intake/") for rule in rules)
    with app.app_context():
        credential, secret = create_credential(organisation("RX1"), "engine")
        revoke_credential(credential)
    client = app.test_client()
    answers = {}
    for rule in rules:
        for path in build_paths(app, rule, {}):
            for method in sorted(set(METHODS) & (rule.methods or set())):
                for header in ({}, {"Authorization": "Bearer ctsi_guess"},
                               {"Authorization": f"Bearer {secret}"},  # revoked
                               {"Authorization": f"Basic {secret}"}):
                    response = client.open(path, method=method, headers=header, data=b"x")
                    answers[f"{method} {rule.rule} {sorted(header)}"] = (
                        response.status_code, response.headers.get("WWW-Authenticate"))
    assert set(answers.values()) == {(401, 'Bearer realm="intake"')}, answers


def test_every_callback_route_answers_401_without_its_token(app: Flask) -> None:
    app.config["NOTIFY_CALLBACK_TOKEN"] = "the-real-callback-token"
    rules = [rule for rule in app.url_map.iter_rules() if is_callback(rule)]
    assert {rule.rule for rule in rules} == {"/callbacks/notify"}
    client = app.test_client()
    answers = {}
    for rule in rules:
        for method in sorted(set(METHODS) & (rule.methods or set())):
            for header in ({}, {"Authorization": "Bearer a-guess-at-it"},
                           {"Authorization": "Basic the-real-callback-token"}):
                response = client.open(rule.rule, method=method, headers=header, json={})
                answers[f"{method} {rule.rule} {sorted(header)}"] = response.status_code
    assert set(answers.values()) == {401}, answers


def test_the_meta_test_notices_a_route_that_forgets_to_ask_for_sign_in(app: Flask) -> None:
    app.add_url_rule("/provider/<org_code>/forgotten", "forgotten", lambda org_code: "data")
    assert routes_open_to_anonymous_visitors(app) == {
        "GET /provider/<org_code>/forgotten": 200}


def test_the_public_list_names_only_pages_that_really_are_public(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if is_public(rule)}
    assert endpoints - {e for e in endpoints if e.startswith("patient.")} == PUBLIC_ENDPOINTS
    client = app.test_client()
    assert client.get("/staff/sign-in").status_code == 200


def test_a_provider_user_cannot_open_another_providers_pages_by_changing_the_code(
    app: Flask, world: dict[str, object]
) -> None:
    leaks, own_statuses = provider_page_leaks(app, world)
    assert leaks == {}
    # Not vacuous: the user's own pages do open (a scope check that refused everything
    # would pass the loop above). Pages needing more than the code may 404 on made-up ids.
    assert all(status != 403 for status in own_statuses.values()), own_statuses


def test_the_matrix_notices_a_page_that_skips_the_scope(
    app: Flask, world: dict[str, object]
) -> None:
    @staff_required("provider")
    def unscoped(org_code: str) -> str:  # looks the code up without current_scope()
        org = db.session.scalar(select(Organisation).where(Organisation.code == org_code))
        return org.name if org else "unknown"

    app.add_url_rule("/provider/<org_code>/unscoped", "unscoped", unscoped)
    leaks, _ = provider_page_leaks(app, world)
    assert leaks == {f"GET /provider/{world['y_code']}/unscoped": 200}


def own_links(client: FlaskClient, start: str, depth: int = 2) -> dict[str, int]:
    """Open ``start`` and every link and image under it within ``depth`` clicks; return
    each path (with the real periods, pathways and filters the portal uses) → status."""
    statuses: dict[str, int] = {}
    frontier = [start]
    for level in range(depth + 1):
        following = []
        for path in frontier:
            page = client.get(path)
            statuses[path] = page.status_code
            if level == depth or page.mimetype != "text/html":
                continue
            html = parse(page)
            refs = [a.get("href") for a in html.find_all("a")]
            refs += [img.get("src") for img in html.find_all("img")]
            following += [str(ref) for ref in refs if str(ref or "").startswith(start)]
        frontier = sorted(set(following) - set(statuses))
    return statuses


def test_the_portals_own_links_with_another_providers_code_lead_nowhere(
    app: Flask, world: dict[str, object]
) -> None:
    staff = make_staff(app, role="provider", organisations=(str(world["x_code"]),))
    client = app.test_client()
    sign_in(client, staff.email, staff.password)
    mine, theirs = f"/provider/{world['x_code']}/", f"/provider/{world['y_code']}/"
    links = own_links(client, mine)
    assert len(links) > 1 and set(links.values()) == {200}, links
    leaks = {}
    for path in links:
        response = client.get(path.replace(mine, theirs, 1))
        body = response.get_data(as_text=True)
        if response.status_code != 404 or str(world["y_name"]) in body:
            leaks[path] = response.status_code
    assert leaks == {}
    if any(".pdf" in path for path in links):  # downloads are audited, refused ones not
        with app.app_context():
            downloads = db.session.scalars(select(AuditEvent.object_id).where(
                AuditEvent.action == "download")).all()
        assert downloads and all(str(world["x_code"]) in obj for obj in downloads)


def test_provider_and_commissioner_users_get_403_on_every_administration_route(
    app: Flask, world: dict[str, object]
) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    admin_rules = staff_rules(app, "/admin/")
    assert len(admin_rules) >= 10
    for role, codes in (("provider", (str(world["x_code"]),)), ("commissioner", ("QX1",))):
        staff = make_staff(app, role=role, organisations=codes)
        client = app.test_client()
        sign_in(client, staff.email, staff.password)
        allowed = {}
        for rule in admin_rules:
            for path in build_paths(app, rule, {}):
                for method in sorted(set(METHODS) & (rule.methods or set())):
                    status = request(client, method, path).status_code
                    if status != 403:
                        allowed[f"{role} {method} {rule.rule}"] = status
        assert allowed == {}


def test_the_staff_home_lists_only_the_users_own_providers(
    app: Flask, world: dict[str, object]
) -> None:
    staff = make_staff(app, role="provider", organisations=(str(world["x_code"]),))
    client = app.test_client()
    sign_in(client, staff.email, staff.password)
    home = client.get("/staff/").get_data(as_text=True)
    assert str(world["x_name"]) in home
    assert str(world["y_name"]) not in home
    assert f"/provider/{world['x_code']}/" in home
