"""Small widgets several pages share."""

from __future__ import annotations

import streamlit as st

from ui.i18n import t

DEFAULT_TEXTS = (
    "我爱你\nI love you\nour dog died this morning\n航空公司弄丢了我的行李\n好开心，终于放假了"
)
MAX_TEXTS = 50


def texts_box() -> tuple[str, ...]:
    """The multi-line text box; one sentence per line, empty lines ignored."""
    raw = st.text_area(t("texts"), DEFAULT_TEXTS, key="texts", height=150, help=t("texts_help"))
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if len(lines) > MAX_TEXTS:
        st.warning(t("too_many_texts").format(limit=MAX_TEXTS))
        lines = lines[:MAX_TEXTS]
    return tuple(dict.fromkeys(lines))


def show_item(ctx, atlas, row: int) -> None:
    """The picture or text of one atlas row, with its top emotion."""
    name = atlas.embeddings.names[row]
    top = ctx.label_name(atlas.top[row])
    if atlas.embeddings.kinds[row] == "image":
        st.image(ctx.collection.pictures[name], caption=f"{name} · {top}", width=160)
    else:
        st.markdown(f"> {name}\n\n**{top}**")
