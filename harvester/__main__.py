"""`python -m harvester` is the `harvester` command."""

from harvester.app.cli.main import main

main()
