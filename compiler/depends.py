"""Cache keys for incremental builds: what checking or lowering one declaration can read.

Besides its own text, a tool, seed, invariant or task can read:
- the environment's name, user entity and clock, and the set of declared type names (what a
  name means depends on which types exist);
- the entities, records and unions it names, and, transitively, those that they name (a
  field's type, a back-reference's child); `me` names the user entity;
- the enums named by any of those texts, and every enum with a member named there (a bare
  name such as `paid` is looked up in all enums).
Names are found as words of the text: a word in a string or a comment can only make a key
larger, never miss a dependency. A key that names no declaration (the DDL, the per-entity
output functions, the seeded database) depends on every type.
"""
from __future__ import annotations

import re

from . import nodes as n
from .cache import BuildCache
from .diagnostics import Sources

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class DeclarationKeys:
    def __init__(self, modules: list[n.Module], sources: Sources, cache: BuildCache):
        decls = [d for m in modules for d in m.decls]
        env = next((d for d in decls if isinstance(d, n.EnvDecl)), None)
        props = {p.key.name: p.value for p in env.props} if env is not None else {}
        self.user = props.get("user")
        self.declared: dict[str, tuple[str, ...]] = {}     # type name -> the pieces declaring it
        for d in decls:
            if isinstance(d, (n.EntityDecl, n.RecordDecl, n.UnionDecl)):
                self.declared[d.name.name] = self.declared.get(d.name.name, ()) + (d.span.path,)
        # enum piece -> the words that make a text depend on it: its name and its members
        self.enums = {d.span.path: frozenset([d.name.name] + [m.name for m in d.members])
                      for d in decls if isinstance(d, n.EnumDecl)}
        type_names = tuple(sorted({d.name.name for d in decls
                                   if isinstance(d, (n.EntityDecl, n.RecordDecl, n.UnionDecl, n.EnumDecl))}))
        self.base = ("env", env.name.name if env else None, self.user, props.get("clock"), "names", type_names)
        self.everything = self.base + tuple(sorted(self.declared.items())) + tuple(self.enums)
        self.sources, self.cache = sources, cache
        self._reach: dict[str, frozenset[str]] = {}
        self._prefixes: dict[tuple, tuple] = {}

    def key(self, key: tuple, whole: bool = False) -> tuple:
        """`key` prefixed by the type declarations its declarations can read (all of them
        when `whole`, or when the key names no declaration)."""
        pieces = () if whole else tuple(x for x in _flat(key) if isinstance(x, str) and x in self.sources.pieces)
        prefix = self._prefixes.get(pieces)
        if prefix is None:
            prefix = self._prefixes[pieces] = self._prefix(pieces)
        return prefix + key

    def _prefix(self, pieces: tuple[str, ...]) -> tuple:
        if not pieces:
            return self.everything
        words: set[str] = set()
        for piece in pieces:
            words |= self._words(piece)
        if "me" in words and self.user in self.declared:
            words.add(self.user)
        reached: set[str] = set()
        for name in words & self.declared.keys():
            reached |= self._reached_from(name)
        for name in reached:
            for piece in self.declared[name]:
                words |= self._words(piece)
        enums = tuple(piece for piece, names in self.enums.items() if names & words)
        return self.base + tuple((name, self.declared[name]) for name in sorted(reached)) + enums

    def _reached_from(self, name: str) -> frozenset[str]:
        if name not in self._reach:
            seen, todo = {name}, [name]
            while todo:
                for piece in self.declared[todo.pop()]:
                    for word in self._words(piece) & self.declared.keys():
                        if word not in seen:
                            seen.add(word)
                            todo.append(word)
            self._reach[name] = frozenset(seen)
        return self._reach[name]

    def _words(self, piece: str) -> frozenset[str]:
        text = self.sources.piece_text(piece)
        return self.cache.get(("words", piece, text), lambda: frozenset(WORD.findall(text)))


def _flat(key: tuple):
    for part in key:
        if isinstance(part, tuple):
            yield from _flat(part)
        else:
            yield part
