"""``python -m midstream``: the same as the ``midstream`` command."""

from midstream.cli import main

raise SystemExit(main())
