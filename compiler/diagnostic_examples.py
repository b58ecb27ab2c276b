"""An example of each diagnostic code: a short spec that has the error and the same spec fixed.

`awmc explain CODE` and docs/diagnostics.md show them; tests/test_explain.py compiles every
example and checks that the erroneous one produces its code and the fixed one compiles
cleanly (no error, no warning). A snippet follows PRELUDE unless it is `standalone` (the
codes about the `env` header itself); `files` are written beside the spec (named `spec.awm`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PRELUDE = 'env shop "Shop" { user User }\nentity User { id: int @id  name: text }\n'
SPEC_NAME = "spec.awm"


@dataclass(frozen=True)
class Example:
    wrong: str
    fixed: str
    files: dict[str, str] = field(default_factory=dict)  # beside the spec, for both
    fixed_files: dict[str, str] | None = None  # beside the fixed spec, if different
    standalone: bool = False  # the snippet is the whole spec

    def spec(self, fixed: bool) -> str:
        snippet = self.fixed if fixed else self.wrong
        return snippet if self.standalone else PRELUDE + snippet

    def files_for(self, fixed: bool) -> dict[str, str]:
        return self.fixed_files if fixed and self.fixed_files is not None else self.files


PRODUCT = "entity Product { id: int @id  name: text  stock: int }\n"
TEAM = "entity Game { id: int @id  home: Team  away: Team }\n"
STATUS = "enum Status { open closed }\nentity Ticket { id: int @id  status: Status = open }\n"
UNION = "union Payment { card { number: text } cash { amount: decimal } }\n"
LINE = "entity Line {{ id: int @id  price: decimal  quantity: {} }}\n"
RENAME = 'tool rename = update User(name) "Rename a user."\n'
ORDER = (
    "enum Status { pending paid shipped }\nentity Order { id: int @id  status: Status = pending }\n"
    + """\
tool pay(order: Order) "Pay an order." {
  update order set status = paid
}
"""
)
SLOT = (
    "entity Slot {{ id: int @id  taken: bool = false }}\n"
    + """\
tool book(slot: Slot) "Book a slot." {{
  require not slot.taken else fail {} "the slot is taken"
  update slot set taken = true
}}
"""
)


def tool(signature: str, body: str) -> str:
    """A tool declaration laid out the way specs write it."""
    return f"tool {signature} {{\n  {body}\n}}\n"


EXAMPLES: dict[str, Example] = {
    "AWM0001": Example("entity Product { id: int @id  name text }\n", "entity Product { id: int @id  name: text }\n"),
    "AWM0002": Example("entity Product { id: int @id  name: text\n", "entity Product { id: int @id  name: text }\n"),
    "AWM0003": Example(
        tool('greet() -> text "Say hello."', "return 'hello'"), tool('greet() -> text "Say hello."', 'return "hello"')
    ),
    "AWM0004": Example(
        tool('greet(name: text) -> text "Say hello."', 'return "hello {name +}"'),
        tool('greet(name: text) -> text "Say hello."', 'return "hello {name}"'),
    ),
    "AWM0010": Example('import "catalgo.awm"\n', 'import "catalog.awm"\n', files={"catalog.awm": PRODUCT}),
    "AWM0011": Example(
        'import "catalog.awm"\n',
        'import "catalog.awm"\n',
        files={"catalog.awm": f'import "{SPEC_NAME}"\n' + PRODUCT},
        fixed_files={"catalog.awm": PRODUCT},
    ),
    "AWM0012": Example(
        'seed User from "users.json"\n',
        'seed User from "users.json"\n',
        files={"users.json": '[{"id": 1, "name": "Ann"},]\n'},
        fixed_files={"users.json": '[{"id": 1, "name": "Ann"}]\n'},
    ),
    "AWM1001": Example(
        "entity Product { id: int @id }\nentity Product { id: int @id  name: text }\n",
        "entity Product { id: int @id  name: text }\n",
    ),
    "AWM1002": Example(
        "entity Product { id: int @id  price: decimel }\n", "entity Product { id: int @id  price: decimal }\n"
    ),
    "AWM1003": Example(
        PRODUCT + tool('stock_of(product: Product) -> int "The stock of a product."', "return product.stok"),
        PRODUCT + tool('stock_of(product: Product) -> int "The stock of a product."', "return product.stock"),
    ),
    "AWM1004": Example(
        tool('double(amount: int) -> int "Double an amount."', "return amout * 2"),
        tool('double(amount: int) -> int "Double an amount."', "return amount * 2"),
    ),
    "AWM1005": Example(
        tool('or_zero(n: int?) -> int "n, or 0 when it is missing."', "return coalsce(n, 0)"),
        tool('or_zero(n: int?) -> int "n, or 0 when it is missing."', "return coalesce(n, 0)"),
    ),
    "AWM1006": Example(
        tool('add_user(name: text) -> User "Add a user."', "return insert Usr(name: name)"),
        tool('add_user(name: text) -> User "Add a user."', "return insert User(name: name)"),
    ),
    "AWM1007": Example(
        STATUS + tool('close(ticket: Ticket) "Close a ticket."', "update ticket set status = clsed"),
        STATUS + tool('close(ticket: Ticket) "Close a ticket."', "update ticket set status = closed"),
    ),
    "AWM1008": Example(
        "entity Product { id: int @id  name: text @uniqe }\n", "entity Product { id: int @id  name: text @unique }\n"
    ),
    "AWM1009": Example("entity User { id: int @id  name: text }\n", PRELUDE, standalone=True),
    "AWM1010": Example(
        'env shop "Shop" { user Usr }\nentity User { id: int @id  name: text }\n', PRELUDE, standalone=True
    ),
    "AWM1011": Example(
        tool("count_users() -> int", "return count(User)"),
        tool('count_users() -> int "How many users there are."', "return count(User)"),
    ),
    "AWM1012": Example("entity Tag { name: text }\n", "entity Tag { id: int @id  name: text }\n"),
    "AWM1013": Example(
        "entity Team { id: int @id  name: text  games: Game[] }\n" + TEAM,
        "entity Team { id: int @id  name: text  games: Game[] via home }\n" + TEAM,
    ),
    "AWM1014": Example(
        'env shop "Shop" { }\nentity User { id: int @id  name: text }\n'
        + tool('whoami() -> User "The acting user."', "return me"),
        PRELUDE + tool('whoami() -> User "The acting user."', "return me"),
        standalone=True,
    ),
    "AWM1015": Example(
        tool('greet(me: text) -> text "Say hello."', 'return "hello"'),
        tool('greet(name: text) -> text "Say hello."', 'return "hello"'),
    ),
    "AWM1016": Example(
        RENAME + 'task rename_ann "Rename user 1 to Ann." {\n'
        '  solution { renam(user_id: 1, name: "Ann") }\n  expect User[1].name == "Ann"\n}\n',
        RENAME + 'task rename_ann "Rename user 1 to Ann." {\n'
        '  solution { rename(user_id: 1, name: "Ann") }\n  expect User[1].name == "Ann"\n}\n',
    ),
    "AWM2001": Example(
        PRODUCT
        + tool(
            'add_product(name: text) -> Product "Add a product."', 'return insert Product(name: name, stock: "none")'
        ),
        PRODUCT
        + tool('add_product(name: text) -> Product "Add a product."', "return insert Product(name: name, stock: 0)"),
    ),
    "AWM2002": Example(
        tool('price(x: decimal) -> decimal "Round a price to cents."', "return round(x, 2, 3)"),
        tool('price(x: decimal) -> decimal "Round a price to cents."', "return round(x, 2)"),
    ),
    "AWM2003": Example(
        PRODUCT + tool('low_stock(limit: int) -> int "How many products run low."', "return count(limit)"),
        PRODUCT
        + tool(
            'low_stock(limit: int) -> int "How many products run low."', "return count(Product where stock < limit)"
        ),
    ),
    "AWM2004": Example(
        "entity Product { id: int @id  name: text  price: decimal }\n"
        + tool('add_product(name: text) -> Product "Add a product."', "return insert Product(name: name)"),
        "entity Product { id: int @id  name: text  price: decimal }\n"
        + tool(
            'add_product(name: text, price: decimal) -> Product "Add a product."',
            "return insert Product(name: name, price: price)",
        ),
    ),
    "AWM2005": Example(
        tool('double(n: int) -> int "Double a number."', "n = n * 2\n  return n"),
        tool('double(n: int) -> int "Double a number."', "let doubled = n * 2\n  return doubled"),
    ),
    "AWM2006": Example(
        tool('rename(user_id: int, new_name: text) "Rename a user."', "update user_id set name = new_name"),
        tool('rename(user: User, new_name: text) "Rename a user."', "update user set name = new_name"),
    ),
    "AWM2007": Example(
        LINE.format("int")
        + tool(
            'round_lines() -> int "How many lines have a quantity ending in 0."',
            'return count(Line where text(quantity) ends with "0")',
        ),
        LINE.format("int")
        + tool(
            'round_lines() -> int "How many lines have a quantity ending in 0."',
            "return count(Line where quantity % 10 == 0)",
        ),
    ),
    "AWM2008": Example(
        UNION + tool('describe(p: Payment) "Describe a payment."', 'match p { card c { return "card" } }'),
        UNION
        + tool(
            'describe(p: Payment) "Describe a payment."',
            'match p { card c { return "card" } cash c { return "cash" } }',
        ),
    ),
    "AWM2009": Example(
        "entity Product { id: int @id  stock: int = stok }\n", "entity Product { id: int @id  stock: int = 0 }\n"
    ),
    "AWM2010": Example(
        "entity Product { id: int @id  stock: int @check(stock + 1) }\n",
        "entity Product { id: int @id  stock: int @check(stock >= 0) }\n",
    ),
    "AWM2011": Example(
        "entity Product { id: int @id  name: text @range(1, 80) }\n",
        "entity Product { id: int @id  name: text @length(1, 80) }\n",
    ),
    "AWM2012": Example(
        tool('sign(n: int) -> int "1 for a positive number, else 0."', "if n > 0 { return 1 }"),
        tool('sign(n: int) -> int "1 for a positive number, else 0."', "if n > 0 { return 1 }\n  return 0"),
    ),
    "AWM2013": Example(
        'invariant named "My name is set": all User u: u.id != me.id or u.name != ""\n',
        'invariant named "Every user has a name": all User u: u.name != ""\n',
    ),
    "AWM2014": Example(
        RENAME + 'task rename_ann "Rename user 1 to Ann." {\n  solution { rename(user_id: 1, name: "Ann") }\n}\n',
        RENAME + 'task rename_ann "Rename user 1 to Ann." {\n'
        '  solution { rename(user_id: 1, name: "Ann") }\n  expect User[1].name == "Ann"\n}\n',
    ),
    "AWM3001": Example('seed User(id, name) { (1, "Ann") (2) }\n', 'seed User(id, name) { (1, "Ann") (2, "Bo") }\n'),
    "AWM3002": Example(
        PRODUCT + 'seed Product(id, name, stock) { (1, "Lamp", len("abc")) }\n',
        PRODUCT + 'seed Product(id, name, stock) { (1, "Lamp", 3) }\n',
    ),
    "AWM3003": Example(
        'seed User(id, name) { (1, "Ann") (1, "Bo") }\n', 'seed User(id, name) { (1, "Ann") (2, "Bo") }\n'
    ),
    "AWM3004": Example(
        "entity Product { id: int @id  stock: int @check(stock >= 0) }\nseed Product(id, stock) { (1, -5) }\n",
        "entity Product { id: int @id  stock: int @check(stock >= 0) }\nseed Product(id, stock) { (1, 5) }\n",
    ),
    "AWM3005": Example(
        "entity Product { id: int @id  stock: int }\n"
        'invariant stock_ok "Stock is never negative": all Product p: p.stock >= 0\n'
        "seed Product(id, stock) { (1, 0) (2, -1) }\n",
        "entity Product { id: int @id  stock: int }\n"
        'invariant stock_ok "Stock is never negative": all Product p: p.stock >= 0\n'
        "seed Product(id, stock) { (1, 0) (2, 1) }\n",
    ),
    "AWM4001": Example(
        "enum Color { red green }\n",
        "enum Color { red green }\n" + tool('paint(color: Color) -> text "Name a colour."', 'return "{color}"'),
    ),
    "AWM4002": Example(
        tool('answer() -> int "The answer."', "let unused = 1\n  return 42"),
        tool('answer() -> int "The answer."', "return 42"),
    ),
    "AWM4003": Example(
        tool('answer() -> int "The answer."', 'return 42\n  fail too_late "never runs"'),
        tool('answer() -> int "The answer."', "return 42"),
    ),
    "AWM4004": Example(
        "entity Product { id: int @id  category: text }\n"
        + tool(
            'in_category(category: text) -> int "How many products a category has."',
            "return count(Product where category == category)",
        ),
        "entity Product { id: int @id  category: text }\n"
        + tool(
            'in_category(category: text) -> int "How many products a category has."',
            "return count(Product where category == $category)",
        ),
    ),
    "AWM4005": Example(ORDER, ORDER + tool('ship(order: Order) "Ship an order."', "update order set status = shipped")),
    "AWM4006": Example(SLOT.format("SlotTaken"), SLOT.format("slot_taken")),
    "AWM4007": Example(
        RENAME + 'task no_empty_name "Rename user 1 to nothing." {\n'
        '  solution {\n    rename(user_id: 1, name: "") fails empty_name\n    answer "A name cannot be empty."\n  }\n'
        '  expect answer matches "cannot"\n}\n',
        RENAME + 'task no_such_user "Rename user 9 to Ann." {\n'
        '  solution {\n    rename(user_id: 9, name: "Ann") fails not_found\n    answer "There is no user 9."\n  }\n'
        '  expect answer matches "no user 9"\n}\n',
    ),
}


def render_example(code: str, block: Callable[[str], str], prelude_shown_above: bool = False) -> str:
    """The example of `code` as text, each snippet and file passed through `block` (an
    indented block for the terminal, a fenced one for Markdown); "" for a code without one.
    A page of every example shows PRELUDE once, at the top (`prelude_shown_above`)."""
    ex = EXAMPLES.get(code)
    if ex is None:
        return ""
    if ex.standalone:
        intro = "Example (each snippet is a whole spec)."
    elif prelude_shown_above:
        intro = "Example (each snippet follows the two lines at the top of this page)."
    else:
        intro = f"Example. Each snippet follows the lines\n\n{block(PRELUDE)}"
    parts = [intro, f"This gives {code}:", block(ex.wrong)]
    parts += [f"with `{name}` beside the spec (`{SPEC_NAME}`):\n\n{block(text)}" for name, text in ex.files.items()]
    parts += ["Fixed:", block(ex.fixed)]
    if ex.fixed_files is not None:
        parts += [f"with `{name}` now:\n\n{block(text)}" for name, text in ex.fixed_files.items()]
    return "\n\n".join(parts)
