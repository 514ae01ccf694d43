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


class PeriodOpen(ServiceError):
    """A report submitted before its half year has ended (China Standard Time)."""

    def __init__(self, period: str, end: str):
        super().__init__(f"{period} 尚未结束（截至 {end}），不能报送", f"{period} has not ended (it ends {end}): nothing to submit yet")


class ChildrenNotApproved(ServiceError):
    """A level's report submitted while reports of the level below with a station in the period
    are not approved; `children` names each (`{"town"|"district", "name", "status"}`) with its
    status (`kind`: towns or districts)."""

    def __init__(self, kind: str, children: list[dict[str, str]]):
        en_kind = kind.removesuffix("s")
        zh_kind = "镇(街道)" if kind == "towns" else "区"
        names = ", ".join(child[en_kind] for child in children)
        super().__init__(f"{len(children)} 个{zh_kind}的报表尚未审核通过：{names}；"
                         "可待其审核通过后报送，或在请求中写明 incomplete_reason 后报送",
                         f"{len(children)} {en_kind} report(s) not approved: {names}; submit once they are,"
                         " or give incomplete_reason")
        self.kind, self.children = kind, children
