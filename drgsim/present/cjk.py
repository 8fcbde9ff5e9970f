"""One call that lets matplotlib draw Chinese in a user's own figures, with the system's CJK font."""

from __future__ import annotations


def use_chinese_font() -> str:
    """Put the CJK font drgsim draws with first in matplotlib's sans-serif fonts; return its family.

    After the call, Chinese text in any matplotlib figure (titles, labels, legends) renders
    without missing glyphs; Latin text keeps a matching face. Undo it with
    ``matplotlib.rcdefaults()``, or call it inside ``with matplotlib.rc_context():``.
    """
    import matplotlib

    from drgsim.present import fonts

    family = fonts.register()
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f != family]
    matplotlib.rcParams["font.sans-serif"] = [family, *rest]
    matplotlib.rcParams["font.family"] = [family, fonts.FALLBACK]  # Latin glyphs it lacks
    return family
