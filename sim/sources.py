"""The source documents behind the model, by the tag used in docstrings, scenario files and
`docs/ODD.md` (``[OV]``, ``[P31]`` ...). The documents themselves are summarised in the domain
brief; this table lets help texts spell a tag out."""

from __future__ import annotations

import re

SOURCES: dict[str, str] = {
    "OV": "Toekomstverkenning Overijsselse binnensteden (Provincie Overijssel, 2013)",
    "P31": "De nieuwe binnenstad (Platform31, 2018)",
    "PB": "Trends voor de binnenstad (Platform Binnenstadsmanagement, c. 2021)",
    "VB": "De binnenstad van de toekomst (2016)",
    "G32": "Platform31 G32 trend study (2017)",
}

_TAG = re.compile(r"\[(" + "|".join(SOURCES) + r")\b")


def tags_in(text: str) -> list[str]:
    """The source tags ``text`` cites, in order of first mention."""
    seen: list[str] = []
    for tag in _TAG.findall(text):
        if tag not in seen:
            seen.append(tag)
    return seen


def legend(text: str) -> list[str]:
    """``"[OV] Toekomstverkenning ..."`` for every tag ``text`` cites."""
    return [f"[{tag}] {SOURCES[tag]}" for tag in tags_in(text)]
