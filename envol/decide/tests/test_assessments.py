"""The eight questions: sourced defaults (to review when older than a year, by an injected
date), overrides, history kept and compared; weights; the proposal and the signed decision."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from envol.decide import assessments, decision
from envol.decide.defaults import DEFAULTS, is_stale
from envol.decide.models import Decision
from envol.decide.networks import NETWORK_CODES
from envol.decide.questions import QUESTIONS
from envol.decide.tests.conftest import MARCH, seed_roi_fixture, user
from envol.orgs.models import AuditEvent, Organisation, Role

pytestmark = pytest.mark.django_db


def test_every_network_has_eight_sourced_dated_defaults() -> None:
    assert set(DEFAULTS) == set(NETWORK_CODES)
    for network, answers in DEFAULTS.items():
        assert sorted(answers) == [q.number for q in QUESTIONS], network
        for number, default in answers.items():
            assert default.en and default.fr, (network, number)
            assert default.score is None or 0 <= default.score <= 4
            if default.score is not None:  # a score always stands on a public source
                assert default.sources, (network, number)
            assert all(s.startswith("https://") for s in default.sources)
        assert answers[1].score is None  # audience presence depends on the organisation


def test_to_review_depends_on_the_injected_date() -> None:
    dated = date(2024, 3, 12)
    assert not is_stale(dated, date(2025, 3, 12))
    assert is_stale(dated, date(2025, 3, 14))


def test_defaults_then_overrides_then_history(org: Organisation) -> None:
    alice = user(org, "alice@rennes.test", Role.EDITOR)
    first = assessments.prefill(org, "mastodon", "fr")
    assert first[4].from_default and first[4].score == 4  # question 5: moving followers
    assert "migration" in first[4].comment.lower()
    saved = assessments.save_assessment(
        org,
        "mastodon",
        date(2024, 4, 1),
        {1: {"score": 3, "comment": "Nos habitants y sont"}},
        actor=alice,
        lang="fr",
    )
    answers = assessments.answers_of(saved, today=date(2024, 5, 1))
    assert answers[0].score == 3 and not answers[0].from_default
    assert answers[4].from_default and not answers[4].to_review
    later = assessments.answers_of(saved, today=date(2025, 12, 1))
    assert later[4].to_review  # the default is dated 2024-10-01: older than a year by then
    # The next assessment starts from the team's, not from envol's defaults.
    assert assessments.prefill(org, "mastodon")[0].score == 3
    second = assessments.save_assessment(
        org, "mastodon", date(2025, 4, 1), {1: {"score": 4}, 4: {"score": 2}}, actor=alice
    )
    changes = assessments.compare(second, saved)
    assert [(c.question.number, c.before, c.after, c.delta) for c in changes[:4]] == [
        (1, 3, 4, 1),
        (2, 3, 3, 0),
        (3, 3, 3, 0),
        (4, 3, 2, -1),
    ]
    assert org.assessments.count() == 2
    with pytest.raises(assessments.AssessmentError):
        assessments.save_assessment(org, "x", date(2025, 4, 1), {2: {"sources": "javascript:1"}})


def test_assessment_pages(org: Organisation, clients: dict[str, Client]) -> None:
    editor = clients[Role.EDITOR]
    form = editor.get(f"/o/{org.slug}/decide/questions/bluesky/new/").content.decode()
    assert "atproto.com/guides/account-migration" in form
    data = {"assessed_on": "2025-03-20", "note": ""}
    for q in QUESTIONS:
        data |= {f"score{q.number}": "3", f"comment{q.number}": "ok", f"sources{q.number}": ""}
    done = editor.post(f"/o/{org.slug}/decide/questions/bluesky/new/", data)
    assert done.status_code == 302
    page = clients[Role.VIEWER].get(done["Location"]).content.decode()
    assert "3/4" in page and f"/o/{org.slug}/decide/roi/" in page  # questions 1 and 4 link
    assert clients[Role.VIEWER].get(f"/o/{org.slug}/decide/questions/x/new/").status_code == 404
    weights = {f"w{q.number}": "1" for q in QUESTIONS} | {"w3": "2"}
    assert clients[Role.EDITOR].post(f"/o/{org.slug}/decide/questions/", weights).status_code == 404
    clients[Role.ADMIN].post(f"/o/{org.slug}/decide/questions/", weights)
    assert assessments.weights(org)[3] == 2.0


@pytest.fixture
def english() -> object:
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.mark.usefixtures("english")
def test_proposal_rule_by_hand() -> None:
    # overall 3.2, ROI high (+0.5) → 3.7 → invest; values fine
    assert decision.propose(3.0, 3.0, 3.2, "high")[0] == "invest"
    # overall 2.6, ROI low (−0.5) → 2.1 → maintain
    assert decision.propose(3.0, 2.0, 2.6, "low")[0] == "maintain"
    # overall 3.5 but values 1.2 (< 1.5): never invest
    proposed, reasons = decision.propose(1.2, 4.0, 3.5, "middle")
    assert proposed == "maintain" and any("Values too far" in str(r) for r in reasons)
    # overall 1.0, ROI unknown → leave, keeping the account dormant (never close)
    proposed, reasons = decision.propose(0.5, 1.0, 1.0, "unknown")
    assert proposed == "dormant" and any("dormant" in str(r) for r in reasons)
    assert decision.propose(None, None, None, "high")[0] is None
    # overall 3.8 with nothing measured → at most maintain
    proposed, reasons = decision.propose(3.8, 3.0, 3.8, "unknown")
    assert proposed == "maintain" and any("measure before" in str(r) for r in reasons)


def test_sheet_proposes_and_a_person_signs(
    org: Organisation, clients: dict[str, Client], tmp_path: Path
) -> None:
    people = seed_roi_fixture(org, tmp_path)
    assessments.save_assessment(
        org, "x", date(2025, 3, 1), {n: {"score": 0} for n in range(1, 9)}, lang="en"
    )
    sheets = {s.network: s for s in decision.sheets(org, *MARCH)}
    # X: 40 engagements/h against a median of 22.9 (X 40, Bluesky 5.9) → high, but scores 0.
    assert sheets["x"].roi_position == "high" and sheets["x"].proposed == "dormant"
    assert "bluesky" in sheets and sheets["bluesky"].proposed is None
    url = f"/o/{org.slug}/decide/networks/x/?start=2025-03-01&end=2025-03-31"
    page = clients[Role.VIEWER].get(url).content.decode()
    assert "AMEC" in page and "Barcelone" in page and 'name="rationale"' not in page
    assert clients[Role.VIEWER].post(url, {"choice": "reduce"}).status_code == 404
    empty = clients[Role.EDITOR].post(url, {"choice": "reduce", "rationale": " "})
    assert empty.status_code == 200 and not Decision.objects.exists()
    clients[Role.EDITOR].post(url, {"choice": "dormant", "rationale": "Nos publics sont partis."})
    signed = Decision.objects.get()
    assert (signed.choice, signed.proposed, signed.signed_by.username) == (
        "dormant",
        "dormant",
        "editor@rennes.test",
    )
    assert signed.figures["roi"]["hours"] == 15
    assert AuditEvent.objects.filter(action="decide.decision.sign").count() == 1
    decision.sign(
        org,
        "x",
        choice="reduce",
        rationale="Maintien minimal.",
        start=MARCH[0],
        end=MARCH[1],
        actor=people["alice"],
        now=timezone.make_aware(datetime(2025, 4, 2)),
    )
    assert org.decisions.count() == 2  # history kept


def test_scenarios_give_a_range_when_data_is_thin(org: Organisation, tmp_path: Path) -> None:
    from decimal import Decimal

    seed_roi_fixture(org, tmp_path)
    scenario = decision.save_scenario(org, "x", "bluesky", Decimal(10))
    result = decision.evaluate(scenario, date(2025, 2, 1), date(2025, 3, 31))
    gains = {p.figure: p for p in result.gains}
    # Bluesky: one measured month (March: 47 engagements for 8 h) → range only, ±50 %.
    engagements = gains["engagements"]
    assert engagements.samples == 1 and engagements.central is None
    assert engagements.low == pytest.approx(10 * 47 / 8 * 0.5)
    assert engagements.high == pytest.approx(10 * 47 / 8 * 1.5)
    assert gains["views"].low is None  # Bluesky gives no views
    losses = {p.figure: p for p in result.losses}
    # X: February 777 views / 3 h, March 15,000 / 15 h: two months, still a range.
    assert losses["views"].samples == 2 and losses["views"].central is None
    assert losses["views"].low == pytest.approx(10 * 777 / 3 * 0.5)
    assert result.few_data
    with pytest.raises(decision.DecisionError):
        decision.save_scenario(org, "x", "x", Decimal(1))


def test_scenario_central_figure_with_three_months() -> None:
    from envol.decide.roi import NetworkROI, PeriodROI

    months = [
        PeriodROI(
            date(2025, m, 1),
            date(2025, m, 28),
            {"youtube": NetworkROI("youtube", hours=h, views=v)},
        )
        for m, h, v in ((1, 10, 1000), (2, 5, 1000), (3, 5, 250))
    ]
    projection = decision.project(months, "youtube", "views", 4)
    # pooled: 2250 / 20 h = 112.5/h → 450; months: 100, 200, 50 per hour
    assert projection.central == pytest.approx(450)
    assert (projection.low, projection.high) == (pytest.approx(200), pytest.approx(800))
