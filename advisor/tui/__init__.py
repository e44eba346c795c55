"""The Textual questionnaire behind `advisor tui`: device -> model -> goals -> plan.

Every screen lives in its own module and returns a typed result; the app (app.py) only sequences them and calls
`advisor.planner.make_plan`. Styles are in app.tcss.
"""
