"""Every scenario key with a meaning has one in Chinese, and no Chinese meaning is stale."""

from __future__ import annotations

import re

from drgsim.scenario.keys import scenario_keys
from drgsim.scenario.meanings_zh import MEANINGS, meaning_zh

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_key_of_the_schema_with_a_meaning_has_a_chinese_one() -> None:
    missing = [k.key for k in scenario_keys() if k.doc and not CJK.search(meaning_zh(k.key))]
    assert missing == []


def test_every_chinese_meaning_belongs_to_a_key_of_the_schema() -> None:
    keys = {k.key for k in scenario_keys()}
    assert sorted(set(MEANINGS) - keys) == []


def test_real_names_find_the_meaning_of_their_placeholder() -> None:
    assert meaning_zh("hospitals.SW01.upcoding.rate") == meaning_zh("behaviour.upcoding.rate")
    assert meaning_zh("tiers.3.shifting.rate") == meaning_zh("behaviour.shifting.rate")
    assert meaning_zh("hospitals.SW01.tier") == MEANINGS["hospitals.<id>.tier"]
    assert meaning_zh("funds.职工.share") == MEANINGS["funds.<fund>.share"]
    weight = MEANINGS["incentive.indicators.<indicator>.weight"]
    assert meaning_zh("incentive.indicators.cei.weight") == weight
    assert meaning_zh("no.such.key") == ""


#: Latin words a Chinese source may keep: documents, an author citation, catalogue and method
#: names, and scenario values written as code.
CITATION_WORDS = {
    "docs", "rules", "md", "Wang", "et", "al", "CHS", "DRG", "DIP", "v1", "v2", "360docs",
    "drgsim", "calibrate", "pool", "true", "false",
}  # fmt: skip


def test_every_source_of_the_schema_reads_in_chinese_but_its_citations() -> None:
    from drgsim.scenario.sources_zh import SOURCES, source_zh

    sources = {k.source for k in scenario_keys() if k.source}
    english = {
        s: words
        for s in sources
        if (words := set(re.findall(r"[A-Za-z][A-Za-z0-9]*", source_zh(s))) - CITATION_WORDS)
    }
    assert english == {}
    assert sorted(set(SOURCES) - sources) == []  # no translation of a source no key has
