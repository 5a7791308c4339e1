"""axe-core in Playwright pages without loosening the CSP.

The page's CSP allows scripts from 'self' only, so axe (tests/browser/vendor/axe.min.js,
pinned in that folder's vendor.lock.json) is served from the page's own origin by a
Playwright route on a path the app does not have, and added as a <script src>: the CSP
stays as strict as in production, and the page's own CSP check keeps working.

    from tests.browser.a11y import assert_accessible
    assert_accessible(page)                       # serious or critical violations fail
    violations(page, impacts=("moderate", ...))   # the raw list, for a report
"""
from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_PATH = "/__test-only__/axe.min.js"
FAILING = ("serious", "critical")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "")
                                        .replace(/\\s+/g, " ").slice(0, 200)),
  }));
}"""


def _serve_axe(page) -> None:
    if getattr(page, "_axe_routed", False):
        return
    page.route(f"**{AXE_PATH}", lambda route: route.fulfill(
        path=str(AXE), content_type="application/javascript; charset=utf-8"))
    page._axe_routed = True


def violations(page, impacts=FAILING) -> list[dict]:
    """axe's violations of the current page with one of these impacts."""
    _serve_axe(page)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_PATH)
        page.wait_for_function("() => typeof window.axe !== 'undefined'")
    return [v for v in page.evaluate(_RUN, TAGS) if v["impact"] in impacts]


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        lines.extend(f"      {node}" for node in v["nodes"])
    return "\n".join(lines)


def assert_accessible(page, where: str = "") -> None:
    found = violations(page)
    assert not found, f"axe: {where or page.url}\n{describe(found)}"
