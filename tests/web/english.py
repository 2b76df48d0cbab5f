"""Finding English in a Chinese page, and chart labels that overlap, in a real browser (the browser tests of
tests/web/test_browser_chinese.py use it; any page test may).

A Chinese page may show Latin letters only where they are not English: codes and ids (anything with a digit,
or all capitals: LFP, VIN, SOH), units and element symbols, the names of the product and of organisations
that are English, and text the page itself marks as another language (`lang="en"`: the language switch).
What a person typed (a description, a note) is data, not the page's words: pages mark it `translate="no"`
(the HTML attribute for content that must not be translated), and so are codes shown as such.
Everything else made of Latin letters is an English word the page has not translated. The words allowed are
data, in tests/web/english_allowlist.txt (one a line, `#` comments, each with its reason), so a new page's
genuine codes are added there, not in code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from playwright.sync_api import Page

from events.elements import ELEMENT_SYMBOLS

ALLOWLIST = Path(__file__).with_name("english_allowlist.txt")

# every text a person reads: text nodes (SVG labels too), and the attributes a browser shows or reads aloud
_TEXTS_JS = """() => {
  const skip = el => !el || el.closest('script,style,noscript,template,[translate=no],[lang]:not([lang^="zh"])');
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!skip(node.parentElement) && node.textContent.trim()) out.push(node.textContent);
  }
  for (const el of document.body.querySelectorAll('[placeholder],[title],[aria-label],[alt]')) {
    if (skip(el)) continue;
    for (const name of ['placeholder', 'title', 'aria-label', 'alt']) {
      if (el.hasAttribute(name)) out.push(el.getAttribute(name));
    }
  }
  for (const el of document.body.querySelectorAll('input[type=submit],input[type=button]')) {
    if (!skip(el)) out.push(el.value);
  }
  return out;
}"""

# the labels of each chart: every <text> of an inline SVG, its box on the page and the chart's box
_LABELS_JS = """() => {
  const charts = [];
  for (const svg of document.querySelectorAll('svg')) {
    const frame = svg.getBoundingClientRect();
    if (frame.width === 0 || frame.height === 0) continue;
    const labels = [];
    for (const text of svg.querySelectorAll('text')) {
      const box = text.getBoundingClientRect();
      if (!text.textContent.trim() || box.width === 0) continue;
      labels.push({text: text.textContent.trim(), left: box.left, top: box.top, right: box.right, bottom: box.bottom});
    }
    charts.push({id: svg.id || svg.getAttribute('aria-label') || '', frame: {left: frame.left, top: frame.top,
                 right: frame.right, bottom: frame.bottom}, labels});
  }
  return charts;
}"""

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.'’/+-]*")
_HEX = re.compile(r"^[0-9a-f]{8,}$")
SLACK = 0.5  # px two boxes may share (anti-aliasing), and a label may pass its chart's edge


@cache
def allowed_words() -> frozenset[str]:
    """The allowlist's words (case as written)."""
    words = set()
    for line in ALLOWLIST.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(word)
    return frozenset(words)


def english_words(texts: Iterable[str], *, names: Iterable[str] = ()) -> list[str]:
    """The English words of `texts`: Latin words that are no code, unit, symbol or allowed name. `names` are
    more allowed words (the English names of the organisations on the page)."""
    phrases = sorted((w for w in allowed_words() if " " in w), key=len, reverse=True)
    allowed = allowed_words() | ELEMENT_SYMBOLS | {w for name in names for w in _TOKEN.findall(name)}
    found: list[str] = []
    for text in texts:
        for phrase in phrases:
            text = text.replace(phrase, " ")
        for token in _TOKEN.findall(text):
            word = token.strip(".'’/+-_")
            if not word or not any(c.isalpha() for c in word):
                continue
            if any(c.isdigit() for c in word) or _HEX.match(word) or len(word) == 1:
                continue  # a code, an id, a hash, a grade or a one-letter unit
            if word.upper() == word:
                continue  # an acronym or code in capitals: LFP, VIN, SOH, CSV
            if word in allowed or word.lower() in allowed:
                continue
            found.append(word)
    return found


def page_english(page: Page, *, names: Iterable[str] = ()) -> list[str]:
    """The English words on the page as it stands in the browser."""
    return english_words(page.evaluate(_TEXTS_JS), names=names)


def overlapping_labels(page: Page) -> list[str]:
    """Each pair of labels of one chart whose boxes overlap, and each label that runs out of its chart."""
    problems: list[str] = []
    for chart in page.evaluate(_LABELS_JS):
        frame, labels = chart["frame"], chart["labels"]
        for label in labels:
            if (
                label["left"] < frame["left"] - SLACK
                or label["right"] > frame["right"] + SLACK
                or label["top"] < frame["top"] - SLACK
                or label["bottom"] > frame["bottom"] + SLACK
            ):
                problems.append(f"{chart['id']}: {label['text']!r} runs out of the chart")
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                if (
                    min(a["right"], b["right"]) - max(a["left"], b["left"]) > SLACK
                    and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > SLACK
                ):
                    problems.append(f"{chart['id']}: {a['text']!r} overlaps {b['text']!r}")
    return problems
