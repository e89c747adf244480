"""The file uploader speaks the page's language: the style sheet that writes its words
(sitrep/ui/uploader_text.py) against the Streamlit build installed, and in real Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit

from sitrep import i18n
from sitrep.ui.uploader_text import uploader_css


def t_for(lang):
    return lambda key, **values: i18n.t(key, lang, **values)


def test_css_writes_the_words_in_each_language():
    zh = uploader_css(t_for("zh"), "zh", max_upload_mb=1024, types=["csv", "xlsx"])
    assert 'content: "选择文件"' in zh and 'content: "每个文件不超过1 GB · CSV、XLSX"' in zh
    assert 'content: "松开鼠标即可放入文件"' in zh
    en = uploader_css(t_for("en"), "en", max_upload_mb=200, types=["csv", "xlsx"])
    assert 'content: "Up to 200 MB per file · CSV, XLSX"' in en


def test_the_test_ids_it_relies_on_are_in_the_installed_streamlit():
    # the English words sit in the dropzone parts these ids name; an upgrade that renames them fails here
    bundles = list((Path(streamlit.__file__).parent / "static" / "static" / "js").glob("FileUploader*.js"))
    assert bundles
    js = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in bundles)
    for test_id in ("stFileUploaderDropzone", "stFileUploaderDropzoneInstructions"):
        assert f"`{test_id}`" in js
    assert "per file`" in js and "label:l?`Upload directories`:`Upload`" in js


@pytest.mark.browser
def test_the_data_page_uploader_reads_chinese_in_chromium(server, watched_page):
    from conftest import wait_for_app

    p = watched_page.page
    p.goto(f"{server}/data?lang=zh", wait_until="domcontentloaded")
    wait_for_app(p)
    p.wait_for_selector('[data-testid="stFileUploaderDropzone"] button', timeout=30_000)
    # st.html fills in its style sheet just after the elements mount
    p.wait_for_function("""() => getComputedStyle(document.querySelector('[data-testid="stFileUploaderDropzone"] button'),
                                                  '::after').content !== 'none'""", timeout=10_000)
    shown = p.evaluate("""() => {
        const after = (sel) => getComputedStyle(document.querySelector(sel), '::after').content;
        const visible = (el) => el.offsetParent !== null && getComputedStyle(el).fontSize !== '0px';
        const english = [...document.querySelectorAll('[data-testid="stFileUploaderDropzone"] *')]
            .filter((el) => el.children.length === 0 && visible(el) && /[A-Za-z]{3,}/.test(el.textContent || ''))
            .map((el) => el.textContent);
        return {button: after('[data-testid="stFileUploaderDropzone"] button'),
                limits: after('[data-testid="stFileUploaderDropzoneInstructions"] > div'), english};
    }""")
    assert shown["button"] == '"选择文件"', shown
    assert shown["limits"].startswith('"每个文件不超过1 GB · CSV、TXT、XLSX')
    assert shown["english"] == []
    # a file dragged over the dropzone: its overlay ("Drag and drop files here") reads Chinese too
    files = p.evaluate_handle("""() => { const dt = new DataTransfer();
        dt.items.add(new File(['a'], 'a.csv', {type: 'text/csv'})); return dt; }""")
    p.dispatch_event('[data-testid="stFileUploaderDropzone"]', "dragenter", {"dataTransfer": files})
    overlay = '[data-testid="stFileUploaderDropzone"] > input + div:not([data-testid])'
    p.wait_for_selector(overlay, timeout=5_000)
    dragged = p.evaluate("""(sel) => {
        const ov = document.querySelector(sel);
        const visible = [...ov.querySelectorAll('*')].filter((el) => el.offsetParent !== null && el.textContent);
        return {after: getComputedStyle(ov, '::after').content, english: visible.map((el) => el.textContent),
                raw: ov.textContent};
    }""", overlay)
    assert dragged["raw"] == "Drag and drop files here"  # Streamlit's words are there, hidden
    assert dragged["after"] == '"松开鼠标即可放入文件"' and dragged["english"] == []
    watched_page.assert_clean()
