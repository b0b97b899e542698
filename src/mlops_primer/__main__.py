"""`python -m mlops_primer`."""

from mlops_primer.cli import main

if __name__ == "__main__":
    main()
