import pytest

from snntext.core.atomic import atomic_path, replaced_folder, write_text_atomic


def test_text_is_written_whole_and_no_temp_is_left(tmp_path):
    target = tmp_path / "sub" / "out.md"
    write_text_atomic(target, "a\nb\n")
    assert target.read_text(encoding="utf-8") == "a\nb\n"
    assert [p.name for p in target.parent.iterdir()] == ["out.md"]


def test_a_failure_keeps_the_old_file_and_removes_the_temp(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as temp:
        temp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_folder_is_replaced_only_on_success(tmp_path):
    target = tmp_path / "tables"
    target.mkdir()
    (target / "stale.csv").write_text("stale")
    with pytest.raises(ValueError), replaced_folder(target) as staging:
        (staging / "new.csv").write_text("new")
        raise ValueError("bad row")
    assert sorted(p.name for p in target.iterdir()) == ["stale.csv"]
    with replaced_folder(target) as staging:
        (staging / "new.csv").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables"]


def test_files_get_the_usual_permissions_not_mkstemps_private_ones(tmp_path):
    import os

    from snntext.core.atomic import write_bytes_atomic

    umask = os.umask(0o022)
    try:
        write_bytes_atomic(tmp_path / "table.npy", b"\x00\x01")
        write_text_atomic(tmp_path / "metrics.json", "{}\n")
    finally:
        os.umask(umask)
    assert (tmp_path / "table.npy").read_bytes() == b"\x00\x01"
    assert (tmp_path / "table.npy").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "metrics.json").stat().st_mode & 0o777 == 0o644
