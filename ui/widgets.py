"""Small widgets several pages share."""

from __future__ import annotations

import streamlit as st

from core import defaults
from ui.i18n import t

DEFAULT_TEXTS = "\n".join(defaults.ATLAS_SENTENCES)
TEXTS_KEY = "atlas_texts"  # not a widget key: survives pages that do not show the box


def parse_texts(raw: str) -> tuple[str, ...]:
    """One sentence per line, empty lines and repeats dropped, at most MAX_TEXTS."""
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    return tuple(dict.fromkeys(lines))[: defaults.MAX_TEXTS]


def current_texts() -> tuple[str, ...]:
    """The Atlas page's sentences, also when another page is showing."""
    return parse_texts(st.session_state.get(TEXTS_KEY, DEFAULT_TEXTS))


def texts_box() -> tuple[str, ...]:
    """The multi-line text box of the Atlas page; what it holds outlives a page switch."""
    raw = st.text_area(
        t("texts"),
        st.session_state.get(TEXTS_KEY, DEFAULT_TEXTS),
        key="texts",
        height=150,
        help=t("texts_help"),
    )
    st.session_state[TEXTS_KEY] = raw
    if len({line.strip() for line in raw.splitlines()} - {""}) > defaults.MAX_TEXTS:
        st.warning(t("too_many_texts").format(limit=defaults.MAX_TEXTS))
    return parse_texts(raw)


SENTENCE_KEY = "transfer_sentence"  # the Transfer page's sentence, across pages
DEFAULT_SENTENCE = defaults.TRANSFER_SENTENCE


def sentence_box(label: str, max_chars: int) -> str:
    """The Transfer page's sentence box; what it holds outlives a page switch (Home's
    "Try it" button sets :data:`SENTENCE_KEY`)."""
    text = st.text_input(
        label, st.session_state.get(SENTENCE_KEY, DEFAULT_SENTENCE), key="transfer_text"
    )
    st.session_state[SENTENCE_KEY] = text
    # No max_chars on the widget: the browser then dropped a longer paste altogether, and
    # the page said "Type a sentence first". The start is kept, and the user is told.
    if len(text.strip()) > max_chars:
        st.warning(t("sentence_cut").format(limit=max_chars, length=len(text.strip())))
    return text.strip()[:max_chars]


def following_choice(key: str, options, follows: tuple, default) -> None:
    """Make the select box ``key`` follow ``follows`` (e.g. the sentence): set it to
    ``default`` whenever ``follows`` changes; otherwise keep the user's own choice, also
    across a page switch. Call it just before creating the widget (its state then holds
    the user's latest pick, which is what is remembered)."""
    memory_key = f"{key}__follows"
    memory = st.session_state.get(memory_key)
    if memory is None or memory[0] != follows:
        st.session_state[key] = default
    elif st.session_state.get(key) not in options:  # the widget was cleared by a page switch
        st.session_state[key] = memory[1] if memory[1] in options else default
    st.session_state[memory_key] = (follows, st.session_state[key])


def show_item(ctx, atlas, row: int) -> None:
    """The picture or text of one atlas row, with its top emotion."""
    name = atlas.embeddings.names[row]
    top = ctx.label_name(atlas.top[row])
    if atlas.embeddings.kinds[row] == "image":
        st.image(
            ctx.collection.pictures[name], caption=f"{ctx.picture_name(name)} · {top}", width=160
        )
    else:
        st.text(name)  # a sentence is shown as text, never as Markdown
        st.markdown(f"**{top}**")


PRESENTATION_TEXT = 1.45  # plot text in presentation mode, times its usual size


CHARTS_SHOWN = "_charts_shown"  # this session's browser has drawn a chart (has the code)


def chart(figure, into=None, **kwargs):
    """``st.plotly_chart`` (in ``into``, e.g. a :func:`chart_slot`) that, in presentation
    mode, draws the figure's text :data:`PRESENTATION_TEXT` times larger (a scaled copy:
    cached figures stay as they are)."""
    if st.session_state.get("presentation"):
        from core.plots import scaled_text

        figure = scaled_text(figure, PRESENTATION_TEXT)
    st.session_state[CHARTS_SHOWN] = True
    return (into or st).plotly_chart(figure, **kwargs)


def chart_slot(height: int = 600):
    """A place for a chart that is still being computed. On a session's first page it
    shows an empty frame saying so: the browser then loads its plotting code (4.7 MB of
    JavaScript, about 2.5 s on two cores) while the server works, not after."""
    slot = st.empty()
    if not st.session_state.get(CHARTS_SHOWN):
        from ui.frame import import_page_modules

        # plotly imports its classes as a first figure needs them, and looks pandas up as
        # it goes: never beside another thread's imports (ui.frame.import_page_modules)
        import_page_modules(("pandas", "plotly.io", "plotly.tools", "core.plots"), status=False)
        from core.plots import waiting_figure

        figure = waiting_figure(t("drawing_map"), height)
        slot.plotly_chart(figure, config={"staticPlot": True})
    return slot
