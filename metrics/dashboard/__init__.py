"""The Mätavla dashboard: a Dash multi-page app over the aggregate tables (`results` and friends).

`metrics.dashboard.server.create_app` builds the app; each page lives in `pages/`, and the
pure functions the pages call (formatting, comparison, funnel limits, URL state…) live in
the modules beside this one so they can be tested without a browser.
"""
