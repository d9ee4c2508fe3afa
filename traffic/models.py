from django.db import models  # noqa: F401  (the models of this app arrive with its issue)
