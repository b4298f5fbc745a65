"""Open a local page in a real headless Chromium (Debian's /usr/bin/chromium) via Playwright."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As root in a container Chromium needs --no-sandbox; the rest keep it off the network.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_missing() -> str | None:
    """Why no browser test can run here, or None."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
    return None


@dataclass
class Visit:
    console_errors: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # every href, resolved to an absolute URL
    texts: dict[str, str] = field(default_factory=dict)  # element id -> visible text
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    followed: str | None = None  # where clicking `click` led


def visit(
    page_file: Path,
    screenshot: Path | None = None,
    ids: tuple[str, ...] = (),
    click: str | None = None,
) -> Visit:
    """Load a file:// page, wait for it to settle, and collect what a test needs; then, given
    a selector to `click`, click it as a person would and note where that led."""
    from playwright.sync_api import sync_playwright

    seen = Visit()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on(
                "console",
                lambda message: (
                    seen.console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.on("pageerror", lambda error: seen.console_errors.append(str(error)))
            page.on("request", lambda request: seen.requests.append(request.url))
            page.goto(page_file.resolve().as_uri(), wait_until="load", timeout=60_000)
            # An SVG link's href is no string: resolve the attribute, as the browser does.
            seen.links = page.eval_on_selector_all(
                "a[href]",
                "nodes => nodes.map(n => new URL(n.getAttribute('href'), document.baseURI).href)",
            )
            seen.texts = {name: page.inner_text(f"#{name}") for name in ids}
            if screenshot:
                page.screenshot(path=str(screenshot), full_page=True)
            if click:
                with page.expect_navigation(wait_until="load", timeout=60_000):
                    page.click(click)
                seen.followed = page.url
        finally:
            browser.close()
    return seen
