"""``python -m ist_analyse`` runs the CLI."""

from ist_analyse.cli import main

main()
