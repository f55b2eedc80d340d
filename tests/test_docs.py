"""The documentation speaks to users: no first person, no working notes, and it cites only papers
and files a user has (a link to a file of the repository must point at a file that exists)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md"])

# first person singular, addressed as prose (code spans and blocks are removed first)
FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|I'll|my|mine|myself)\b(?!\s*[-_=(/])")
# working notes and citations of files that are not part of the repository
FORBIDDEN = {
    "references.md": re.compile(r"references\.md"),
    "shared/": re.compile(r"\bshared/"),
    "the lead": re.compile(r"\bthe lead\b|\blead's\b", re.IGNORECASE),
    "the issue": re.compile(r"\bthe issue\b|\bissue #?\d+|\bissues? (text|tracker)\b", re.IGNORECASE),
    "to-do marker": re.compile(r"\b(TODO|FIXME|XXX)\b"),
    "our machine": re.compile(r"\b(our|the project.s) (machine|box|VM)\b", re.IGNORECASE),
}


def prose(text: str) -> str:
    """The page without fenced code blocks, inline code and link targets (names there are code)."""
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return re.sub(r'"[^"\n]{0,60}"', "", text)  # quoted UI labels ("What am I looking at?")


def test_pages_are_found():
    assert ROOT / "docs" / "modular-arithmetic.md" in PAGES and len(PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_first_person_and_no_working_notes(page):
    text = page.read_text()
    lines = prose(text).splitlines()
    hits = [f"{page.name}:{i}: {line.strip()[:100]}" for i, line in enumerate(lines, 1)
            if FIRST_PERSON.search(line)]
    hits += [f"{page.name}: {name}: {m.group(0)!r}" for name, rx in FORBIDDEN.items() for m in rx.finditer(text)]
    assert not hits, "\n".join(hits)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_point_at_files_that_exist(page):
    missing = [target for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text())
               if "://" not in target and not (page.parent / target).exists()]
    assert not missing, f"{page.name} links to files that are not in the repository: {missing}"


def test_the_checks_catch_what_they_are_for():
    """The patterns find the sentences they exist for, and leave code and math alone."""
    bad = ["I measured 77.7% here.", "See references.md §3.", "as the lead's run shows", "shared/seeds/x.md",
           "my 50 tests", "the issue text says", "on the project's machine it takes"]
    for line in bad:
        assert FIRST_PERSON.search(prose(line)) or any(rx.search(line) for rx in FORBIDDEN.values()), line
    fine = ["K = μ1²XXᵀ/d + μ⋆²I is fitted", "`rulesfacts sweep my.toml`", "x ~ N(0, I_d)",
            'starts with "What am I looking at?"', "```\nname = \"my-sweep\"\n```", "the leading member axis"]
    for line in fine:
        assert not FIRST_PERSON.search(prose(line)) and not any(rx.search(line) for rx in FORBIDDEN.values()), line
