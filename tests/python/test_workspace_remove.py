"""Removing a workspace the guest filled: a tree deeper than Python's recursion limit, links planted inside
that point out of it (never followed), and the shared no-follow helpers on their own."""

from __future__ import annotations

import os
import stat

import pytest

from langchain_wasm.python.workspace import Workspace, WorkspaceError
from langchain_wasm.runtime.nofollow import open_dir, regular_files, remove_tree

DEPTH = 2000  # ~2x the recursion limit: recursive removal (shutil.rmtree on 3.11) fails near 1,000

# The guest makes the tree itself, one level at a time, then plants links out of it at the bottom: one
# climbing with `..` to the host folder `outside` (a sibling of the session folder), one absolute.
DEEP_TREE = f"""
import os
os.chdir('/workspace')
for _ in range({DEPTH}):
    os.mkdir('d')
    os.chdir('d')
open('bottom.txt', 'w').write('deep')
planted = []
for target in ('../' * ({DEPTH} + 3) + 'outside', '/etc'):
    try:
        os.symlink(target, 'link-' + str(len(planted)))
        planted.append(target)
    except OSError as exc:
        planted.append(type(exc).__name__)
len(os.getcwd().split('/')) - 2, planted
"""


def test_a_tree_2000_folders_deep_made_by_the_guest_is_removed(sandbox, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("the host's")
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    from langchain_wasm.python import WasmPythonSandbox

    sb = WasmPythonSandbox(limits=sandbox.limits, workspace_root=sessions, quiet=True)
    try:
        with sb.session() as s:
            r = s.run(DEEP_TREE)
            assert r.error is None, r.error
            depth, planted = r.result
            assert depth == DEPTH
            root = s.workspace.root
            files = s.workspace.files()  # the listing walks the whole depth (past PATH_MAX) too
            assert files[("d/" * DEPTH) + "bottom.txt"][0] == 4
            assert s.workspace.usage() == (4, DEPTH + 1)  # so does the quota's count: no hiding files deep
            # WASI refuses links out of the preopen (so far); plant them from the host as a laxer guest could
            assert all(p in ("OSError", "PermissionError") or p.endswith("outside") for p in planted), planted
            fd = open_dir(s.workspace.path, ["d"] * DEPTH)
            try:
                os.symlink(str(outside), "link-host", dir_fd=fd)
                os.symlink("../" * 1000 + "outside", "link-climb", dir_fd=fd)  # a target is at most 4 KiB
            finally:
                os.close(fd)
        assert not root.exists()  # closing the session removed all of it
        assert sorted(os.listdir(sessions)) == []
    finally:
        sb.close()
    assert (outside / "keep.txt").read_text() == "the host's"  # no link was followed


def test_remove_unlinks_links_to_folders_without_entering_them(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious").write_text("x")
    ws = Workspace(tmp_path)
    fd = open_dir(ws.path, ["a", "b"], create_mode=0o700)
    try:
        os.symlink(str(victim), "to-victim", dir_fd=fd)
        os.symlink("../../../victim", "climb", dir_fd=fd)
    finally:
        os.close(fd)
    os.symlink(str(victim), ws.tmp / "tmp-link")
    ws.remove()
    assert not ws.root.exists()
    assert (victim / "precious").read_text() == "x"
    ws.remove()  # a second time is a no-op


def test_remove_tree_refuses_a_link_as_the_folder_itself(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "f").write_text("x")
    os.symlink("real", tmp_path / "link")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with pytest.raises(OSError, match=r"symbolic links|Not a directory"):
            remove_tree("link", dir_fd=fd)
    finally:
        os.close(fd)
    assert (tmp_path / "real" / "f").exists()


def test_remove_tree_takes_wide_and_deep_trees_with_one_descriptor(tmp_path):
    top = tmp_path / "top"
    for i in range(50):
        (top / f"w{i}" / "x" / "y").mkdir(parents=True)
        (top / f"w{i}" / "x" / "f").write_text(str(i))
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(3000):  # deeper than the default limit on open descriptors (1024) would allow
            os.mkdir("z", dir_fd=fd)
            nxt = os.open("z", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        os.mkfifo("fifo", dir_fd=fd)  # never opened, only unlinked
    finally:
        os.close(fd)
    assert sum(1 for _ in regular_files(top)) == 50
    remove_tree(top)
    assert not top.exists()


def test_open_dir_refuses_links_and_files_on_the_way(tmp_path):
    ws = Workspace(tmp_path)
    try:
        os.symlink(str(tmp_path), ws.path / "out")
        (ws.path / "file").write_text("x")
        for parts, says in ((["out"], r"symbolic|Not a dir"), (["file"], "Not a"), (["missing"], "No such")):
            with pytest.raises(OSError, match=says):
                os.close(open_dir(ws.path, parts))
        with pytest.raises(WorkspaceError, match="not a folder"):
            ws.write("out/escape.txt", b"no")
        assert not (tmp_path / "escape.txt").exists()
    finally:
        ws.remove()


def test_workspaces_are_private_folders_where_tempfile_would_put_them(tmp_path, monkeypatch):
    """``private_folder`` stands in for ``tempfile.mkdtemp`` (which costs a cold start ~5-7 ms of imports)."""
    import tempfile

    from langchain_wasm.python import workspace as ws_module

    made = ws_module.private_folder("lcw-test-", tmp_path)
    assert os.path.dirname(made) == str(tmp_path)
    assert os.path.basename(made).startswith("lcw-test-")
    assert stat.S_IMODE(os.stat(made).st_mode) == 0o700
    assert made != ws_module.private_folder("lcw-test-", tmp_path)
    monkeypatch.setattr(ws_module, "_TEMP_ROOT", [])
    assert ws_module._temp_root() == os.path.abspath(tempfile.gettempdir())
    monkeypatch.setattr(ws_module, "_TEMP_ROOT", [])
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))  # not usable: the next candidate, as tempfile does
    monkeypatch.setenv("TEMP", str(tmp_path))
    assert ws_module._temp_root() == str(tmp_path)
    monkeypatch.setattr(ws_module, "_TEMP_ROOT", [])
    workspace = ws_module.Workspace()
    try:
        assert workspace.root.parent == tmp_path
    finally:
        workspace.remove()


@pytest.mark.parametrize("left_in", ["workspace", "tmp", "root"])
def test_removal_goes_on_where_the_empty_folder_shortcut_stops(tmp_path, left_in):
    """An empty workspace is three rmdirs; anything left in one of the folders (or a link where a folder was)
    sends the rest through the no-follow walk, which still removes everything and follows nothing."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("the host's")
    (tmp_path / "w").mkdir()
    ws = Workspace(tmp_path / "w")
    if left_in == "root":
        ws.tmp.rmdir()
        ws.tmp.symlink_to(outside)  # a link where a folder was: rmdir refuses it, the walk unlinks it
    else:
        (ws.root / left_in / "left.txt").write_text("x")
    ws.remove()
    assert not ws.root.exists()
    assert (outside / "keep.txt").read_text() == "the host's"


def test_an_empty_workspace_is_removed(tmp_path):
    ws = Workspace(tmp_path)
    ws.remove()
    assert list(tmp_path.iterdir()) == []
