"""Which baked projects the template's tests make, and what each one runs, computed from cookiecutter.json.

Every combination of the prompts with choices is baked, installed from its lock, linted, type-checked,
checked with `check --deploy` and built (cheap: seconds each, on shared installs from uv's cache). The
full generated suite (minutes: real services, processes, faults) runs on a pairwise set of them: the
fewest combinations in which every value of every prompt meets every value of every other prompt, the
default among them; plus the default on every Python its Django release supports. A new prompt with
choices in cookiecutter.json joins all of this by itself; a new Django release needs its Pythons below.
"""

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
PROMPTS = json.loads((TEMPLATE / "cookiecutter.json").read_text())
CHOICES = {name: values for name, values in PROMPTS.items() if isinstance(values, list) and not name.startswith("_")}
PYTHONS = {  # the CPython versions each Django release is tested on, the first one for its cheap checks
    "5.2": ["3.11", "3.12", "3.13"],
    "6.1": ["3.12", "3.13"],
}


@dataclass(frozen=True)
class Run:
    answers: dict  # the non-default answers
    python: str
    full: bool  # runs the generated suite too

    @property
    def id(self):
        answers = ",".join(f"{name}={value}" for name, value in self.answers.items()) or "default"
        return f"{answers}-py{self.python}"  # no @: pytest-xdist reads what follows one as the group


def combinations():
    """Every combination of the choices, the default (each prompt's first value) first."""
    return [dict(zip(CHOICES, values, strict=True)) for values in itertools.product(*CHOICES.values())]


def pairs(combination):
    return set(itertools.combinations(combination.items(), 2))


def pairwise(candidates):
    """The fewest of ``candidates`` that hold every pair of values of two prompts, the first among them.
    An exhaustive search, smallest size first: tens of combinations take well under a second."""
    needed = set().union(*map(pairs, candidates))
    first, rest = candidates[0], candidates[1:]
    for size in range(len(rest) + 1):
        for chosen in itertools.combinations(rest, size):
            if set().union(pairs(first), *map(pairs, chosen)) == needed:
                return [first, *chosen]
    raise AssertionError("unreachable: all the candidates together hold every pair")


def non_default(combination):
    return {name: value for name, value in combination.items() if value != CHOICES[name][0]}


def runs():
    """The default on each of its Pythons; the other pairwise combinations each on one Python of its Django
    release (taking their turns, newest first); every other combination on its Django's first Python."""
    everything = combinations()
    full = pairwise(everything)
    default, others = full[0], full[1:]
    result = [Run({}, python, full=True) for python in PYTHONS[default["django_version"]]]
    turns = {release: itertools.cycle(reversed(pythons)) for release, pythons in PYTHONS.items()}
    result += [Run(non_default(c), next(turns[c["django_version"]]), full=True) for c in others]
    result += [Run(non_default(c), PYTHONS[c["django_version"]][0], full=False) for c in everything if c not in full]
    return result


RUNS = {run.id: run for run in runs()}
FULL = [run_id for run_id, run in RUNS.items() if run.full]
# One run per combination: the cheap checks need no second Python.
EACH_COMBINATION: list[str] = []
for _run_id, _run in RUNS.items():
    if all(RUNS[other].answers != _run.answers for other in EACH_COMBINATION):
        EACH_COMBINATION.append(_run_id)


if __name__ == "__main__":  # the table of the template's README
    print("| Combination | Python | Runs |\n| --- | --- | --- |")
    for run_id, run in RUNS.items():
        combination = run_id.rsplit("-py", 1)[0].replace(",", ", ")
        checks = "full suite, and the checks" if run.full else "the checks"
        if run_id not in EACH_COMBINATION:
            checks = "full suite"
        print(f"| `{combination}` | {run.python} | {checks} |")
