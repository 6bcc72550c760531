"""French for the few texts Streamlit 1.67 draws in English and lets no app change.

Streamlit has no localisation setting (streamlit/streamlit#1353, #10380) and no parameter
for the file uploader's texts (#13500, open): these rules swap the English text for French
in CSS, keyed on Streamlit's `data-testid` attributes. Everything Streamlit does let us set
(labels, `placeholder=`, `format=` on dates, `enter_to_submit=`) is set in the widgets.

- File uploader: the "Upload" button and "10MB per file • PDF" instructions. The button's
  own text is shrunk to 0 px, not removed, so the button keeps an accessible name (axe
  "button-name"); "Parcourir" is drawn over it.
- Select boxes: "No results" when the typed text matches no option.
- Date fields: the "dd / mm / yyyy" placeholders (react-aria's English ones) become "jj / mm / aaaa";
  time fields: "HH : mm" becomes "hh : mm".
- Text inputs: the "Press Enter to submit form / to apply" hints are not drawn.
- Element toolbars (tables, charts): their tooltips are English ("Download as CSV",
  "Search", "Fullscreen", "Show/hide columns") and cannot be translated; every table has
  its own French "Télécharger (CSV)" button, so the toolbar is not drawn.

One layout rule rides along: links in the page body (the action lists of Mon département)
wrap instead of being cut with "…" on a phone, and read as links (bleu France, underlined).
"""

from __future__ import annotations

import streamlit as st

_SWAP = "display:none"
FRENCH_CSS = f"""<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{font-size:0}}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {{
  content:"Parcourir";font-size:.875rem}}
[data-testid="stFileUploaderDropzoneInstructions"] span {{{_SWAP}}}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{
  content:"Glissez le fichier ici ou cliquez sur « Parcourir » (10 Mo maximum)";font-size:.875rem}}
[role="listbox"][data-empty="true"] span {{{_SWAP}}}
[role="listbox"][data-empty="true"]::after {{content:"Aucun résultat";display:block;padding:.5rem 1rem}}
[role="spinbutton"][data-placeholder="true"] {{font-size:0}}
[role="spinbutton"][data-placeholder="true"]::before {{font-size:.875rem}}
[role="spinbutton"][data-placeholder="true"][data-type="day"]::before {{content:"jj"}}
[role="spinbutton"][data-placeholder="true"][data-type="month"]::before {{content:"mm"}}
[role="spinbutton"][data-placeholder="true"][data-type="year"]::before {{content:"aaaa"}}
[role="spinbutton"][data-placeholder="true"][data-type="hour"]::before {{content:"hh"}}
[role="spinbutton"][data-placeholder="true"][data-type="minute"]::before {{content:"mm"}}
[data-testid="InputInstructions"] {{{_SWAP}}}
[data-testid="stElementToolbar"] {{{_SWAP}}}
[data-testid="stMain"] [data-testid^="stPageLink"] * {{white-space:normal;overflow:visible;text-overflow:clip}}
[class*="st-key-todo_"] [data-testid^="stPageLink"] p {{color:#000091;text-decoration:underline}}
</style>"""


# Enter in a date or time field applies it: Streamlit applies a typed date only when focus
# lands on another element outside the field (neither Enter, nor a plain blur(), nor its own
# calendar button do), so Enter moves focus to a hidden, focusable span. Installed once per
# browser tab (st.html with unsafe_allow_javascript, Streamlit 1.67).
ENTER_APPLIES_JS = """<script>
if (!window.q2030EnterApplies) {
  window.q2030EnterApplies = true;
  document.addEventListener("keydown", (event) => {
    const field = event.key === "Enter" && event.target.closest
      && event.target.closest('[data-testid="stDateInput"], [data-testid="stTimeInput"]');
    if (field) {  // focus leaves the field for an element outside it: the field applies its value
      let away = document.getElementById("q2030-enter-applies");
      if (!away) {
        away = document.createElement("span");
        away.id = "q2030-enter-applies";
        away.tabIndex = -1;
        document.body.appendChild(away);
      }
      away.focus();
      // Then back to the field's calendar button, so Tab goes on from where the user was.
      const back = field.querySelector('[data-testid="stDateInputCalendarButton"]');
      if (back) { setTimeout(() => back.focus(), 50); }
    }
  }, true);
}
</script>"""


def apply() -> None:
    """Draw the rules (a style-only st.html takes no room on the page) and the Enter key script."""
    st.html(FRENCH_CSS)
    st.html(ENTER_APPLIES_JS, unsafe_allow_javascript=True)
