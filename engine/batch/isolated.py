"""Reading an untrusted workbook in a child process that has a memory and a CPU-time limit.

engine.batch.xlsxguard refuses every workbook it knows to be dangerous before the reader sees it;
this is the second wall, for what the guard might miss: the guard and the read run in a child
process (forkserver, so no threads of the server are forked) whose address space (RLIMIT_AS) may
grow by `SheetLimits.memory_bytes` at most and whose CPU time (RLIMIT_CPU) is `cpu_seconds`. A
reader that asks for too much fails or dies there, never in the server, and the caller gets the
same bilingual LimitError (413 in the service) as for a limit the guard found. The child writes
the chunks' cells as an Arrow IPC file; the parent memory-maps it and hands the chunks on, so the
cost over reading in-process is a process start and one write and map of the cell texts
(bench/xlsx_isolation.py measures it).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import resource
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from engine.batch.table_error import LimitError, TableError
from engine.batch.xlsxguard import SheetChoice, SheetLimits

Chunks = Iterator[tuple[list[str], pa.Table]]
Reader = Callable[[Path, int, Any], Chunks]  # (path, chunk rows, read options) -> (headers, table) per chunk

_CONTEXT = multiprocessing.get_context("forkserver")
# The forked children inherit these modules imported, rather than importing them on every read.
_CONTEXT.set_forkserver_preload(["engine.batch.tabular"])


def start_server() -> None:
    """Start the process the children are forked from now (it imports the preloaded modules, ≈ 1–2 s of
    CPU on this machine) rather than on the first workbook read, which would wait for it."""
    multiprocessing.forkserver.ensure_running()


def isolated_chunks(
    read: Reader,
    path: Path,
    chunk_rows: int,
    options: Any,
    limits: SheetLimits,
    explain: Callable[[Path], Any] | None = None,
) -> Chunks:
    """`read(path, chunk_rows, options)`, run in a limited child; its notes, first row and CPU time come back
    into `options`. `explain(path)`, run here when the child was killed, may raise the more precise error (the
    guard's, when the child's reader ran into the limits before its guard could refuse the file)."""
    with tempfile.TemporaryDirectory(prefix="ipcheck-read-") as tmp:
        out = Path(tmp) / "cells.arrow"
        receive, send = _CONTEXT.Pipe(duplex=False)
        child = _CONTEXT.Process(target=_child, args=(read, path, chunk_rows, options, limits, str(out), send))
        child.start()
        send.close()
        try:
            answer = receive.recv() if receive.poll(None) else None
        except EOFError:  # the child died before answering
            answer = None
        child.join()
        if answer is None or answer[0] == "died":
            if explain is not None:
                explain(path)
            raise died(child.exitcode, limits, path)
        if answer[0] == "error":
            raise rebuilt(*answer[1:])
        _, headers, notes, first_row, cpu = answer
        options.notes += notes
        options.first_row, options.child_cpu_seconds = first_row, cpu
        if headers is None:
            return
        with pa.memory_map(str(out)) as source:
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield headers, pa.Table.from_batches([reader.get_batch(i)])


def _child(read: Reader, path: Path, chunk_rows: int, options: Any, limits: SheetLimits, out: str, send: Any) -> None:
    """In the child: limit it, read, write the chunks to `out`, answer with the headers and notes (or the error)."""
    limit(limits)
    try:
        headers, writer = None, None
        with pa.OSFile(out, "wb") as sink:
            for headers, table in read(path, chunk_rows, options):  # noqa: B007 — the header row is wanted
                writer = writer or pa.ipc.new_file(sink, table.schema)
                writer.write_table(table)
            if writer is not None:
                writer.close()
        used = resource.getrusage(resource.RUSAGE_SELF)
        send.send(("ok", headers, options.notes, options.first_row, used.ru_utime + used.ru_stime))
    except TableError as e:
        send.send(("error", type(e).__name__, e.en, e.zh, getattr(e, "sheets", [])))
    except MemoryError:
        send.send(("died",))
    except BaseException as e:  # e.g. the Rust reader panicking on a broken file (pyo3's PanicException)
        kind = type(e).__name__
        en, zh = f"{path.name}: the workbook cannot be read ({kind})", f"{path.name}：无法读取该工作簿（{kind}）"
        send.send(("error", "TableError", en, zh, []))


def limit(limits: SheetLimits) -> None:
    """This process may grow by `memory_bytes` beyond what it has mapped now, and use `cpu_seconds` of CPU."""
    now = mapped_bytes()
    resource.setrlimit(resource.RLIMIT_AS, (now + limits.memory_bytes, now + limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))


def mapped_bytes() -> int:
    """The process's address space now (VmSize), bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def died(exitcode: int | None, limits: SheetLimits, path: Path) -> TableError:
    """Why the child is gone, as the limit it ran into: CPU time (SIGXCPU), else memory (an allocation
    refused under RLIMIT_AS aborts the reader, or the kernel killed it). A child that exited by itself
    without answering ran into no limit: it could not start (say so, rather than blame the file's size)."""
    if exitcode is not None and exitcode > 0:
        return TableError(
            f"{path.name}: the process reading the workbook stopped unexpectedly (exit code {exitcode}); "
            "nothing was read",
            f"{path.name}：读取工作簿的进程意外退出（退出码 {exitcode}），未读取任何数据",
        )
    if exitcode == -signal.SIGXCPU:
        return LimitError(
            f"{path.name}: reading the workbook took more than {limits.cpu_seconds} s of CPU time",
            f"{path.name}：读取工作簿所需 CPU 时间超过 {limits.cpu_seconds} 秒上限",
        )
    mb = limits.memory_bytes >> 20
    return LimitError(
        f"{path.name}: reading the workbook needed more than {mb} MB of memory; nothing was read",
        f"{path.name}：读取工作簿所需内存超过 {mb} MB 上限，未读取任何数据",
    )


def rebuilt(kind: str, en: str, zh: str, sheets: list[tuple[str, bool]]) -> TableError:
    """The child's TableError, as the same class here (exceptions with bilingual fields do not pickle)."""
    if kind == "SheetChoice":
        return SheetChoice(en, zh, sheets)
    return LimitError(en, zh) if kind == "LimitError" else TableError(en, zh)
