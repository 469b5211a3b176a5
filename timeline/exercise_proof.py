"""Proving an exercise's checks, as `manage.py check_exercises` does in CI: the reference solution
passes every check, the starter fails one, and each wrong answer an editor wrote fails, on the
rule it was written for (a failure message holds the answer's rule text). A check that lets a
known wrong answer through, or refuses it for another reason, is a check that can be fooled."""

from .exercise_checks import run_checks

SHOWN = 300


def failures(outcomes):
    return [f"{outcome.name}: {outcome.message}" for outcome in outcomes if not outcome.passed]


def wrong_answer_problem(exercise, answer, run=None):
    """How `answer` escapes the checks, in words, or "" when it fails on its rule."""
    passed, outcomes = run_checks(exercise, answer.code, run=run)
    label = f"wrong answer {answer.order} “{answer.title}”"
    if passed:
        return f"{label} passes every check; it must fail on “{answer.rule}”"
    messages = failures(outcomes)
    if any(answer.rule.casefold() in message.casefold() for message in messages):
        return ""
    said = "; ".join(messages)
    if len(said) > SHOWN:
        said = said[: SHOWN - 1] + "…"
    return f"{label} fails, but not on its rule “{answer.rule}”: {said}"


def proof_problems(exercise, run=None):
    """Each way the exercise's checks fail to prove it, in words; [] when they hold."""
    if not exercise.checks.all():
        return ["it has no checks"]
    problems = []
    passed, outcomes = run_checks(exercise, exercise.solution, run=run)
    if not passed:
        problems.append("the reference solution fails: " + "; ".join(failures(outcomes)))
    passed, _ = run_checks(exercise, exercise.starter, run=run)
    if passed:
        problems.append("the starter code already passes every check")
    for answer in exercise.wrong_answers.all():
        problem = wrong_answer_problem(exercise, answer, run=run)
        if problem:
            problems.append(problem)
    return problems
