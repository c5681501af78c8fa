"""``python -m crossings`` is the ``crossings`` command."""

from crossings.cli.main import main

raise SystemExit(main())
