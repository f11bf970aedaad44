"""Events out: the outbox (an event written in the transaction of its change), webhooks a district
admin subscribes to, emails to the person who must act, and the runner that delivers them.
May import the services kernel, models and :mod:`..people`; writers of other domains call
:func:`.outbox.record_event`.
"""
