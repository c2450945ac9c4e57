"""diff_sections: pairing by id, then number, then title; statuses and unified diffs."""

from __future__ import annotations

import dataclasses

from signoff.docformat import DiffStatus, ParsedDocument, Section, diff_sections


def _doc(*sections: Section) -> ParsedDocument:
    return ParsedDocument(sections=sections)


def test_statuses() -> None:
    old = _doc(
        Section("1", "Intro", 2, "Same text."),
        Section("2", "Scope", 2, "Old line\nkept"),
        Section("3", "Gone", 2, "bye"),
        Section("4", "Name", 2, "x", id="s4"),
        Section(None, "Notes", 2, "n"),
    )
    new = _doc(
        Section("1", "Intro", 2, "Same   text.  \n"),
        Section("2", "Scope", 2, "New line\nkept"),
        Section("9", "New name", 2, "x", id="s4"),
        Section(None, "Notes", 2, "n"),
        Section("5", "Added", 2, "hello"),
    )
    result = diff_sections(old, new)
    assert [(d.status, d.new.number if d.new else None) for d in result] == [
        (DiffStatus.UNCHANGED, "1"),
        (DiffStatus.CHANGED, "2"),
        (DiffStatus.RENAMED, "9"),
        (DiffStatus.UNCHANGED, None),
        (DiffStatus.ADDED, "5"),
        (DiffStatus.REMOVED, None),
    ]
    assert result[5].old is not None
    assert result[5].old.title == "Gone"
    assert not result[0].body_changed
    assert not result[2].body_changed


def test_unified_diff_of_the_body() -> None:
    old = _doc(Section("2", "Scope", 2, "Old line\nkept"))
    new = _doc(Section("2", "Scope", 2, "New line\nkept"))
    (change,) = diff_sections(old, new)
    assert change.diff == (
        "--- 2. Scope\n+++ 2. Scope\n@@ -1,2 +1,2 @@\n-Old line\n+New line\n kept"
    )


def test_renamed_with_body_change_keeps_the_diff() -> None:
    old = _doc(Section("3.3", "Decisions", 3, "a", id="x"))
    new = _doc(Section("3.4", "Key Decisions", 3, "b", id="x"))
    (change,) = diff_sections(old, new)
    assert change.status is DiffStatus.RENAMED
    assert "-a\n+b" in change.diff


def test_distinct_ids_are_never_paired_by_number() -> None:
    old = _doc(Section("1", "A", 2, "a", id="one"))
    new = _doc(Section("1", "A", 2, "a", id="two"))
    assert [d.status for d in diff_sections(old, new)] == [DiffStatus.ADDED, DiffStatus.REMOVED]


def test_added_and_removed_diffs(filled: ParsedDocument) -> None:
    shorter = dataclasses.replace(filled, sections=filled.sections[:-1])
    removed = diff_sections(filled, shorter)[-1]
    assert removed.status is DiffStatus.REMOVED
    assert removed.diff.startswith("--- Appendix B: Reference Documents\n+++ /dev/null")
    assert all(d.status is DiffStatus.UNCHANGED for d in diff_sections(filled, filled))
