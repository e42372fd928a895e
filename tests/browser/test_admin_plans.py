"""Floor plans in the back-office (headless Chromium, the real admin under its CSP): an
editor adds a landmark by clicking on the plan, then places a service's spot by clicking on
its plan; the kiosks' next delta carries both.
Screenshots: admin-plan-hotspots.png, admin-service-plan-spot.png."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.browser.test_admin_flow import login
from tests.conftest import demo_data
from tests.support.patience import LIVE_TIMEOUT

pytestmark = pytest.mark.browser


def content(server) -> dict:
    request = urllib.request.Request(f"{server.url}/api/v1/content",
                                     headers={"Authorization": f"Bearer {server.kiosk_token}"})
    with urllib.request.urlopen(request, timeout=LIVE_TIMEOUT) as response:
        body = json.loads(response.read())
    return {(i["kind"], i["data"]["id"]): i["data"] for i in body["items"]}


def click_at(page, selector: str, fx: float, fy: float) -> None:
    image = page.locator(selector)
    image.wait_for(state="visible")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    box = image.bounding_box()
    image.click(position={"x": box["width"] * fx, "y": box["height"] * fy})


def test_an_editor_places_landmarks_and_a_service_spot_by_clicking(browser, server, screenshots):
    context = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    problems: list[str] = []
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    # CSP violations and script errors (a missing favicon is not one: responses cover loads).
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    login(page, server, "editor")
    # A landmark: "new landmark at the next click", a click on the plan, a French name.
    page.goto(f"{server.url}/admin/content/floorplan/?q=rdc")
    page.get_by_role("link", name="Rez-de-chaussée", exact=True).click()
    page.click("text=Nouveau repère au prochain clic")
    click_at(page, ".plan-editor[data-mode=hotspots] .plan-stage img", 0.82, 0.3)
    row = page.locator(".plan-rows tr").last
    row.locator("input[aria-label='libellé en français']").fill("Salle des mariages")
    row.locator("input[aria-label='identifiant du repère']").fill("mariages")
    written = json.loads(page.input_value("textarea[name=hotspots]"))
    assert written[-1]["id"] == "mariages" and written[-1]["label"]["fr"] == "Salle des mariages"
    assert abs(written[-1]["x"] - 0.82) < 0.01 and abs(written[-1]["y"] - 0.3) < 0.01
    assert page.locator(".plan-stage .plan-mark").count() == len(written)
    page.locator(".plan-editor[data-mode=hotspots]").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "admin-plan-hotspots.png"), full_page=False)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    # The service's spot: a click on its plan fills plan_x and plan_y.
    name = next(s["name"]["fr"] for s in demo_data()["services"] if s["id"] == "naissance")
    page.goto(f"{server.url}/admin/content/service/?q=naissance")
    page.get_by_role("link", name=name, exact=True).click()
    assert page.input_value("select[name=plan]") == "rdc"
    click_at(page, ".plan-editor[data-mode=spot] .plan-stage img", 0.25, 0.6)
    x, y = float(page.input_value("#id_plan_x")), float(page.input_value("#id_plan_y"))
    assert abs(x - 0.25) < 0.01 and abs(y - 0.6) < 0.01
    assert page.locator(".plan-editor[data-mode=spot] .plan-spot").count() == 1
    page.locator(".plan-editor[data-mode=spot]").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "admin-service-plan-spot.png"), full_page=False)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert problems == []
    context.close()
    held = content(server)
    assert (held[("service", "naissance")]["plan_x"], held[("service", "naissance")]["plan_y"]) == (x, y)
    assert held[("plan", "rdc")]["hotspots"][-1]["id"] == "mariages"
