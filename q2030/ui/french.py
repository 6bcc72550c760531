"""French for the texts Streamlit 1.67 draws in English and lets no app change, for eyes and ears.

Streamlit has no localisation setting (streamlit/streamlit#1353, #10380) and no parameter
for the file uploader's texts (#13500, open). Everything Streamlit does let us set (labels,
`placeholder=`, `format=` on dates, `enter_to_submit=`) is set in the widgets; the rest is
rewritten **in the DOM** by a small script (FRENCH_DOM_JS, a MutationObserver), so that the
accessibility tree, not only the pixels, is French: the uploader's « Upload » button and its
instructions, « Help for … » buttons, « Choose date », the date segments' « day, … » names and
« dd / yyyy » placeholders, « Open » / « Collapse sidebar », toolbar and chart names, and the pick
lists of the contribution grid (« Select… », « No options », what they say to screen readers).

CSS is left for what is hidden: the "Press Enter to submit form / to apply" hints and the element
toolbars of tables and charts (every table has its own French "Télécharger (CSV)" button).

One layout rule rides along: links in the page body (the action lists of Mon département)
wrap instead of being cut with "…" on a phone, and read as links (bleu France, underlined).
"""

from __future__ import annotations

import streamlit as st

_SWAP = "display:none"
FRENCH_CSS = f"""<style>
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


# Accessible names in French, in the DOM itself (what screen readers say), not only on screen:
# Streamlit and its components write English aria-label / title / placeholder attributes and a
# few English text nodes; a MutationObserver rewrites them as soon as they appear (once per tab).
FRENCH_DOM_JS = """<script>
if (!window.q2030FrenchDom) {
  window.q2030FrenchDom = true;
  const exact = {
    "Choose date": "Choisir une date", "Collapse sidebar": "Replier la barre latérale",
    "Expand sidebar": "Déplier la barre latérale", "Skip to main content": "Aller au contenu principal",
    "Link to heading": "Lien vers ce titre", "Open": "Ouvrir", "Close": "Fermer", "Clear all": "Tout effacer",
    "Clear": "Effacer", "Increment": "Augmenter", "Decrement": "Diminuer", "file upload": "Déposer un fichier",
    "Copy to clipboard": "Copier dans le presse-papiers", "Download as CSV": "Télécharger en CSV",
    "Search": "Rechercher", "Fullscreen": "Plein écran", "Close fullscreen": "Quitter le plein écran",
    "Show/hide columns": "Afficher ou masquer des colonnes", "Show data": "Afficher les données",
    "Copy Vega-Lite spec": "Copier la description du graphique", "Download as PNG": "Télécharger en PNG",
    "Download as SVG": "Télécharger en SVG", "Vega visualization": "Graphique",
    "Choose an option": "Choisir…", "Choose options": "Choisir…", "Select...": "Choisir…",
    "Previous month": "Mois précédent", "Next month": "Mois suivant", "Close menu": "Fermer le menu",
    "Main menu": "Menu principal", "Sidebar": "Barre latérale", "Delete": "Supprimer", "Remove": "Retirer",
    "Add row": "Ajouter une ligne", "Delete row": "Supprimer la ligne", "Delete rows": "Supprimer les lignes",
  };
  const patterns = [
    [/^Help for (.*)$/, "Aide : $1"], [/^Choose date, (.*)$/, "Choisir une date, $1"],
    [/^day, (.*)$/, "jour, $1"], [/^month, (.*)$/, "mois, $1"], [/^year, (.*)$/, "année, $1"],
    [/^hour, (.*)$/, "heure, $1"], [/^minute, (.*)$/, "minute, $1"],
    [/^Delete (.*)$/, "Retirer $1"], [/^Remove (.*)$/, "Retirer $1"],
  ];
  const texts = {
    "Upload": "Parcourir", "Browse files": "Parcourir", "No results": "Aucun résultat",
    "Drag and drop file here": "Glissez le fichier ici ou cliquez sur « Parcourir »",
    "Drag and drop files here": "Glissez les fichiers ici ou cliquez sur « Parcourir »",
    "dd": "jj", "yyyy": "aaaa", "HH": "hh", "Skip to main content": "Aller au contenu principal",
    "Select...": "Choisir…", "No options": "Aucun choix", "Loading...": "Chargement…",
    "Please fill out this cell.": "Cellule à remplir.", "⚠️ Please fill out this cell.": "⚠️ Cellule à remplir.",
    ["Use Up and Down to choose options, press Enter to select the currently focused option, press Escape to exit "
      + "the menu, press Tab to select the option and exit the menu."]:
      "Flèches haut et bas : parcourir les choix ; Entrée : choisir ; Échap : fermer la liste ; "
      + "Tab : choisir et passer à la cellule suivante.",
  };
  // The pick lists of the contribution grid (react-select) speak to screen readers in English.
  const textPatterns = [
    [/^(\\d+) results? available(?: for search term (.*))?\\.$/, (m, n, term) =>
      `${n} choix disponible${n === "1" ? "" : "s"}${term ? ` pour « ${term} »` : ""}.`],
    [/^option (.*) focused(, disabled)?, (\\d+) of (\\d+)\\.$/, (m, option, off, i, n) =>
      `option ${option}${off ? ", indisponible" : ""}, ${i} sur ${n}.`],
    [/^option (.*), selected\\.$/, (m, option) => `option ${option} choisie.`],
    [/^option (.*), deselected\\.$/, (m, option) => `option ${option} retirée.`],
    [/^Select is focused.*$/, () => "Liste de choix : tapez pour filtrer, flèche bas pour ouvrir la liste."],
    [/^Choose date, (.*)$/, (m, month) => `Choisir une date, ${month}`],  // the open calendar's name
  ];
  const french = (value) => {
    if (Object.prototype.hasOwnProperty.call(exact, value)) return exact[value];
    for (const [pattern, replacement] of patterns) {
      if (pattern.test(value)) return value.replace(pattern, replacement);
    }
    const limit = /^(?:Limit )?(\\d+)MB per file(?: • (.*))?$/.exec(value);
    if (limit) return `${limit[1]} Mo maximum par fichier` + (limit[2] ? ` · ${limit[2]}` : "");
    return null;
  };
  const ATTRIBUTES = ["aria-label", "title", "placeholder", "aria-roledescription"];
  const fixElement = (el) => {
    for (const name of ATTRIBUTES) {
      const value = el.getAttribute && el.getAttribute(name);
      if (value) { const fixed = french(value); if (fixed !== null && fixed !== value) el.setAttribute(name, fixed); }
    }
  };
  const fixText = (node) => {
    const value = node.nodeValue.trim();
    let fixed = Object.prototype.hasOwnProperty.call(texts, value) ? texts[value] : null;
    if (fixed === null && /MB per file/.test(value)) fixed = french(value);
    if (fixed === null) {
      for (const [pattern, replacement] of textPatterns) {
        if (pattern.test(value)) { fixed = value.replace(pattern, replacement); break; }
      }
    }
    if (fixed !== null && fixed !== value) node.nodeValue = node.nodeValue.replace(value, fixed);
  };
  // Vega chart parts left with a graphics role and no name (their English descriptions are turned
  // off in q2030.ui.charts): hidden from assistive technologies; the chart keeps its French title
  // and its data table beside it.
  const CHART_PARTS = ["img", "graphics-symbol", "graphics-object"]
    .map((role) => `.vega-embed svg [role="${role}"]:not([aria-label])`).join(", ");
  const hideChartParts = (root) => {
    if (!root.querySelectorAll) return;
    if (root.matches && root.matches(CHART_PARTS)) root.setAttribute("aria-hidden", "true");
    for (const el of root.querySelectorAll(CHART_PARTS)) el.setAttribute("aria-hidden", "true");
  };
  const fixTree = (root) => {
    if (root.nodeType === Node.TEXT_NODE) { fixText(root); return; }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    fixElement(root);
    hideChartParts(root);
    for (const el of root.querySelectorAll("[aria-label],[title],[placeholder],[aria-roledescription]")) fixElement(el);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) fixText(n);
  };
  const observer = new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === "attributes") fixElement(m.target);
      else if (m.type === "characterData") fixText(m.target);
      else for (const node of m.addedNodes) fixTree(node);
    }
  });
  observer.observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES,
  });
  fixTree(document.body);
}
</script>"""


def apply() -> None:
    """Draw the rules (a style-only st.html takes no room on the page), the Enter key script and
    the script that writes accessible names in French."""
    st.html(FRENCH_CSS)
    st.html(ENTER_APPLIES_JS, unsafe_allow_javascript=True)
    st.html(FRENCH_DOM_JS, unsafe_allow_javascript=True)
