"""`python -m smartap_erp` runs the command line."""

from smartap_erp.cli import main

main()
