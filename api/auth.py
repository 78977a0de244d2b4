"""Officer bearer tokens, set by the operator and kept only as SHA-256 hashes.

Sources, in order: IPCHECK_OFFICER_TOKENS="name:token,name2:token2" and/or a file named by
IPCHECK_OFFICER_TOKENS_FILE with one `name:token` or `name:sha256:<hex>` per line (# comments),
so the file need not hold the tokens themselves. No token configured = officer endpoints refuse.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from .errors import ApiError


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Officers:
    hashes: dict[str, str]  # sha256 hex -> officer name

    @classmethod
    def from_mapping(cls, tokens: dict[str, str]) -> "Officers":
        return cls({digest(token): name for name, token in tokens.items() if token})

    @classmethod
    def from_env(cls) -> "Officers":
        lines = [p for p in os.environ.get("IPCHECK_OFFICER_TOKENS", "").split(",") if p.strip()]
        path = os.environ.get("IPCHECK_OFFICER_TOKENS_FILE")
        if path:
            lines += [ln for ln in Path(path).read_text(encoding="utf-8").splitlines()
                      if ln.strip() and not ln.lstrip().startswith("#")]
        return cls.parse(lines)

    @classmethod
    def parse(cls, lines: list[str]) -> "Officers":
        hashes = {}
        for n, line in enumerate(lines, start=1):
            name, sep, secret = line.strip().partition(":")
            if not sep or not name or not secret:
                raise ValueError(f"officer token entry {n}: expected name:token or name:sha256:<hex> "
                                 f"/ 第 {n} 项令牌格式应为 名称:令牌")
            kind, _, hexdigest = secret.partition(":")
            hashes[hexdigest.lower() if kind == "sha256" and len(hexdigest) == 64 else digest(secret)] = name
        return cls(hashes)

    def who(self, request: Request) -> str:
        """The officer named by the request's bearer token, or a 401."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            given = digest(token.strip())
            for known, name in self.hashes.items():
                if hmac.compare_digest(given, known):
                    return name
        raise ApiError(401, "unauthorized", "a valid officer bearer token is required",
                       "需要有效的经办人员访问令牌（Bearer）")
