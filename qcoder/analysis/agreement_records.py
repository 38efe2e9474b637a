"""The agreement report's records, apart from its figures and its words so those two form no circle."""

from __future__ import annotations

from dataclasses import dataclass, field

from qcoder.analysis.agreement_stats import BootstrapCI, Confusion, Stat
from qcoder.coding.agreement_units import AgreementRequest, CodeRef, UnitData

Pair = tuple[int, int]


@dataclass(frozen=True)
class CodeAgreement:
    """Every figure for one code, with how often each coder used it on the units."""

    code: CodeRef
    used: tuple[int, ...]  # statements each coder coded with it (rolled up), among units they reviewed
    used_any: int  # statements at least one coder coded with it
    percent: Stat
    kappa: dict[Pair, Stat]
    fleiss: Stat
    alpha: Stat
    holsti: dict[Pair, Stat]
    alpha_ci: BootstrapCI[Stat] | None = None
    # beside κ and α, so a high percent agreement with κ near 0 on a rare code shows as what it is
    percent_pairwise: Stat | None = None  # mean agreement over coder pairs (= percent for two coders)
    pi: dict[Pair, Stat] = field(default_factory=dict)  # Scott's π per coder pair
    bp: Stat | None = None  # Brennan–Prediger's S
    ac1: Stat | None = None  # Gwet's AC1, missing-data form
    fleiss_listwise: Stat | None = None  # Fleiss' κ on the statements every coder reviewed
    prevalence: float | None = None  # share of 1 among the pairable decisions

    def reasons(self) -> list[str]:
        """Why figures are missing (Fleiss' missing-data reason is reported once per report)."""
        stats = [self.percent, *self.kappa.values(), self.alpha, *self.holsti.values()]
        return list(dict.fromkeys(s.reason for s in stats if s.reason))


@dataclass(frozen=True)
class VariableAgreement:
    """Agreement on one categorical variable: a set of mutually exclusive codes, or a scale.

    A coder's value on a statement is the one child code used there; statements a coder
    did not give a value (or, against the rule, gave two: ``conflicts``) are missing.
    """

    name: str
    scale: str | None  # level of measurement; None: an exclusive set (nominal)
    values: tuple[str, ...]
    numbers: tuple[float, ...]
    distribution: dict[str, tuple[int, ...]]  # coder -> statements per value
    kappa: dict[Pair, Stat]
    weighted_linear: dict[Pair, Stat]
    weighted_quadratic: dict[Pair, Stat]
    fleiss_listwise: Stat
    alpha_nominal: Stat
    alpha_level: Stat  # α at the scale's level (= nominal for an exclusive set)
    ac1: Stat
    pooled_children: Stat  # pooled binary α over the children read code by code
    conflicts: int = 0

    @property
    def level(self) -> str:
        return self.scale or "nominal"


@dataclass(frozen=True)
class Overall:
    pooled_alpha: Stat  # every code x statement decision is a unit
    masi_alpha: Stat  # the set of chosen codes per statement, MASI distance
    pooled_ci: BootstrapCI[float | None] | None = None  # statements resampled with all their codes


@dataclass
class AgreementReport:
    """Per-code rows, overall figures and the method paragraph for the paper."""

    request: AgreementRequest
    data: UnitData
    rows: list[CodeAgreement]
    overall: Overall
    coverage: tuple[int, ...]  # coverage[m] = statements reviewed by exactly m of the coders
    language: str
    notes: list[str]
    level_names: dict[int, str] = field(default_factory=dict)
    method: str = ""
    variables: list[VariableAgreement] = field(default_factory=list)

    @property
    def coders(self) -> tuple[str, ...]:
        return self.data.coders

    @property
    def pairs(self) -> list[Pair]:
        k = len(self.data.coders)
        return [(i, j) for i in range(k) for j in range(i + 1, k)]

    def pair_label(self, pair: Pair) -> str:
        return f"{self.coders[pair[0]]}–{self.coders[pair[1]]}"

    def row(self, code_name: str) -> CodeAgreement:
        for row in self.rows:
            if code_name in (row.code.name, row.code.label):
                return row
        raise KeyError(code_name)


@dataclass(frozen=True)
class ConfusionView:
    """Where coder A used X, what did coder B use (see :func:`agreement_stats.confusion`)."""

    coder_a: str
    coder_b: str
    confusion: Confusion
