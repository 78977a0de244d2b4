"""Officer bearer tokens, set by the operator and kept only as SHA-256 hashes, and who sees what.

Sources, in order: IPCHECK_OFFICER_TOKENS="name:token,name2:token2" and/or a file named by
IPCHECK_OFFICER_TOKENS_FILE with one entry per line (# comments), so the file need not hold the
tokens themselves:

    name:token                  an officer
    name:sha256:<64 hex>        the same, with the token's SHA-256 instead of the token
    name:token supervisor       a supervisor: sees every officer's runs

Spaces around names, tokens and roles are trimmed. An entry without a name or a token, an unknown
role, a name given twice or a token given to two names refuses to start, naming the entry. No token
configured = officer endpoints refuse. An officer sees only the runs they uploaded (another's run
is 404, as if it did not exist); a supervisor sees all.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from .errors import ApiError

ROLES = ("officer", "supervisor")
_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Officer:
    name: str
    role: str = "officer"

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"

    def may_see(self, owner: str) -> bool:
        return self.supervisor or owner == self.name


@dataclass(frozen=True)
class Officers:
    hashes: dict[str, Officer]  # sha256 hex -> officer

    @classmethod
    def from_mapping(cls, tokens: dict[str, str], supervisors: tuple[str, ...] = ()) -> Officers:
        return cls.parse(
            [f"{name}:{token}" + (" supervisor" if name in supervisors else "") for name, token in tokens.items()]
        )

    @classmethod
    def from_env(cls) -> Officers:
        lines = [
            (f"IPCHECK_OFFICER_TOKENS entry {n}", p)
            for n, p in enumerate(os.environ.get("IPCHECK_OFFICER_TOKENS", "").split(","), start=1)
            if p.strip()
        ]
        path = os.environ.get("IPCHECK_OFFICER_TOKENS_FILE")
        if path:
            lines += [
                (f"{path}:{n}", ln)
                for n, ln in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1)
                if ln.strip() and not ln.lstrip().startswith("#")
            ]
        return cls.parse_located(lines)

    @classmethod
    def parse(cls, lines: list[str]) -> Officers:
        return cls.parse_located([(f"entry {n}", line) for n, line in enumerate(lines, start=1)])

    @classmethod
    def parse_located(cls, lines: list[tuple[str, str]]) -> Officers:
        hashes: dict[str, Officer] = {}
        names: dict[str, str] = {}
        for where, line in lines:
            hexdigest, officer = entry(where, line)
            if officer.name in names:
                raise ValueError(
                    f"{where}: officer {officer.name!r} is already given at {names[officer.name]} "
                    f"/ 经办人 {officer.name!r} 重复（已见于 {names[officer.name]}）"
                )
            if hexdigest in hashes:
                raise ValueError(
                    f"{where}: {officer.name!r} has the same token as {hashes[hexdigest].name!r}; "
                    f"each officer needs their own / 与 {hashes[hexdigest].name!r} 的令牌相同，每人须有自己的令牌"
                )
            names[officer.name], hashes[hexdigest] = where, officer
        return cls(hashes)

    def who(self, request: Request) -> Officer:
        """The officer named by the request's bearer token, or a 401."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            given = digest(token.strip())
            for known, officer in self.hashes.items():
                if hmac.compare_digest(given, known):
                    return officer
        raise ApiError(
            401, "unauthorized", "a valid officer bearer token is required", "需要有效的经办人员访问令牌（Bearer）"
        )


def entry(where: str, line: str) -> tuple[str, Officer]:
    """(token hash, officer) of one `name:token [role]` entry, trimmed; ValueError naming the entry."""
    name, sep, rest = (part.strip() for part in line.partition(":"))
    words = rest.split()
    if not sep or not name or not words or len(words) > 2:
        raise ValueError(
            f"{where}: expected name:token, name:sha256:<hex>, either followed by a role "
            f"/ 格式应为 名称:令牌 或 名称:sha256:<哈希>，可在后面加角色"
        )
    secret, role = words[0], words[1] if len(words) == 2 else "officer"
    if role not in ROLES:
        raise ValueError(f"{where}: unknown role {role!r}; roles: {', '.join(ROLES)} / 未知角色 {role!r}")
    kind, _, hexdigest = secret.partition(":")
    if kind == "sha256" and _HEX.match(hexdigest):
        return hexdigest.lower(), Officer(name, role)
    return digest(secret), Officer(name, role)
