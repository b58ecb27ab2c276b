"""Rebuilds in one process: reusing what earlier builds parsed never changes a byte.

Each case edits the shop spec the way a person or an LLM repair loop would, builds it with the
process's memos warm (parsed pieces, whole unchanged builds), and compares every output and
diagnostic with a build that starts from nothing.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from awmlang.compiler.build import build_spec
from awmlang.compiler.diagnostics import render_human
from awmlang.compiler.parse import parse_memo, piece_ids

ROOT = Path(__file__).resolve().parent.parent
SHOP = (ROOT / "specs" / "shop.awm").read_text()


def move_first_tool_to_the_end(text: str) -> str:
    start = text.index("\ntool ") + 1
    end = text.index("\ntool ", start) + 1
    return text[:start] + text[end:] + "\n" + text[start:end]


def replacing(name: str, old: str, new: str):
    """An edit that replaces the first `old` (which must be there) by `new`."""

    def edit(text: str) -> str:
        assert old in text, name
        return text.replace(old, new, 1)

    edit.__name__ = name
    return edit


# a new column changes every SELECT of products
add_an_entity_field = replacing("add_an_entity_field", "entity Product {\n", "entity Product {\n  note: text?\n")
change_a_seed_price = replacing(
    "change_a_seed_price", '"Compact earbuds with charging case", 59.99', '"Compact earbuds with charging case", 64.99'
)
move_the_clock = replacing("move_the_clock", 'clock "2025-03-10 10:00:00"', 'clock "2025-04-01 08:30:00"')
break_a_tool = replacing("break_a_tool", "tool search_products(", "tool search_products(broken: Nonexistent, ")
edit_a_task = replacing(
    "edit_a_task",
    "expect contains_number(answer, me.store_credit)",
    "expect contains_number(answer, me.store_credit)\n  expect me.store_credit >= 0",
)
# Category is reached from cart code only through CartItem -> Product -> Category
make_a_field_optional_two_relations_away = replacing(
    "make_a_field_optional_two_relations_away",
    "slug: text @unique @length(2, 40)\n  name: text @unique",
    "slug: text @unique @length(2, 40)\n  name: text? @unique",
)
# `i.product.name` in checkout names neither Product nor `name` as a type: the error must still come
rename_a_field_read_through_a_relation = replacing(
    "rename_a_field_read_through_a_relation",
    "  name: text @length(2, 120) @index",
    "  title: text @length(2, 120) @index",
)
add_an_enum_member = replacing(
    "add_an_enum_member", "enum Carrier { ups dhl fedex usps }", "enum Carrier { ups dhl fedex usps ontrac }"
)
# tools write `cancelled` without naming OrderStatus: they must see the member go
rename_an_enum_member_a_tool_writes_bare = replacing(
    "rename_an_enum_member_a_tool_writes_bare",
    "enum OrderStatus { pending paid shipped delivered cancelled returned }",
    "enum OrderStatus { pending paid shipped delivered canceled returned }",
)


def insert_a_comment_at_the_top(text: str) -> str:
    return "# a comment that shifts every declaration below it\n" + text


EDITS = [
    move_first_tool_to_the_end,
    add_an_entity_field,
    change_a_seed_price,
    move_the_clock,
    break_a_tool,
    edit_a_task,
    make_a_field_optional_two_relations_away,
    add_an_enum_member,
    insert_a_comment_at_the_top,
    rename_an_enum_member_a_tool_writes_bare,
    rename_a_field_read_through_a_relation,
]


def snapshot(result):
    return (result.outputs, render_human(result.diagnostics, result.sources))


def test_every_edit_builds_the_same_bytes_warm_and_cold(tmp_path):
    spec = tmp_path / "shop.awm"
    warm = build_spec(spec, SHOP)
    assert warm.ok
    text = SHOP
    for edit in EDITS:
        text = edit(text)
        assert text != SHOP
        misses_before = parse_memo.cache_info().misses
        warm = build_spec(spec, text)
        cold = build_spec(spec, text, memo=False)
        assert snapshot(warm) == snapshot(cold), edit.__name__
        assert parse_memo.cache_info().misses > misses_before, edit.__name__  # the edit was noticed
        if edit is break_a_tool:
            assert not warm.ok and "Nonexistent" in render_human(warm.diagnostics, warm.sources)
            text = text.replace("broken: Nonexistent, ", "", 1)
        if edit is rename_an_enum_member_a_tool_writes_bare:
            assert not warm.ok
            text = text.replace(" canceled ", " cancelled ", 1)
        if edit is rename_a_field_read_through_a_relation:
            assert not warm.ok
    # and back to the original text: the build made first is the one returned
    first = build_spec(spec, SHOP)
    assert build_spec(spec, SHOP) is first
    assert snapshot(first) == snapshot(build_spec(spec, SHOP, memo=False))


@pytest.mark.parametrize("spec", ["calendar", "tracker"])
def test_removing_any_declaration_builds_the_same_warm_and_cold(spec, tmp_path):
    """Take out one declaration at a time (every third one): whatever breaks, the warm build
    reports and produces exactly what a cold build does."""
    path = ROOT / "specs" / f"{spec}.awm"
    text = path.read_text()
    build_spec(path, text)
    pieces = piece_ids(text, str(path))
    for _, start, piece in pieces[1::3]:
        edited = text[:start] + text[start + len(piece) :]
        assert snapshot(build_spec(path, edited)) == snapshot(build_spec(path, edited, memo=False)), piece[:60]


@pytest.mark.parametrize("spec", sorted((ROOT / "specs").glob("*.awm")), ids=lambda p: p.stem)
def test_a_rebuild_of_an_edited_tool_parses_only_that_tool(spec):
    text = spec.read_text()
    build_spec(spec, text)
    match = re.search(r'\ntool (\w+)\([^)]*\)[^"{]*"', text)
    edited = text[: match.end()] + "(edited) " + text[match.end() :]
    misses_before = parse_memo.cache_info().misses
    warm = build_spec(spec, edited)
    assert warm.ok
    assert parse_memo.cache_info().misses - misses_before == 1
    assert warm.outputs == build_spec(spec, edited, memo=False).outputs


NO_TOOLS = 'env empty "Empty" { description "no tools" }\nentity Thing { id: int @id }\n'


@pytest.mark.parametrize(
    "spec", sorted((ROOT / "specs").glob("*.awm")) + ["no_tools"], ids=lambda p: getattr(p, "stem", p)
)
def test_tools_json_rendered_per_tool_equals_the_whole_document(spec, tmp_path):
    import json

    from awmlang.compiler.lower_schema import render_tools_json, tool_schemas

    if spec == "no_tools":
        spec = tmp_path / "empty.awm"
        spec.write_text(NO_TOOLS)
    model = build_spec(spec, memo=False).model
    assert render_tools_json(model) == json.dumps(tool_schemas(model), indent=2) + "\n"


def test_an_unchanged_spec_is_not_built_again_until_a_file_it_reads_changes(tmp_path):
    spec = tmp_path / "shop.awm"
    seeds = tmp_path / "users.csv"
    seeds.write_text("id,username,email\n7,grace,grace@example.com\n")
    spec.write_text(MINI + 'seed User from "users.csv"\n')
    first = build_spec(spec)
    assert first.ok and build_spec(spec) is first
    seeds.write_text("id,username,email\n8,heidi,heidi@example.com\n")  # a file the build read
    second = build_spec(spec)
    assert second is not first and b"heidi" in second.outputs["initial.db"]
    spec.write_text(MINI)
    assert build_spec(spec) is not second


def test_a_build_with_errors_is_made_again_once_the_missing_file_is_there(tmp_path):
    spec = tmp_path / "shop.awm"
    spec.write_text('import "more.awm"\n' + MINI)
    assert not build_spec(spec).ok
    (tmp_path / "more.awm").write_text("enum Spare { a b }\n")
    assert build_spec(spec).ok


# ---- regressions found by an adversarial review (each once made warm differ from cold) -------

MINI = (ROOT / "tests" / "cases" / "mini_shop" / "spec.awm").read_text()
TOOL_LINE = 'tool get_product = get Product "Get a product by its id."\n'


def same_warm_and_cold(path, *texts):
    for text in texts:
        warm, cold = build_spec(path, text), build_spec(path, text, memo=False)
        assert (warm.ok, *snapshot(warm)) == (cold.ok, *snapshot(cold))
    return warm


def two_seeds_on_one_line(text):
    first = 'seed User(id, username, email) { (1, "alice", "alice@example.com") (2, "bob", "bob@example.com") }\n'
    assert first in text
    return text.replace(first, first.rstrip("\n") + " ")


def test_declarations_sharing_a_piece_are_memoised_apart(tmp_path):
    path = tmp_path / "shop.awm"
    assert same_warm_and_cold(path, two_seeds_on_one_line(MINI)).ok
    indented = "\n".join("  " + line if line else line for line in MINI.split("\n"))
    assert same_warm_and_cold(path, indented).ok
    both = MINI + (
        'tool stock_ok() "Is all stock non-negative?" { return count(Product where stock < 0) == 0 }\n'
        '  invariant stock_ok "Stock is never negative": all Product p: p.stock >= 0\n'
    )
    handlers = same_warm_and_cold(path, both).outputs["handlers.py"]
    assert re.search(r"'stock_ok': \(\s*'Stock is never negative'", handlers)
    duplicate = MINI.replace(TOOL_LINE, TOOL_LINE.rstrip("\n") + ' tool get_product = get Nonexistent "Second."\n')
    assert "AWM1006" in render_human(
        same_warm_and_cold(path, duplicate).diagnostics, build_spec(path, duplicate).sources
    )


def test_which_declaration_owns_a_name_is_part_of_what_is_read(tmp_path):
    enum = "enum OrderItem { a b }\n"
    enum_first = MINI.replace("entity OrderItem {", enum + "entity OrderItem {", 1)
    same_warm_and_cold(tmp_path / "shop.awm", enum_first, MINI + enum)


def test_every_user_property_of_the_env_counts(tmp_path):
    env = 'env shop "Online shop" { description "A simplified e-commerce platform" user User }'
    assert env in MINI
    first = MINI.replace(env, env[:-1] + "user Nobody }") + 'tool my_mail() "My e-mail." { return me.email }\n'
    same_warm_and_cold(
        tmp_path / "shop.awm", first, first.replace("email: text @unique  joined", "mail: text @unique  joined", 1)
    )


def test_a_task_sees_which_tools_checked_and_which_declaration_won(tmp_path):
    path = tmp_path / "shop.awm"
    misspelt = MINI + 'task t1 "List home products." { solution { list_product(category: "home") } expect true }\n'
    same_warm_and_cold(
        path, misspelt, misspelt.replace("name: text @index  category: text  price", "name: text @index  price", 1)
    )
    twice = MINI + (
        'tool find_products = list Product(nosuch) "First, broken."\n'
        'tool find_products = list Product(category) "Second: by category."\n'
        'task home "List home products." { solution { find_products(category: "home") } expect true }\n'
    )
    same_warm_and_cold(path, twice, twice.replace('list Product(category) "Second', 'list Product(name) "Second'))


SCALAR_TYPES = ["int", "text", "decimal", "bool", "date"]


def random_edit(text: str, rng: random.Random) -> str:
    """One edit of the kinds people and repair loops make: change a field's type or make it
    optional, drop, copy or swap declarations, rename a word, add a comment."""
    pieces = [piece for _, _, piece in piece_ids(text, "x")]
    kind = rng.choice(["retype", "optional", "drop", "copy", "swap", "rename", "comment"])
    if kind in ("retype", "optional"):
        fields = [m for m in re.finditer(r"\b(\w+): (int|text|decimal|bool|date)\b(\?)?", text)]
        if fields:
            m = rng.choice(fields)
            new = f"{m.group(1)}: {rng.choice(SCALAR_TYPES) if kind == 'retype' else m.group(2)}{'' if m.group(3) else '?'}"
            return text[: m.start()] + new + text[m.end() :]
    if kind == "drop" and len(pieces) > 2:
        pieces.pop(rng.randrange(1, len(pieces)))
    elif kind == "copy":
        pieces.insert(rng.randrange(1, len(pieces) + 1), rng.choice(pieces[1:]))
    elif kind == "swap" and len(pieces) > 2:
        i, j = rng.sample(range(1, len(pieces)), 2)
        pieces[i], pieces[j] = pieces[j], pieces[i]
    elif kind == "rename":
        words = sorted(set(re.findall(r"\b[a-z_]+\b", text)))
        old = rng.choice(words)
        return re.sub(rf"\b{old}\b", old + "x", text, count=rng.choice([1, 0]))
    else:
        i = rng.randrange(len(pieces))
        pieces[i] = pieces[i].rstrip("\n") + "\n# a comment\n"
    return "".join(p if p.endswith("\n") else p + "\n" for p in pieces)


@pytest.mark.parametrize("seed", range(8))
def test_random_edit_sequences_build_the_same_warm_and_cold(seed, tmp_path):
    rng = random.Random(seed)
    path = tmp_path / "shop.awm"
    text = MINI
    for step in range(40):
        edited = random_edit(text, rng) if rng.random() < 0.9 else MINI
        warm, cold = build_spec(path, edited), build_spec(path, edited, memo=False)
        assert (warm.ok, *snapshot(warm)) == (cold.ok, *snapshot(cold)), f"seed {seed}, step {step}"
        if warm.ok or rng.random() < 0.3:  # mostly stay among specs that build
            text = edited


def test_threads_sharing_the_memos_build_what_cold_builds_do(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "shop.awm"
    texts = [
        MINI,
        two_seeds_on_one_line(MINI),
        MINI.replace("name: text @index", "name: text? @index", 1),
        MINI.replace(TOOL_LINE, ""),
        MINI + "enum Spare { a b }\n",
    ]
    expected = [snapshot(build_spec(path, t, memo=False)) for t in texts]

    def build_all(offset: int) -> list:
        order = texts[offset:] + texts[:offset]
        return [(texts.index(t), snapshot(build_spec(path, t))) for t in order * 3]

    with ThreadPoolExecutor(4) as pool:
        for results in pool.map(build_all, range(4)):
            for index, got in results:
                assert got == expected[index]
