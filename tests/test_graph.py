"""One dependency walk and one evaluation order (issue 16), engine/language/graph.py, over the shipped pack."""

from __future__ import annotations

from engine.language import graph
from engine.language.loader import RulePack


def test_every_rule_comes_after_the_rules_it_reads(pack: RulePack) -> None:
    position = {ident: n for n, ident in enumerate(pack.order)}
    assert set(position) == {*pack.derived, *pack.scorecards, *pack.policies}
    for ident, reads in graph.direct(pack).items():
        assert all(position[r] < position[ident] for r in reads if r in position), ident


def test_upstream_and_downstream_are_each_others_inverse(pack: RulePack) -> None:
    for ident in pack.order:
        above = graph.upstream(pack, [ident]) - {ident}
        assert all(ident in graph.downstream(pack, [r]) for r in above if r in graph.direct(pack))


def test_a_cone_is_what_its_targets_read_in_evaluation_order(pack: RulePack) -> None:
    policy = next(iter(pack.policies))
    cone = graph.cone(pack, [policy])
    assert cone[-1] == policy
    assert cone == [i for i in pack.order if i in graph.upstream(pack, [policy])]
    assert set(cone) - {policy} <= graph.upstream(pack, graph.reads_of(pack, policy))


def test_reading_passed_reads_the_scorecard(pack: RulePack) -> None:
    card = next(iter(pack.scorecards))
    readers = graph.downstream(pack, [card])
    assert readers, f"nothing reads {card}"
    assert all(card in graph.upstream(pack, [r]) for r in readers)
