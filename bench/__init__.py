"""Benchmarks: each figure is printed beside a baseline measured in the same run."""


def print_figures(figures: dict[str, float | int]) -> None:
    """One `name: value` line per figure, as every benchmark prints them."""
    for name, value in figures.items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")
