"""Refusing a zombie's commit: a sink writes a stream only from where it last knew that stream to be.

Several processes of one pipeline (a Kafka consumer group) commit to the same sink, each for the
partitions it owns. A process that stalls past its session timeout loses its partitions to another
process, which resumes from the last committed position; if the stalled process then wakes up and
commits the rows it had read, those rows are written twice. Kafka-sink transactions are fenced by
the broker; for sinks that store positions themselves (Iceberg, PostgreSQL), :class:`Fencing`
checks inside the commit, where the stored positions are read under the sink's lock or optimistic
concurrency, that every stream this commit moves is still where this process last knew it to be
(its own last commit, or what it read when it was assigned the stream). If another process has
moved it since, the commit is refused with :class:`~lakegate.errors.Fenced` and nothing is written;
the engine then drops what it read since its last commit and starts again from the stored positions.
"""

from __future__ import annotations

from lakegate.errors import Fenced
from lakegate.records import SourcePositions


class Fencing:
    """What one sink of this process last knew of each stream's committed position."""

    def __init__(self, sink: str) -> None:
        self.sink = sink
        self._known: SourcePositions | None = None

    def learned(self, stored: SourcePositions) -> None:
        """The sink read its stored positions (at start, or when the source was assigned streams)."""
        self._known = {source: dict(position) for source, position in stored.items()}

    def check(self, committing: SourcePositions, stored: SourcePositions) -> None:
        """Raise :class:`Fenced` when a stream ``committing`` moves was moved by someone else since
        this process last knew it; ``stored``: the positions in the sink now, read inside the commit.
        Without a baseline (the sink never read its positions) ``stored`` becomes it."""
        if self._known is None:
            self.learned(stored)
        lost = [
            f"{source} {stream}"
            for source, stream in self._moved(committing)
            if stored.get(source, {}).get(stream) != self._known_entry(source, stream)
        ]
        if lost:
            shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
            raise Fenced(
                f"another process committed {shown} since this one last read its position; this "
                "process lost the stream (it stalled past its session timeout?) and does not write its rows",
                sink=self.sink,
            )

    def committed(self, committing: SourcePositions) -> None:
        """The commit of ``committing`` landed: the streams it moved are now where it put them."""
        if self._known is None:
            self._known = {}
        for source, stream in self._moved(committing):
            self._known.setdefault(source, {})[stream] = committing[source][stream]

    def _known_entry(self, source: str, stream: str) -> object:
        return (self._known or {}).get(source, {}).get(stream)

    def _moved(self, committing: SourcePositions) -> list[tuple[str, str]]:
        return [
            (source, stream)
            for source, position in committing.items()
            for stream, entry in position.items()
            if entry != self._known_entry(source, stream)
        ]
