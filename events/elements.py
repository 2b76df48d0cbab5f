"""The chemical element symbols a recycler may report masses for, plus the one non-element stream the
规范条件 sets a threshold on."""

from __future__ import annotations

_PERIODIC_TABLE = """
    H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr
    Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb
    Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf
    Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og
"""
ELEMENT_SYMBOLS: frozenset[str] = frozenset(_PERIODIC_TABLE.split())

ELECTRODE_POWDER = "electrode_powder"  # recovered electrode (black mass) powder, not an element
MATERIAL_KEYS: frozenset[str] = ELEMENT_SYMBOLS | {ELECTRODE_POWDER}
