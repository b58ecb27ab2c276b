"""The handler (Python) and in-query (SQL) evaluations of every expression in a corpus agree,
or the compiler refuses the expression in one of the two places (see tests/differential.py)."""

from __future__ import annotations

import differential as D
import pytest
from hypothesis import HealthCheck, given, settings


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return D.compile_corpus(D.corpus(), tmp_path_factory.mktemp("differential"))


def test_most_of_the_corpus_is_compared_in_both_places(spec):
    # every type pair is tried; what type-checks in Python must mostly compile in SQL too
    assert len(spec.cases) > 2000
    # json compared with a typed value is refused in SQL by design (SQL holds json as its text)
    refused = [x for x in spec.refused["sql"] if "{js}" not in x]
    assert len(refused) < 100, refused


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(row=D.row_strategy())
def test_python_and_sql_agree(spec, row):
    session = spec.env.session()
    session.db.execute(
        "INSERT INTO v (id, i, j, f, g, m, k, s, t, d, e, at, au, b, c, li, ls, col, pt, ld, lf) "
        "SELECT 1, 0, 0, 0, 0, 0, 0, '', '', '2025-01-01', '2025-01-01', '2025-01-01 00:00:00', "
        "'2025-01-01 00:00:00', 0, 0, '[]', '[]', 'red', '{}', '[]', '[]'"
    )
    D.set_row(session, row)
    problems = D.compare(spec, session)
    assert not problems, "\n".join(problems[:20])
