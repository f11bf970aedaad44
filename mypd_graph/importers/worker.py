"""Parsing a large file in a process of its own, so parsing and writing use two CPU cores.

An importer's ``parse`` is Python: in a thread it shares the interpreter lock with the pipeline's
own Python work, and a million-row file would take the sum of both times. For a large file on disk
whose importer can be pickled (a plugin's module-level function), :func:`open_reader` starts this
module as a child process (``python -m mypd_graph.importers.worker FD``) that runs the same
:class:`~mypd_graph.importers.reader.Reader` and streams its batches back through a pipe. Pipes
hold little, so the child parses at most one batch ahead of the writer: memory stays flat.

A fresh interpreter, not ``multiprocessing``: nothing of the parent (its threads, its event loop,
its ``__main__``) is copied or re-run. The child gets the parent's ``sys.path``, so plugins
installed anywhere the parent can import from load the same way. It writes only to its pipe;
whatever the importer prints goes to the inherited stdout and stderr. Everything else (small
files, uploads, folders, importers that cannot be pickled) is read in a thread, the same way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO

from mypd_graph.importers.job import Chunk, ImporterBug, ImportJob
from mypd_graph.importers.reader import Reader
from mypd_graph.importers.source import FileSource
from mypd_graph.plugins.types import FileRejected, ImportSource

PROCESS_MIN_BYTES = 8 << 20  # below this, starting an interpreter costs more than it saves


class WorkerFailed(Exception):
    """The parsing process failed; the message names the error it reported, or its exit."""


def _picklable(value: Any) -> bool:
    try:
        pickle.dumps(value)
    except Exception:  # closures, lambdas, objects holding files: read those in a thread
        return False
    return True


def open_reader(job: ImportJob, source: ImportSource, batch_size: int) -> Reader | ProcessReader:
    """A reader in a child process for a large file on disk, else one for a worker thread."""
    path = getattr(source, "path", None)
    if (
        isinstance(source, FileSource)
        and path is not None
        and path.is_file()
        and source.size >= PROCESS_MIN_BYTES
        and _picklable((job.definition, dict(job.options)))
    ):
        return ProcessReader(job, source, batch_size)
    return Reader(job, source, batch_size)


PIPE_BYTES = 1 << 20  # about two batches: the parser keeps going while the writer writes


def _widen(fd: int) -> None:
    """A wider pipe (Linux; 64 KiB by default) lets the parser run more than one batch ahead."""
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)  # type: ignore[attr-defined]


class ProcessReader:
    """The parent's side: :meth:`take` (run in a worker thread) returns the child's next batch."""

    def __init__(self, job: ImportJob, source: FileSource, batch_size: int) -> None:
        self.source = source
        read_end, write_end = os.pipe()
        _widen(write_end)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mypd_graph.importers.worker", str(write_end)],
                stdin=subprocess.PIPE,
                pass_fds=(write_end,),
            )
        finally:
            os.close(write_end)
        self.pipe: BinaryIO = os.fdopen(read_end, "rb")
        setup = {
            "sys_path": list(sys.path),
            "job": (job.definition, dict(job.options), job.create_students, job.attribute_teachers),
            "source": (
                source.name,
                str(source.path),
                source.encoding,
                source.size,
                source.not_text,
            ),
            "batch_size": batch_size,
        }
        assert self.process.stdin is not None
        with self.process.stdin as stdin:
            pickle.dump(setup, stdin, protocol=pickle.HIGHEST_PROTOCOL)

    def take(self) -> Chunk:
        try:
            kind, *payload = pickle.load(self.pipe)
        except EOFError:
            code = self.process.wait()
            raise WorkerFailed(
                f"the parsing process ended unexpectedly (exit status {code})"
            ) from None
        if kind == "chunk":
            chunk, bytes_read = payload
            self.source.counter.count = bytes_read
            return chunk  # type: ignore[no-any-return]
        if kind == "rejected":
            message, missing, unknown = payload
            raise FileRejected(message, missing=missing, unknown=unknown)
        if kind == "bug":
            raise ImporterBug(payload[0])
        raise WorkerFailed(f"{payload[0]}: {payload[1]}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.pipe.close()


class _Job:
    """What :class:`Reader` needs of an :class:`ImportJob`, rebuilt in the child."""

    def __init__(
        self, definition: Any, options: dict[str, Any], create: bool, attribute: bool
    ) -> None:
        self.definition = definition
        self.options = MappingProxyType(options)
        self.create_students = create
        self.attribute_teachers = attribute


def _child(write_fd: int) -> None:
    setup = pickle.load(sys.stdin.buffer)
    sys.path[:] = setup["sys_path"]
    definition, options, create, attribute = setup["job"]
    name, path, encoding, size, not_text = setup["source"]
    source = FileSource.known(name, Path(path), encoding, size, not_text=not_text)
    job = _Job(definition, options, create, attribute)
    reader = Reader(job, source, setup["batch_size"])  # type: ignore[arg-type]
    with os.fdopen(write_fd, "wb") as pipe:

        def send(*message: Any) -> None:
            pickle.dump(message, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            pipe.flush()

        while True:
            try:
                chunk = reader.take()
            except FileRejected as error:
                send("rejected", str(error), tuple(error.missing), tuple(error.unknown))
                return
            except ImporterBug as error:
                send("bug", str(error))
                return
            except Exception as error:  # reported to the parent, which fails the import
                send("error", type(error).__name__, str(error))
                return
            send("chunk", chunk, source.bytes_read)
            if chunk.exhausted:
                return


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):  # the parent stopped reading: it gave up
        _child(int(sys.argv[1]))
