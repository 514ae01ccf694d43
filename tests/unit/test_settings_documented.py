"""Every setting is documented where operators look: in the README's settings table."""

from pathlib import Path

from stations.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_has_a_description_and_a_row_in_the_readme():
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description"
        assert f"`STATIONS_{name.upper()}`" in README, f"STATIONS_{name.upper()} is not in the README's table"
