"""What the clock does: the cycle calendars (``cycles/*.yaml``) and the one sweep that sends
what is due (``sweep.py``)."""
