"""The file uploader's own words in the page's language.

Streamlit 1.67's st.file_uploader writes "Upload", "Drag and drop files here" and "1GB per file •
CSV, TXT, …" in English and has no parameter for them (streamlit/streamlit#13500, open). Its
dropzone parts carry stable test ids (stFileUploaderDropzone, stFileUploaderDropzoneInstructions):
this style sheet hides those English words and writes the language's in their place with CSS
generated content, so nothing but the text changes (the button still opens the file chooser and
the drop target still takes files).
"""

from __future__ import annotations

from sitrep import l10n

DROPZONE = '[data-testid="stFileUploaderDropzone"]'
INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"]'


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def uploader_css(t, lang: str, *, max_upload_mb: int, types: list[str]) -> str:
    """A <style> block for the page: the button, the limits line and the drag overlay of every file
    uploader on it, in the language of ``t`` (a key -> text function, e.g. View.t)."""
    size = (l10n.number(max_upload_mb / 1024, lang, 0 if max_upload_mb % 1024 == 0 else 1) + " GB"
            if max_upload_mb >= 1024 else l10n.number(max_upload_mb, lang) + " MB")
    sep = "、" if lang == "zh" else ", "
    limits = t("data.uploader.limits", size=size, types=sep.join(x.upper() for x in types))
    return f"""<style>
{DROPZONE} button {{ font-size: 0 !important; }}
{DROPZONE} button * {{ display: none !important; }}
{DROPZONE} button::after {{ content: {_css_string(t("data.uploader.button"))}; font-size: 14px; }}
{INSTRUCTIONS} span {{ display: none !important; }}
{INSTRUCTIONS} > div::after {{ content: {_css_string(limits)}; font-size: 14px; opacity: 0.7; }}
{DROPZONE} > input + div:not([data-testid]) * {{ display: none !important; }}
{DROPZONE} > input + div:not([data-testid])::after {{ content: {_css_string(t("data.uploader.drop"))};
  font-size: 16px; }}
</style>"""
