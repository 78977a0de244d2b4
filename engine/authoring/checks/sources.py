"""Every parameter version cites the document it comes from.

What: A parameter version whose `source.document` is empty.

Why: A threshold nobody can trace is an assumption presented as policy; officers and firms must be able to check
every number against the text.

Example: `versions: [{value: 0.03, from: 2023-01-01, source: {document: ""}}]` -> error no-source.
"""

from __future__ import annotations

from engine.authoring.lintbase import (
    Check,
    Linter,
)


def run(lint: Linter) -> None:
    for ident, param in lint.pack.parameters.items():
        for n, version in enumerate(param.versions):
            if not version.source.document.strip():
                lint.add(
                    lint.where.at("parameters", ident, ["versions", n, "source"]),
                    "error",
                    "no-source",
                    f"parameter {ident}: the version from {version.valid_from} cites no document",
                    f"参数 {ident}：{version.valid_from} 起的版本未注明出处文件",
                )


CHECK = Check("sources", ("no-source",), run, __doc__ or "")
