"""What a use case refuses, in Chinese and English, for each edge to word as it does (a problem
details answer, a line in the terminal)."""


class ServiceError(Exception):
    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


class NotFound(ServiceError):
    """Nothing of that name in the caller's scope: another district's is not found either."""

    def __init__(self, what_zh: str, what_en: str, *, kind: str = ""):
        super().__init__(f"{what_zh}不存在", f"{what_en} not found")
        self.kind = kind  # district | town | report | ...: what was looked for


class Forbidden(ServiceError):
    pass


class Invalid(ServiceError):
    """A request the use case cannot take as asked (beyond what its edge's validation catches)."""


class ProjectionBehind(ServiceError):
    """The reports have not reached a position the caller waited for: retry in a moment."""

    def __init__(self, position: int):
        super().__init__(f"报表尚未反映位置 {position}，请稍后重试", f"the reports have not yet reached position {position}")
        self.position = position


class UnknownFigure(ServiceError):
    """A lineage asked of a figure the report has none of, or that cannot be traced."""

    def __init__(self, figure: str):
        super().__init__(f"报表中没有可溯源的数字 {figure}", f"no traceable figure {figure} in the report")
