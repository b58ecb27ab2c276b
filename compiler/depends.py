"""What a cached result depends on, so an edit re-does only what it can change.

Each cached result (a declaration's check, its code, its INSERTs, ...) is made from its own
declaration's text (the key names it) and from the declared types it looks up. The checker's
type tables are TypeTables: while a result is made, every lookup of a type by name is
recorded (a lookup of a missing name too, and a walk over a whole table as `*`). The cache
keeps the result with the versions of what it read, and reuses it only while they are
unchanged. A type's version is the text of its declarations, which one owns the name (the
first; an enum and an entity may share one), and the kind of each type name its fields use
(an entity, an enum, ... or nothing: that is what a field's type resolves to). An entity's also holds, for each
of its back-references (`Child[]`), the fields of Child that point back at it (what
resolving the back-reference reads).

The environment's name, user and clock are part of every key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from . import nodes as n
from .cache import BuildCache

V = TypeVar("V")
_recording = threading.local()
EVERY = "*"


class TypeTable(dict):
    """A dict of declared types by name that notes each lookup for the active recorders."""

    __slots__ = ("kind",)

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def __getitem__(self, name):
        _note(self.kind, name)
        return dict.__getitem__(self, name)

    def get(self, name, default=None):
        _note(self.kind, name)
        return dict.get(self, name, default)

    def __contains__(self, name) -> bool:
        _note(self.kind, name)
        return dict.__contains__(self, name)

    def __iter__(self):
        _note(self.kind, EVERY)
        return dict.__iter__(self)

    def __len__(self) -> int:
        _note(self.kind, EVERY)
        return dict.__len__(self)

    def keys(self):
        _note(self.kind, EVERY)
        return dict.keys(self)

    def values(self):
        _note(self.kind, EVERY)
        return dict.values(self)

    def items(self):
        _note(self.kind, EVERY)
        return dict.items(self)


def _note(kind: str, name) -> None:
    for reads in getattr(_recording, "stack", ()):
        reads.add((kind, name))


def recorded(make: Callable[[], V]) -> tuple[V, set[tuple[str, str]]]:
    """Run `make` and return its value with the type lookups it made."""
    stack = _recording.__dict__.setdefault("stack", [])
    reads: set[tuple[str, str]] = set()
    stack.append(reads)
    try:
        return make(), reads
    finally:
        stack.pop()


KINDS = {n.EntityDecl: "entity", n.EnumDecl: "enum", n.RecordDecl: "record", n.UnionDecl: "union"}


class Dependencies:
    """One build's view of the types: their versions, and `memo` for its cached results."""

    def __init__(self, modules: list[n.Module], cache: BuildCache):
        decls = [d for m in modules for d in m.decls]
        env = next((d for d in decls if isinstance(d, n.EnvDecl)), None)
        # every `user` and `clock` in order: the checker takes the last valid one
        env_props = tuple((p.key.name, p.value) for p in env.props if p.key.name in ("user", "clock")) if env else ()
        self.declared: dict[str, dict[str, tuple[tuple, ...]]] = {kind: {} for kind in KINDS.values()}
        self.first: dict[str, tuple] = {}  # type name -> the declaration that owns it (the first)
        self.first_kind: dict[str, str] = {}  # type name -> the kind of that declaration
        self.refers_to: dict[str, set[str]] = {}  # type -> type names its fields' types name
        self.children: dict[str, set[str]] = {}  # entity -> entities its back-references name
        self.fields_to: dict[tuple[str, str], tuple[str, ...]] = {}  # (child, parent) -> child's fields of type parent
        for d in decls:
            kind = KINDS.get(type(d))
            if kind is None:
                continue
            table = self.declared[kind]
            table[d.name.name] = table.get(d.name.name, ()) + (n.decl_key(d),)
            self.first.setdefault(d.name.name, n.decl_key(d))
            self.first_kind.setdefault(d.name.name, kind)
            fields = [f for v in d.variants for f in v.fields] if kind == "union" else getattr(d, "fields", ())
            self.refers_to.setdefault(d.name.name, set()).update(name for f in fields for name in _type_names(f.type))
            if kind == "entity":
                self.children.setdefault(d.name.name, set()).update(f.type.name for f in d.fields if f.type.many)
                for f in d.fields:
                    if not f.type.many and not f.type.args:
                        key = (d.name.name, f.type.name)
                        self.fields_to[key] = self.fields_to.get(key, ()) + (f.name.name,)
        # ... and whether each names a declared entity (`me` is valid only then)
        users = tuple((value, self.first_kind.get(value)) for key, value in env_props if key == "user")
        self.base = ("env", env.name.name if env else None, env_props, users)
        self.cache = cache
        self._versions: dict[tuple[str, str], tuple] = {}

    def memo(self, key: tuple, make: Callable[[], V]) -> V:
        """The result for `key` (which names what it is made from), made again only if one of
        the types it read has changed."""

        def make_and_record():
            value, reads = recorded(make)
            return value, tuple(sorted(reads, key=repr))

        return self.cache.get_versioned(self.base + key, make_and_record, self.versions)

    def versions(self, reads: tuple) -> tuple:
        return tuple(self.version(read) for read in reads)

    def version(self, read: tuple[str, Hashable]) -> tuple:
        found = self._versions.get(read)
        if found is None:
            kind, name = read
            table = self.declared[kind]
            if name == EVERY:
                found = tuple(sorted(table.items())) + tuple(sorted(self.first.items()))
            else:
                # its declarations, and the kinds of the type names its fields use
                found = (self.first.get(name),) + table.get(name, ())
                found += tuple((ref, self.first_kind.get(ref)) for ref in sorted(self.refers_to.get(name, ())))
                if kind == "entity":
                    for child in sorted(self.children.get(name, ())):
                        found += ((child, child in self.declared["entity"], self.fields_to.get((child, name), ())),)
            self._versions[read] = found
        return found


def _type_names(ref: n.TypeRef):
    yield ref.name
    for arg in ref.args:
        yield from _type_names(arg)
