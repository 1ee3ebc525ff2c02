"""``python -m skgen`` runs the demo."""

from .demo import main

main()
