"""``python -m adcalc``."""

from adcalc.cli import run

if __name__ == "__main__":
    run()
