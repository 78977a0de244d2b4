"""What every route of the service works with: the serving rule source, the run store, officers, limits
and the runner that screens uploads in the background and takes up runs a stopped server left."""

from __future__ import annotations

from dataclasses import dataclass

from .auth import Officers
from .limits import Limits
from .rulesource import RuleSource
from .runs import Runner
from .storage import Store


@dataclass
class Service:
    rules: RuleSource  # the serving pack: read it once per request (PinPack does), never twice
    store: Store
    officers: Officers
    limits: Limits
    runner: Runner
