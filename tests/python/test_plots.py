"""matplotlib figures come back as PNG bytes (Agg backend, no display)."""

from __future__ import annotations

import struct
import zlib

PNG = b"\x89PNG\r\n\x1a\n"


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG)
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _decodes(png: bytes) -> bool:
    """Walk the chunks and inflate the image data: a real, complete PNG."""
    pos, idat = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            return len(zlib.decompress(idat)) > 0
        pos += 12 + length
    return False


def test_open_figures_are_returned_as_png_and_closed(session):
    r = session.run(
        "import matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots(figsize=(4, 3))\n"
        "ax.plot([1, 2, 3], [4, 1, 9])\n"
        "ax.set_title('sandboxed')\n"
        "plt.figure(); plt.bar(['a', 'b'], [3, 5])\n"
        "print(plt.get_backend())"
    )
    assert r.ok, r.error
    assert r.stdout.strip().lower() == "agg"  # no display
    assert len(r.images) == 2
    for png in r.images:
        assert _decodes(png)
    w, h = _size(r.images[0])
    assert 250 < w < 450
    assert 180 < h < 350
    assert session.run("len(plt.get_fignums())").result == 0  # closed after being returned
    assert session.run("1").images == ()


def test_a_figure_as_the_final_value_is_returned(session):
    r = session.run("from matplotlib.figure import Figure\nf = Figure()\nf.add_subplot().plot([0, 1])\nf")
    assert len(r.images) == 1
    assert _decodes(r.images[0])
    assert "Figure" in r.result_repr


def test_one_shot_runs_return_figures_too(sandbox):
    r = sandbox.run("import matplotlib.pyplot as plt\nplt.plot(range(10))\nplt.savefig('plot.png')")
    assert len(r.images) == 1
    assert r.images[0].startswith(PNG)
    assert r.files["plot.png"].startswith(PNG)  # saved into the workspace as well


def test_seaborn_and_pandas_plotting(session):
    r = session.run(
        "import pandas as pd, seaborn as sns\n"
        "df = pd.DataFrame({'x': range(20), 'y': [v * v for v in range(20)]})\n"
        "sns.lineplot(data=df, x='x', y='y')\n"
        "df.plot(x='x', y='y')"
    )
    assert r.ok, r.error
    assert len(r.images) == 2
