"""The frame around every page: navigation, page config, the shared sidebar, presentation.

app.py calls :func:`run_app`. One case needs a page to draw the frame itself: Streamlit
treats an app whose entry script sits beside a ``pages/`` folder as a legacy multipage
app until the entry script has called ``st.navigation`` once in the server process, so
the first request of a fresh server to a deep link such as ``/atlas`` (and every AppTest
run of a page) executes ``pages/atlas.py`` alone. Every page therefore starts with
:func:`ensure_app_frame`: when app.py did not run first in this script run, it calls the
public ``st.navigation`` with the app's own pages (which, as documented, ends the legacy
mode for the process and names the pages in the user's language) and reruns, once per
session, so that the page is drawn through app.py with the widget ids every later run
uses. AppTest runs a page file alone on every run, so there (no server) the frame is
drawn in place each time.
Only public Streamlit API is used.
"""

from __future__ import annotations

import contextlib
import threading
import time

import streamlit as st

from core.imports import IMPORTING
from ui.i18n import current_language, language_switch, t
from ui.uploads import guard as upload_guard
from ui.uploads import served

# Presentation mode: large type for projectors. The sidebar keeps the page links only (its
# settings and Streamlit's chrome go); one button brings everything back.
PRESENTATION_CSS = (
    "<style>html, body, [class*='css'] {font-size: 21px !important;}"
    "h1 {font-size: 3rem !important;}"
    "header, footer, [data-testid='stSidebarUserContent'] {display: none !important;}"
    "[data-testid='stSidebarNav'] a span {font-size: 1.2rem !important;}</style>"
)

# (file, title key, icon, url path); the first is the default page.
PAGES = (
    ("pages/home.py", "home", "🏠", "home"),
    ("pages/atlas.py", "atlas", "🗺️", "atlas"),
    ("pages/transfer.py", "transfer", "🎨", "transfer"),
    ("pages/classify.py", "classify", "🏷️", "classify"),
    ("pages/learn.py", "learn", "🎓", "learn"),
    ("pages/export.py", "export", "📦", "export"),
    ("pages/classroom.py", "classroom", "🏫", "classroom"),
    ("pages/join.py", "join", "📱", "join"),
)
# Streamlit's own words are English whatever the page's language: the uploader's "Upload",
# "100MB per file" and, while a file is dragged over it, "Drag and drop files here"; a
# text box's "Press Enter to apply" ("... to submit form" in a form, Ctrl+Enter or ⌘+Enter
# in a text area). In Chinese they are replaced by CSS (the widgets' own labels and help
# stay, and so does a text box's character count). Every page's frame adds it, so it
# covers every uploader and text box of the app.
UPLOADER_ZH_CSS = (
    "<style>[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p"
    " {font-size: 0 !important;}"
    " [data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after"
    " {content: '上传'; font-size: 0.875rem;}"
    " [data-testid='stFileUploaderDropzoneInstructions'] span {font-size: 0 !important;}"
    " [data-testid='stFileUploaderDropzoneInstructions'] span::after"
    " {content: '每个文件最多 {mb} MB'; font-size: 0.75rem;}"
    " [data-testid='stFileUploaderDropzone'] > div:not([data-testid]):has(> span:only-child)"
    " > span {font-size: 0 !important;}"
    " [data-testid='stFileUploaderDropzone'] > div:not([data-testid]):has(> span:only-child)"
    " > span::after {content: '把文件拖放到这里'; font-size: 0.875rem;}"
    " [data-testid='InputInstructions'] > span:first-child {font-size: 0 !important;}"
    " [data-testid='InputInstructions'] > span:first-child::after"
    " {content: '按 Enter 确认'; font-size: 0.75rem;}"
    " [data-testid='stTextArea'] [data-testid='InputInstructions'] > span:first-child::after"
    " {content: '按 Ctrl/⌘+Enter 确认';}"
    " [data-testid='stForm'] [data-testid='InputInstructions'] > span:first-child::after"
    " {content: '按 Enter 提交';}"
    " [data-testid='stForm'] [data-testid='stTextArea'] [data-testid='InputInstructions']"
    " > span:first-child::after {content: '按 Ctrl/⌘+Enter 提交';}"
    # the header's running indicator: its "Stop" button
    " [data-testid='stStatusWidget'] button {font-size: 0 !important;}"
    " [data-testid='stStatusWidget'] button::after {content: '停止'; font-size: 0.875rem;}</style>"
)

# Pages made for a phone: no sidebar, no navigation, only a language switch.
PHONE_PAGES = {"join"}

PHONE_CSS = (
    "<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'],"
    " header {display: none !important;}"
    " .block-container {padding-top: 1rem !important;}</style>"
)

# Set by app.py for the script run in this thread; a page consumes it. Script runs of one
# session happen in its own thread, one at a time.
_run = threading.local()

# Script runs of all sessions: how many are running, and when the last one ended (what a
# background warm-up waits on, so that it does not slow a user's click: ui.warmup).
_activity = {"running": 0, "ended": time.monotonic()}
_activity_lock = threading.Lock()
# Packages are imported by one thread at a time. Two threads importing scikit-learn,
# pandas or plotly at once can see each other's half-made modules (seen on a fresh server:
# plotly's add_annotation raised AttributeError when a click's run began while the last
# page's run still imported; narwhals' import deadlocked), and with fastReruns a click's
# run starts before the previous run has stopped. So the pages' modules are imported once,
# under this lock (import_page_modules), and a warm-up imports only while holding it (and
# only once no run has been seen for a while: ui.warmup), after the first map's modules.
importing = IMPORTING  # core.imports: shared with the pocket model's image tower
_imported: set[str] = set()
# What the pages import: imported under the lock before a page's first run (Home and
# Atlas draw first and call it themselves), so no page imports them beside another.
ATLAS_MODULES = (  # what the first map needs: the Atlas page, and Home's most likely next
    "pandas",  # Streamlit's tables; plotly and narwhals look it up in sys.modules
    "plotly.io",  # what st.plotly_chart imports on its first chart
    "plotly.tools",
    "core.projection",
    "core.plots",
    "ui.results",
    "ui.comparison",
)
PAGE_MODULES = (
    *ATLAS_MODULES,
    "pyarrow",
    "core.teaching",
    "core.rooms",
    "core.datasets",
    "core.export",
    "ui.collections",
    "ui.classroom",
)
PAGE_EXTRA = {"transfer": ("ui.recolour_panel",)}  # torch: only where a page needs it
DRAW_FIRST = {"home", "atlas"}


def import_page_modules(names: tuple[str, ...] = PAGE_MODULES, status: bool = True) -> None:
    """Import ``names`` once per process, one thread at a time (``status``: say so)."""
    wanted = [name for name in names if name not in _imported]
    if not wanted:
        return
    import importlib

    shown = st.spinner(t("loading_page")) if status else contextlib.nullcontext()
    with importing, shown:  # seconds, once per server
        for name in wanted:
            if name not in _imported:
                module = importlib.import_module(name)
                # plotly makes its figure classes on first use: make them here, too
                getattr(module, "load_figure_classes", lambda: None)()
                _imported.add(name)
    with _activity_lock:  # imports are work: a warm-up's quiet starts after them
        _activity["ended"] = time.monotonic()


def idle_seconds() -> float:
    """Seconds since the server's last script run ended; 0 while one is running."""
    with _activity_lock:
        if _activity["running"]:
            return 0.0
        return time.monotonic() - _activity["ended"]


@contextlib.contextmanager
def _counted_run():
    with _activity_lock:
        _activity["running"] += 1
    try:
        yield
    finally:
        with _activity_lock:
            _activity["running"] -= 1
            _activity["ended"] = time.monotonic()


def navigation():
    """``st.navigation`` over the app's pages, titled in the current language.

    The st.Page objects are made anew in every run: Streamlit marks the chosen one as
    callable, so objects shared between sessions race (measured: errors under 6 users).
    """
    pages = [
        st.Page(path, title=t(title), icon=icon, url_path=url, default=index == 0)
        for index, (path, title, icon, url) in enumerate(PAGES)
    ]
    return st.navigation(pages)


def _uploader_words() -> None:
    if current_language() == "zh":
        mb = st.get_option("server.maxUploadSize")
        st.markdown(UPLOADER_ZH_CSS.replace("{mb}", str(mb)), unsafe_allow_html=True)


def render_phone_frame() -> None:
    """The frame of a phone page: the language switch and nothing else."""
    st.set_page_config(
        page_title=f"{t('app_title')} · {t('join')}", page_icon="📱", layout="centered"
    )
    st.markdown(PHONE_CSS, unsafe_allow_html=True)
    _uploader_words()
    language_switch("collapsed")


def render_frame() -> None:
    st.set_page_config(page_title=t("app_title"), page_icon="🧭", layout="wide")
    # Imported here, not at the top: app.py sends the navigation (st.navigation) before
    # the sidebar's imports (torch, open_clip: seconds on a fresh server) are paid, so the
    # first visitor never sees the raw file names of pages/.
    from ui.sidebar import render_sidebar

    upload_guard()  # before any widget reads its files
    render_sidebar()
    _uploader_words()
    if st.session_state.get("presentation"):
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        st.button(t("leave_presentation"), key="leave_presentation", on_click=_leave)


def _leave() -> None:
    st.session_state["presentation"] = False
    st.session_state["presentation_toggle"] = False


def run_app() -> None:
    """The entry script's body: navigation, the frame, then the chosen page."""
    with _counted_run():
        page = navigation()
        if page.url_path in PHONE_PAGES:
            render_phone_frame()
        else:
            render_frame()
        if page.url_path not in DRAW_FIRST:
            import_page_modules(PAGE_MODULES + PAGE_EXTRA.get(page.url_path, ()))
        _run.framed = True
        try:
            page.run()
        finally:
            _run.framed = False


def ensure_app_frame(phone: bool = False) -> None:
    """First line of every page: draw the frame when app.py did not (see the module notes).
    ``phone``: the page is one of :data:`PHONE_PAGES`."""
    if getattr(_run, "framed", False):
        return
    navigation()  # public API: ends the legacy pages/ mode and names the pages
    if served() and not st.session_state.get("_reframed"):
        # Run again through app.py at once: widgets drawn by this run would carry the
        # legacy page's ids, so the user's first click or upload would be lost (measured:
        # a form's first submit on a fresh server's deep link read as not pressed).
        st.session_state["_reframed"] = True
        if not phone:  # the browser starts loading its plotting code now, not a run later
            from ui.widgets import chart_slot

            chart_slot()
        st.rerun()
    render_phone_frame() if phone else render_frame()
