"""Every table of the gateway in one MetaData, for Alembic (env.py) and the test that migrations match the models.

Each feature declares its tables on api.core.db.Base; a model module not imported here is invisible to autogenerate.
"""

from __future__ import annotations

from api.accounts import models as accounts_models
from api.cases import models as cases_models
from api.channels import store as channels_store
from api.chat import feedback as chat_feedback
from api.core.db import Base
from api.handoff import models as handoff_models

MODEL_MODULES = (accounts_models, cases_models, channels_store, chat_feedback, handoff_models)
metadata = Base.metadata
