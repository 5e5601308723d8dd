"""Accounts: signing in, password resets, registering an organisation, invitations, roles.

Plain functions taking the database session (see :mod:`signpost.accounts.users`) and
signed, time-limited tokens (:mod:`signpost.accounts.tokens`). No Flask request code here.
"""
