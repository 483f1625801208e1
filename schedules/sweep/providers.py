"""Every provider the sweep asks, in one list: what the clock sends, feature by feature.

A feature's provider is a plain function (``bot.core.outbox``); it is asked because it is named
here, not because its module was imported. The order is the order they are asked in.
"""

from __future__ import annotations

from bot.core.outbox import Providers
from bot.core.school_calendar import attach_district_dates
from bot.digests import monthly, prefs, weekly
from bot.nudges.district_steps import district_nudges
from bot.nudges.provider import nudges_due
from bot.nudges.school_days import attach_district
from bot.setup.editions import edition_notices
from bot.store.schema import DIGEST_OPTOUTS_SETTING, DISTRICT_DATES_SETTING, DISTRICT_HOLIDAYS_SETTING

OUTBOX = Providers(
    school={
        "monthly-digest": monthly.due_digest,  # the school's monthly update in its channel
        "nudges": nudges_due,  # the nudge calendar, with the notes prompts
        "editions": edition_notices,  # a new edition of the guidance at rollover, told once
    },
    workspace={
        "liaison-digest": monthly.due_rollups,  # each liaison's monthly roll-up DM
        "digest": weekly.weekly_digests,  # each liaison's Monday DM
        "district-steps": district_nudges,  # steps held once per district, to the district role
    },
    settings={
        DISTRICT_HOLIDAYS_SETTING: attach_district,  # the district's holidays, for the school days
        DISTRICT_DATES_SETTING: attach_district_dates,  # the district's own dates where the documents give none
        DIGEST_OPTOUTS_SETTING: prefs.attach,  # the digests people turned off for themselves
    },
)
