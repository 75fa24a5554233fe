"""`python -m oerhub.cli`: the `oerhub` command."""

from oerhub.cli import main

main()
