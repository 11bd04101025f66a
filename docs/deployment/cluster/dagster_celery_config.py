"""Celery settings of the smartcommerce workers (dagster-celery reads this module by name).

Put this folder on the workers' PYTHONPATH, next to the checkout:

    PYTHONPATH=/srv/smartcommerce/app:/srv/smartcommerce/app/docs/deployment/cluster \
      .venv/bin/celery -A dagster_celery.app worker --prefetch-multiplier=1 --concurrency=2 -n w1@%h

The broker (also the result backend) is the one the code location uses:
``$SMARTCOMMERCE_CELERY_BROKER``, e.g. ``redis://:password@redis.internal:6379/0``.
"""

import os

broker_url = os.environ.get("SMARTCOMMERCE_CELERY_BROKER", "redis://127.0.0.1:6379/0")
result_backend = broker_url
