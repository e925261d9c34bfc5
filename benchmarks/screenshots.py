"""Every page of the dashboard in a real browser, in Chinese and in English: a screenshot
(1280×720) of each, and the words a visitor can see on it.

    python benchmarks/screenshots.py [FOLDER]          # default: out/screenshots/ (ignored)

starts ``streamlit run app.py`` on a free localhost port (a fresh cache and rooms file
under FOLDER/.server), opens the Atlas page by deep link in Chinese, walks every page
through the sidebar's navigation (Home's "Try it" button included, a room started on the
Classroom page and joined from the Join page), then switches the language in the sidebar
and walks them again in English. FOLDER gets ``<page>_<lang>.png`` and ``words.txt``
(the visible words of each page, and the Latin-script words found on Chinese pages); the
best screenshots can be copied to ``docs/`` for the README.
``tests/test_browser.py`` walks the same way and fails on English words on Chinese pages.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from serve import chromium, dashboard  # noqa: E402

from ui.i18n import STRINGS  # noqa: E402  (no streamlit call: only the strings)

VIEWPORT = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
JOIN_SENTENCE = {"zh": "我爱你", "en": "I love you"}
# (name, nav title key, heading): the order the sidebar lists the pages in
PAGES = (
    ("home", "home", "app_title"),
    ("atlas", "atlas", "atlas_title"),
    ("transfer", "transfer", "transfer_title"),
    ("classify", "classify", "classify_title"),
    ("learn", "learn", "learn_title"),
    ("export", "export", "export_title"),
    ("classroom", "classroom", "classroom"),
    ("join", "join", "join_title"),
)

# The state of every script run and of every plot: settled when nothing runs, no spinner
# turns and every plotly chart has drawn its SVG.
_STATE = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  const charts = [...document.querySelectorAll("[data-testid='stPlotlyChart']")];
  return {
    script: app ? app.getAttribute('data-test-script-state') : null,
    spinners: document.querySelectorAll("[data-testid='stSpinner']").length,
    charts: charts.length,
    drawn: charts.filter(c => c.querySelector('.js-plotly-plot .main-svg')).length,
  };
}"""

# What a person sees in the main area and the sidebar: text nodes whose element is shown
# (not display:none, visibility:hidden, opacity 0 or font-size 0), CSS ::before/::after
# content (the Chinese uploader words are CSS), and plotly's SVG text (titles, legends,
# axes, annotations). Commands and codes (<code>, <pre>), what visitors typed (<textarea>),
# Material icon ligatures (their text is an icon name) and plotly's hover layer and tool
# bar are left out.
_VISIBLE = """(selectors) => {
  const skip = "code, pre, textarea, script, style, noscript, [data-testid='stIconMaterial'],"
    + " .hoverlayer, .modebar-container, [data-testid='stToolbar']";
  const out = [];
  const shown = (style) => style.display !== 'none';
  const pseudo = (el, which) => {
    const style = getComputedStyle(el, which);
    const content = style.content;
    if (!content || content === 'none' || content === 'normal') return;
    if (style.display === 'none' || parseFloat(style.fontSize) === 0) return;
    const text = content.replace(/^["']|["']$/g, '').trim();
    if (text) out.push(text);
  };
  const walk = (el) => {
    if (el.matches(skip)) return;
    const style = getComputedStyle(el);
    if (!shown(style) || style.opacity === '0') return;
    const ownTextShown = style.visibility !== 'hidden' && parseFloat(style.fontSize) > 0;
    pseudo(el, '::before');
    for (const child of el.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        const text = child.textContent.trim();
        if (text && ownTextShown) out.push(text);
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        walk(child);
      }
    }
    pseudo(el, '::after');
  };
  for (const selector of selectors) {
    for (const root of document.querySelectorAll(selector)) walk(root);
  }
  return out;
}"""

AREAS = ("[data-testid='stMain']", "[data-testid='stSidebar']")
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"


@dataclass
class Visit:
    """One page as a visitor saw it."""

    name: str
    language: str
    texts: list[str]
    errors: list[str]
    url: str
    navigation: list[str] = field(default_factory=list)
    at: float = field(default_factory=time.perf_counter)  # when it was seen


def words(key: str, language: str) -> str:
    return STRINGS[key][language]


def settle(page, timeout_s: float = 240, quiet_s: float = 0.75) -> None:
    """Wait until Streamlit has finished: no script running, no spinner, every plot drawn,
    for ``quiet_s`` in a row (a fragment that refreshes itself runs briefly now and then)."""
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while True:
        state = page.evaluate(_STATE)
        done = (
            state["script"] == "notRunning"
            and state["spinners"] == 0
            and state["drawn"] == state["charts"]
        )
        now = time.monotonic()
        if done:
            quiet_since = quiet_since or now
            if now - quiet_since >= quiet_s:
                return
        else:
            quiet_since = None
        if now > deadline:
            raise TimeoutError(f"{page.url} did not settle: {state}")
        page.wait_for_timeout(150)


def navigation(page) -> list[str]:
    links = page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
    return [link.split("\n")[-1].strip() for link in links]


def heading(page, text: str, timeout_s: float = 240) -> None:
    """Wait for the page's title, then for Streamlit to finish drawing the page."""
    page.locator("h1", has_text=text).first.wait_for(timeout=timeout_s * 1000)
    settle(page, timeout_s)


def look(page, name: str, language: str, shots: Path | None, suffix: str = "") -> Visit:
    """What is on ``page`` now; its screenshot as ``<name><suffix>_<language>.png``."""
    if shots is not None:
        page.screenshot(path=str(shots / f"{name}{suffix}_{language}.png"))
    errors = page.locator(ERRORS).all_inner_texts()
    visit = Visit(name + suffix, language, page.evaluate(_VISIBLE, list(AREAS)), errors, page.url)
    visit.navigation = navigation(page)
    return visit


def go(page, name: str, language: str) -> None:
    """Open ``name`` through the sidebar's navigation link and wait for it."""
    title = dict((n, key) for n, key, _ in PAGES)[name]
    link = page.locator("[data-testid='stSidebarNavLink']", has_text=words(title, language))
    link.first.click()
    page.wait_for_url(re.compile(r"://[^/]+/(\?|$)" if name == "home" else rf"/{name}(\?|$)"))
    heading(page, words(dict((n, h) for n, _, h in PAGES)[name], language))


_DRAG = """([kind]) => {
  const zone = document.querySelector(
    "[data-testid='stSidebar'] [data-testid='stFileUploaderDropzone']");
  const data = new DataTransfer();
  data.items.add(new File(["x"], "x.png", {type: "image/png"}));
  zone.dispatchEvent(new DragEvent(kind, {bubbles: true, cancelable: true, dataTransfer: data}));
}"""


def drag(page, kind: str) -> None:
    """A file dragged over (``dragenter``) or away from (``dragleave``) the sidebar's uploader."""
    page.evaluate(_DRAG, [kind])
    page.wait_for_timeout(300)


def walk(page, url, language, shots, visits: list, first=None, compare=True, recolour="grade"):
    """Every page in ``language``, each added to ``visits`` as it is seen; returns the
    code of the room started on the Classroom page and the exported HTML page.

    ``first``: open this page by deep link first (a fresh server's first visit); else the
    walk starts where ``page`` is. ``compare``: also run the Atlas page's comparison of
    every method, last. ``recolour``: the Transfer page's re-colour method to run
    (``"reinhard"`` takes seconds where the colour grade's optimisation takes a minute).
    """
    if first is not None:
        page.goto(f"{url}/{first}?lang={language}", wait_until="domcontentloaded")
        heading(page, words(dict((n, h) for n, _, h in PAGES)[first], language))
        visits.append(look(page, first, language, shots, "_deep_link"))
    go(page, "home", language)
    visits.append(look(page, "home", language, shots))
    drag(page, "dragenter")  # the sidebar's uploader while a file is dragged over it
    visits.append(look(page, "home", language, None, "_dragging"))
    drag(page, "dragleave")
    # Home's one-click example opens Transfer with 我爱你, in the same language
    page.get_by_role("button", name=words("try_example", language)).click()
    heading(page, words("transfer_title", language))
    visits.append(look(page, "transfer", language, shots, "_try_it"))
    go(page, "atlas", language)
    visits.append(look(page, "atlas", language, shots))
    go(page, "transfer", language)
    if recolour != "grade":
        page.get_by_text(words(f"method_{recolour}", language), exact=True).click()
        settle(page)
    page.get_by_role("button", name=words("run_transfer", language)).click()
    page.locator("[data-testid='stMetric']", has_text="CLIP-I").wait_for(timeout=240_000)
    settle(page)
    visits.append(look(page, "transfer", language, shots))
    go(page, "classify", language)
    page.get_by_role("button", name=words("train_probe", language)).click()
    page.locator("[data-testid='stMetric']", has_text=words("probe_accuracy", language)).wait_for(
        timeout=120_000
    )
    settle(page)
    visits.append(look(page, "classify", language, shots))
    go(page, "learn", language)
    for index, step in enumerate(("step_graph", "step_weights", "step_embedding")):
        page.get_by_role("tab", name=words(step, language)).click()
        settle(page)
        visits.append(look(page, "learn", language, shots, f"_{index + 1}"))
    go(page, "export", language)
    visits.append(look(page, "export", language, shots))
    with page.expect_download() as download:
        page.locator("[data-testid='stDownloadButton'] button", has_text="HTML").click()
    exported = Path(download.value.path()).read_text("utf-8")
    go(page, "classroom", language)
    visits.append(look(page, "classroom", language, shots, "_start"))
    page.get_by_role("button", name=words("start_room", language)).click()
    code = page.locator("[data-testid='stMarkdownContainer'] h1 code").inner_text(timeout=120_000)
    settle(page)
    visits.append(look(page, "classroom", language, shots))
    if not compare:
        return code, exported
    # Last: the comparison's UMAP waits for its compilation, which began with the server
    # (two minutes on two busy cores)
    go(page, "atlas", language)
    expander = page.locator("[data-testid='stExpander'] summary")
    expander.filter(has_text=words("compare_methods", language)).click()
    page.get_by_role("button", name=words("run_comparison", language)).click()
    grid = page.locator("[data-testid='stPlotlyChart']").nth(2)
    grid.wait_for(timeout=300_000)
    settle(page)
    grid.scroll_into_view_if_needed()
    visits.append(look(page, "atlas", language, shots, "_compared"))
    return code, exported


def join(browser, url: str, code: str, language: str, shots: Path | None, visits: list):
    """The Join page on a phone-sized page: before and after sending a sentence."""
    phone = browser.new_page(viewport=PHONE, is_mobile=True)
    phone.goto(f"{url}/join?room={code}&lang={language}", wait_until="domcontentloaded")
    heading(phone, words("join_title", language))
    visits.append(look(phone, "join", language, shots))
    phone.locator("textarea").fill(JOIN_SENTENCE[language])
    phone.wait_for_timeout(300)
    visits.append(look(phone, "join", language, None, "_typing"))  # Streamlit's own hint
    phone.get_by_role("button", name=words("send", language)).click()
    phone.locator("[data-testid='stAlertContentSuccess']").wait_for(timeout=120_000)
    settle(phone)
    visits.append(look(phone, "join", language, shots, "_sent"))
    phone.close()


def switch_language(page, language: str) -> None:
    """The sidebar's language switch."""
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.locator("label", has_text=re.compile(rf"^{re.escape(STRINGS_LANG[language])}$")).click()
    page.wait_for_url(re.compile(rf"lang={language}"))
    settle(page)


STRINGS_LANG = {"en": "English", "zh": "中文"}


def tour(browser, url, shots, visits: list, languages=("zh", "en"), compare=True, recolour="grade"):
    """Both walks on one browser, each page added to ``visits`` as it is seen: the first
    language by deep link, the next after the sidebar's language switch. Returns the
    exported HTML page per language. ``compare``, ``recolour``: see :func:`walk`."""
    exported = {}
    for index, language in enumerate(languages):
        page = browser.new_page(viewport=VIEWPORT)
        if index:
            page.goto(f"{url}/?lang={languages[0]}", wait_until="domcontentloaded")
            heading(page, words("app_title", languages[0]))
            switch_language(page, language)
            heading(page, words("app_title", language))
        first = "atlas" if index == 0 else None
        code, exported[language] = walk(
            page, url, language, shots, visits, first, compare, recolour
        )
        page.close()
        join(browser, url, code, language, shots, visits)
    return exported


# Latin-script words a Chinese page may show: names of methods, models and file formats,
# proper names (of label sets, a colour transfer, a rank correlation), units and symbols.
ALLOWED = {
    *("LLE", "LTSA", "Hessian", "UMAP", "t-SNE", "PCA", "CLIP", "Emo-S", "CLIP-I", "k", "α"),
    *("Ekman", "Mikels", "Parrott", "Reinhard", "Spearman", "English", "README"),
    *("Ctrl", "Enter"),  # keys
    *("CSV", "NPZ", "HTML", "JSON", "zip", "JPEG", "PNG", "WebP", "GIF", "BMP", "TIFF"),
    *("MB", "KB", "GB", "px", "s", "ms", "S"),  # S: S 形曲面, the S-curve
}
FILE = re.compile(r"^[\w.-]+\.(png|jpe?g|webp|gif|bmp|tiff?|zip|csv|npz|html|json)$", re.I)
WORD = re.compile(r"(?<![0-9A-Za-z_])[A-Za-z][A-Za-z0-9]*(?:[-_./@][A-Za-z0-9]+)*")
URL = re.compile(r"https?://\S+")


def model_words() -> set[str]:
    """Names of the models this machine lists, and of their text towers, with their parts."""
    from core.pocket.towers import TOWERS
    from core.registry import list_presets

    names = [spec.name for spec, _ in list_presets()]
    names += [text for tower in TOWERS.values() for text in (tower.title, tower.package)]
    found = set()
    for name in names:
        found.add(name)
        found.update(part for part in re.split(r"[/\s()]+", name) if part)
    return found


def content() -> list[str]:
    """What visitors typed, not what the app says: the example sentences on the pages."""
    from ui.widgets import DEFAULT_TEXTS

    sentences = [*DEFAULT_TEXTS.splitlines(), *JOIN_SENTENCE.values()]
    return sorted({*sentences, *(s[:k] + "…" for s in sentences for k in (11, 23))}, key=len)[::-1]


def latin_words(texts: list[str], allowed: set[str] | None = None) -> list[str]:
    """The Latin-script words of ``texts`` that are not allowed on a Chinese page (in the
    order first seen, each once): the example sentences, addresses and file names aside."""
    allowed = ALLOWED | model_words() if allowed is None else allowed
    sentences = content()
    found: dict[str, None] = {}
    for text in texts:
        text = URL.sub(" ", text)
        for sentence in sentences:
            text = text.replace(sentence, " ")
        for token in text.split():
            if FILE.match(token.strip("()（）,，.。:：;；·")):
                continue
            for word in WORD.findall(token):
                if word not in allowed and not FILE.match(word):
                    found[word] = None
    return list(found)


def write_words(visits: list[Visit], path: Path) -> None:
    """What each page showed, one page a paragraph (error boxes marked)."""
    with open(path, "w", encoding="utf-8") as out:
        for before, visit in zip([None, *visits], visits, strict=False):
            took = f"+{visit.at - before.at:.1f} s" if before else ""
            out.write(f"## {visit.name} ({visit.language}) {visit.url} {took}\n")
            out.write(" | ".join(text.replace("\n", " ⏎ ") for text in visit.texts) + "\n")
            if visit.language != "en":
                out.write(f"LATIN: {', '.join(latin_words(visit.texts))}\n")
            for error in visit.errors:
                out.write(f"ERROR: {error}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(ROOT / "out" / "screenshots"))
    folder = Path(parser.parse_args().folder)
    folder.mkdir(parents=True, exist_ok=True)
    server = folder / ".server"
    server.mkdir(exist_ok=True)
    env = {
        "EMOTION_ATLAS_CACHE": str(server / "cache"),
        "EMOTION_ATLAS_ROOMS": str(server / "rooms.sqlite3"),
    }
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    visits: list[Visit] = []
    try:
        with dashboard(env=env, log=server / "streamlit.log") as (url, _), sync_playwright() as p:
            browser = chromium(p)
            tour(browser, url, folder, visits)
            browser.close()
    finally:
        write_words(visits, folder / "words.txt")
    print(f"{len(visits)} screenshots in {folder} ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
