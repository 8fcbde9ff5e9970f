"""The Chinese font is the system's (or DRGSIM_CJK_FONT's); without one, figures get English
labels after one warning, and the report embeds no font it may not or cannot."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import pytest
from fontTools.ttLib import TTFont

from drgsim.errors import DrgsimError
from drgsim.present import fonts

DEJAVU = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch):
    """Look for the font again in this test, and again after it."""
    fonts.find.cache_clear()
    yield monkeypatch
    fonts.find.cache_clear()


def test_the_system_font_draws_chinese_and_is_embedded_cut_to_the_text(fresh) -> None:
    fresh.delenv(fonts.ENV, raising=False)
    face = fonts.find()
    assert face is not None and face.family in fonts.FAMILIES
    assert fonts.missing_glyphs(["汕尾点值鼓励系数套高病组推诿"]) == ""
    assert fonts.rc()["font.family"] == [face.family, fonts.FALLBACK]
    cut = TTFont(io.BytesIO(fonts.subset_otf("汕尾点值")))
    assert {chr(c) for c in cut.getBestCmap()} >= set("汕尾点值")
    assert "医" not in {chr(c) for c in cut.getBestCmap()}


def test_drgsim_cjk_font_names_the_file_and_a_file_without_chinese_is_one_clear_line(
    fresh, tmp_path: Path
) -> None:
    face = fonts.find()
    assert face is not None
    fresh.setenv(fonts.ENV, str(face.path))
    fonts.find.cache_clear()
    assert fonts.find() == face  # the same face (in a collection: the Simplified Chinese one)
    fresh.setenv(fonts.ENV, str(DEJAVU))
    fonts.find.cache_clear()
    with pytest.raises(DrgsimError) as err:
        fonts.find()
    assert str(err.value).startswith(f"{fonts.ENV}={DEJAVU}: not a font file with Chinese glyphs")
    fresh.setenv(fonts.ENV, str(tmp_path / "nothing.otf"))
    fonts.find.cache_clear()
    with pytest.raises(DrgsimError, match="not a font file with Chinese glyphs"):
        fonts.find()


def test_a_font_whose_licence_forbids_embedding_draws_figures_but_is_not_embedded(
    fresh, tmp_path: Path
) -> None:
    face = fonts.find()
    assert face is not None
    restricted = TTFont(io.BytesIO(fonts._make_subset(face, "医保点值汕尾")))
    restricted["OS/2"].fsType = 0x0002  # "restricted licence embedding"
    path = tmp_path / "restricted.otf"
    restricted.save(str(path))
    fresh.setenv(fonts.ENV, str(path))
    fonts.find.cache_clear()
    assert fonts.find() is not None and fonts.missing_glyphs(["汕尾"]) == ""
    assert fonts.subset_otf("汕尾") == b""
    fresh.setenv(fonts.ENV, str(path.with_name("allowed.otf")))
    restricted["OS/2"].fsType = 0
    restricted.save(str(path.with_name("allowed.otf")))
    fonts.find.cache_clear()
    assert fonts.subset_otf("汕尾") != b""


def test_without_a_chinese_font_figures_are_english_after_one_warning(
    no_chinese_font: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fonts.find() is None
    assert fonts.figure_lang("zh") == "en"
    assert fonts.figure_lang("zh") == "en"
    assert fonts.figure_lang("en") == "en"
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "drgsim: warning: no Chinese font found; figures get English labels "
        f"(apt install fonts-noto-cjk (Debian, Ubuntu), or set {fonts.ENV} to a Noto Sans CJK file)"
    ]
    assert fonts.rc()["font.family"] == [fonts.FALLBACK]
    assert fonts.subset_otf("汕尾") == b""
    assert fonts.missing_glyphs(["汕尾"]) == "尾汕"
    with pytest.raises(DrgsimError, match="no Chinese font found; apt install fonts-noto-cjk"):
        fonts.register()
