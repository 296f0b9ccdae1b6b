"""``midstream bench``: the cost of a partial value after every chunk, midstream against the tools in use today.

The pieces, one job each: ``workloads`` builds the documents, ``chunking`` cuts them, ``peers`` knows how each
parser does the job, ``runner`` times them side by side within a budget, ``report`` and ``plot`` show the result,
``command`` is the CLI. Importing this package imports no peer; each is imported when it runs.

>>> from midstream.bench import Config, run, TOKEN_SIZED
>>> rows = run(Config(("numbers",), (300,), (TOKEN_SIZED,), ("midstream", "json"), budget=1.0, repeat=1))
>>> [(row.parser, row.status) for row in rows]
[('midstream', 'ok'), ('json', 'ok')]
"""

from midstream.bench.chunking import NETWORK_SIZED, TOKEN_SIZED, Chunking, Stream, cut
from midstream.bench.peers import PEERS, Peer
from midstream.bench.runner import Config, Row, run
from midstream.bench.workloads import WORKLOADS, Document, Workload, build

__all__ = [
    "NETWORK_SIZED",
    "PEERS",
    "TOKEN_SIZED",
    "WORKLOADS",
    "Chunking",
    "Config",
    "Document",
    "Peer",
    "Row",
    "Stream",
    "Workload",
    "build",
    "cut",
    "run",
]
