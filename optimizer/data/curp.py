"""Vectorised generation of CURP-shaped national IDs for synthetic people (valid pattern and check digit).

The IDs are random: they follow RENAPO's structure (name letters, birth date, sex, entity, consonants,
homonymy character, check digit) but belong to nobody.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.domain import RENAPO_CODES

_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(_ALPHABET)}
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_VOWELS = np.array(list("AEIOU"))
_CONSONANTS = np.array(list("BCDFGHJKLMNPQRSTVWXYZ"))
_DIGITS = np.array(list("0123456789"))
# Words RENAPO replaces because they are rude; skip them by regenerating the 4 letters.
_AVOID = {"BUEI", "BUEY", "CACA", "CACO", "CAGA", "CAGO", "CAKA", "COGE", "COJA", "COJE", "COJI", "COJO",
          "CULO", "FETO", "GUEY", "JOTO", "KACA", "KACO", "KAGA", "KAGO", "KOGE", "KOJO", "KAKA", "KULO",
          "MAME", "MAMO", "MEAR", "MEON", "MION", "MOCO", "MULA", "PEDA", "PEDO", "PENE", "PUTA", "PUTO",
          "QULO", "RATA", "RUIN"}


def random_curps(rng: np.random.Generator, birth_dates: pd.Series | np.ndarray, sexes: np.ndarray,
                 cve_ent: np.ndarray) -> np.ndarray:
    """One CURP per person: ``birth_dates`` (datetime64), ``sexes`` ("F"/"M"), ``cve_ent`` ("01".."32")."""
    n = len(sexes)
    first = rng.choice(_LETTERS, n)
    vowel = rng.choice(_VOWELS, n)
    l3 = rng.choice(_LETTERS, n)
    l4 = rng.choice(_LETTERS, n)
    head = np.char.add(np.char.add(first, vowel), np.char.add(l3, l4))
    bad = np.isin(head, list(_AVOID))
    head[bad] = np.char.add(np.char.add(first[bad], "X"), np.char.add(l3[bad], l4[bad]))
    dates = pd.DatetimeIndex(birth_dates)
    yymmdd = np.asarray(dates.strftime("%y%m%d"), dtype=str)
    sex = np.where(np.asarray(sexes) == "F", "M", "H")  # CURP uses H (hombre) / M (mujer)
    entity = np.vectorize(RENAPO_CODES.__getitem__, otypes=[str])(np.asarray(cve_ent, dtype=str))
    cons = np.char.add(np.char.add(rng.choice(_CONSONANTS, n), rng.choice(_CONSONANTS, n)),
                       rng.choice(_CONSONANTS, n))
    born_2000s = np.asarray(dates.year) >= 2000
    homonymy = np.where(born_2000s, rng.choice(_LETTERS, n), rng.choice(_DIGITS, n))
    first17 = head
    for part in (yymmdd, sex, entity, cons, homonymy):
        first17 = np.char.add(first17, part)
    return np.char.add(first17, _check_digits(first17))


def _check_digits(first17: np.ndarray) -> np.ndarray:
    codes = np.array([[_VALUE[ch] for ch in s] for s in first17], dtype=np.int64).reshape(len(first17), 17)
    weights = np.arange(18, 1, -1, dtype=np.int64)
    digit = (10 - (codes @ weights) % 10) % 10
    return digit.astype(str)
