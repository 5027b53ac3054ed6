"""The shipped list of vendor/sample default accounts and trivially weak passwords
(rules/data/weak-credentials.yaml), extended per site by the inventory's
`weak_credentials_file:`. Passwords are compared in memory and never copied anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from enamel_hipaa.core import paths, yamlsrc
from enamel_hipaa.core.errors import InputError

SHIPPED = "data/weak-credentials.yaml"


@dataclass(frozen=True)
class WeakCredentials:
    pairs: tuple[tuple[str, str], ...]
    weak_passwords: frozenset[str]
    min_length: int
    max_attempts: int

    def is_weak(self, user: str, password) -> bool:
        if not isinstance(password, str):
            return False  # hashed/structured entries are not judged
        pw = password.lower()
        return (
            (user, password) in self.pairs
            or pw in self.weak_passwords
            or pw == user.lower()
            or len(password) < self.min_length
        )

    def to_try(self) -> list[tuple[str, str]]:
        """The pairs a network probe tries, bounded by max_attempts."""
        return list(self.pairs[: self.max_attempts])


def _read(path: Path) -> dict:
    data, lines = yamlsrc.load(path)
    if not isinstance(data, dict):
        raise InputError(str(path), "expected a mapping (pairs:, weak_passwords:, min_length:)", line=1)
    for i, p in enumerate(data.get("pairs") or []):
        if not isinstance(p, str) or ":" not in p:
            raise InputError(
                str(path), f"pairs[{i}] must be 'user:password'", line=yamlsrc.line_of(lines, ("pairs", i))
            )
    return data


def load(extra: str | None = None) -> WeakCredentials:
    docs = [_read(paths.rules_dir() / SHIPPED)] + ([_read(Path(extra))] if extra else [])
    pairs: list[tuple[str, str]] = []
    weak: set[str] = set()
    for d in docs:
        for p in d.get("pairs") or []:
            u, _, pw = str(p).partition(":")
            if (u, pw) not in pairs:
                pairs.append((u, pw))
        weak |= {str(w).lower() for w in d.get("weak_passwords") or []}
    return WeakCredentials(
        tuple(pairs),
        frozenset(weak),
        int(docs[-1].get("min_length", docs[0].get("min_length", 8))),
        int(docs[-1].get("max_attempts", docs[0].get("max_attempts", 8))),
    )
