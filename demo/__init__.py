"""A seeded, realistic demo year of records (`generator.py`) and its reporting chain (`chain.py`)."""

from demo.areas import District, Town, from_divisions, xiamen
from demo.chain import ReportStep, reporting_plan
from demo.generator import BATCH_SIZE, DEFAULT_SEED, DEFAULT_SERVICES, DEFAULT_YEAR, DemoYear, generate

__all__ = ["BATCH_SIZE", "DEFAULT_SEED", "DEFAULT_SERVICES", "DEFAULT_YEAR", "DemoYear", "District", "ReportStep",
           "Town", "from_divisions", "generate", "reporting_plan", "xiamen"]
