"""Cached folders (generated datasets, stage outputs) are built in a private folder and published once: two
processes building the same cache entry at once no longer collide on one shared ``.partial`` folder (a sweep on
Ray failed that way: one variant's dataset build found the other's half-written folder)."""

from __future__ import annotations

from pathlib import Path

from optimizer.paths import private_temp, publish


def test_two_builders_of_one_folder_both_succeed_and_the_first_copy_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "generated-seed3-abc"
    a, b = private_temp(out), private_temp(out)
    assert a != b and a.parent == b.parent == out.parent
    for tmp, text in ((a, "first"), (b, "second")):
        tmp.mkdir()
        (tmp / "facilities.csv").write_text(text)
    publish(a, out)
    publish(b, out)  # another process finished later: its copy is dropped, the published folder is untouched
    assert (out / "facilities.csv").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
