"""Agreement on categorical variables: sets of mutually exclusive codes and scale codes.

Why apart from the per-code report: a set of exclusive codes is one variable with several
categories, and reading it code by code (or pooled over its codes) mixes in the many
statements where both coders left every code out. Pooled α can read 0.92 where the
categorical α is −0.02. Here a coder's value on a statement is the one child code used
(rolled up from below), so κ, Fleiss' κ and α are computed on the categories themselves,
and a scale is read at its level of measurement (α ordinal/interval/ratio, weighted κ).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from qcoder.analysis.agreement_coefficients import Weights, fleiss_kappa_listwise, gwet_ac1, weighted_kappa
from qcoder.analysis.agreement_records import Pair, VariableAgreement
from qcoder.analysis.agreement_stats import FloatArray, Stat, cohen_kappa, krippendorff_alpha, pooled_alpha
from qcoder.coding.agreement_units import AgreementRequest, UnitData, load_units
from qcoder.coding.scales import Variable, variables
from qcoder.store.models import Code


def variable_agreements(session: Session, request: AgreementRequest, main: UnitData) -> list[VariableAgreement]:
    """One entry per exclusive set or scale that has values, over the report's coders and documents."""
    found = []
    documents = tuple(d.label for d in main.documents) if main.documents else request.documents
    for variable in variables(session):
        if len(variable.value_ids) < 2 or not documents:
            continue
        names = [session.get(Code, cid) for cid in variable.value_ids]
        sub = AgreementRequest(
            coders=main.coders, codes=tuple(c.name for c in names if c is not None), documents=documents
        )
        found.append(variable_agreement(variable, load_units(session, sub)))
    return found


def value_matrix(variable: Variable, data: UnitData) -> tuple[FloatArray, int]:
    """(coders, units) array of the value each coder gave (its number), NaN if none; and the conflicts.

    A coder who gave a statement two values of the variable (coded before it was marked
    exclusive, or through two child codes below) has no single value there: missing, counted.
    """
    position = {cid: i for i, cid in enumerate(variable.value_ids)}
    numbers = np.array(variable.numbers, dtype=np.float64)
    code_number = np.array([numbers[position[c.id]] for c in data.codes], dtype=np.float64)
    k = len(data.coders)
    hits = np.zeros((k, data.n_units), dtype=np.int64)
    np.add.at(hits, (data.hit_coder, data.hit_unit), 1)
    values = np.full((k, data.n_units), np.nan)
    values[data.hit_coder, data.hit_unit] = code_number[data.hit_code]
    values[hits != 1] = np.nan
    return values, int(np.count_nonzero(hits > 1))


def variable_agreement(variable: Variable, data: UnitData) -> VariableAgreement:
    values, conflicts = value_matrix(variable, data)
    k = values.shape[0]
    pairs: list[Pair] = [(i, j) for i in range(k) for j in range(i + 1, k)]
    level = variable.scale or "nominal"
    ordered = level != "nominal"
    categories = list(variable.numbers)

    def weighted(w: Weights) -> dict[Pair, Stat]:
        if not ordered:
            return {}
        return {(i, j): weighted_kappa(values[i], values[j], w, categories) for i, j in pairs}

    distribution = {
        name: tuple(int(np.count_nonzero(values[c] == number)) for number in variable.numbers)
        for c, name in enumerate(data.coders)
    }
    present = data.present()
    children = [data.matrix(i, present) for i in range(len(data.codes))]
    pooled = pooled_alpha(children) if children else Stat(None, "no codes", 0, k)
    return VariableAgreement(
        name=variable.name,
        scale=variable.scale,
        values=variable.value_names,
        numbers=variable.numbers,
        distribution=distribution,
        kappa={(i, j): cohen_kappa(values[i], values[j]) for i, j in pairs},
        weighted_linear=weighted("linear"),
        weighted_quadratic=weighted("quadratic"),
        fleiss_listwise=fleiss_kappa_listwise(values),
        alpha_nominal=krippendorff_alpha(values, "nominal"),
        alpha_level=krippendorff_alpha(values, level),  # type: ignore[arg-type]
        ac1=gwet_ac1(values, len(categories)),
        pooled_children=pooled,
        conflicts=conflicts,
    )
