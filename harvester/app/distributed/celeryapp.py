"""The Celery app, built from the harvester's config: broker, queues `http` and `browser`, delivery settings that
survive a worker's death (late acknowledgement, redelivery), beat's schedule, and the tasks."""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab
from kombu import Queue

from harvester.app.distributed.names import ENQUEUE, HTTP_QUEUE, QUEUES
from harvester.app.distributed.settings import DistributedSettings, load_distributed_settings, require_postgres
from harvester.app.distributed.tasks import register
from harvester.config import HarvesterConfig


def transport_options(settings: DistributedSettings) -> dict[str, float | int]:
    """Redis keeps a delivered, unacknowledged task for `visibility_timeout` seconds, then gives it to another
    worker: a worker killed mid-harvest loses nothing. Sweeps run often enough to honour a short timeout."""
    timeout = settings.effective_visibility_timeout
    return {"visibility_timeout": timeout, "unacked_restore_interval": max(1, min(10, int(timeout / 4))),
            "unacked_restore_throttle": 1}


def create_app(config: HarvesterConfig, settings: DistributedSettings | None = None) -> Celery:
    """A Celery app for this config (PostgreSQL required); nothing connects until a worker starts or a task is
    sent."""
    require_postgres(config)
    settings = settings or load_distributed_settings(config)
    app = Celery("harvester", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # acknowledged when the task ends, so a worker's death gives it back to the queue
        task_reject_on_worker_lost=True,  # a pool process killed mid-task: requeue rather than fail
        worker_prefetch_multiplier=1,  # a worker reserves no more than it runs: idle hosts take the rest
        task_default_queue=HTTP_QUEUE,
        task_queues=[Queue(name) for name in QUEUES],
        task_create_missing_queues=False,
        task_ignore_result=True,  # the store records every run; no result backend to run or watch
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options=transport_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a broker that goes away: workers wait for it and go on
        worker_cancel_long_running_tasks_on_connection_loss=False,  # harvests go on; their redelivery is a no-op
        task_send_sent_event=True,
        worker_send_task_events=True,  # Flower and `harvester queue` see what runs where
        timezone="Asia/Shanghai",
        enable_utc=True,
        beat_schedule={"enqueue-due": {"task": ENQUEUE,
                                       "schedule": crontab(minute="0", hour=",".join(map(str, settings.beat_hours))),
                                       "options": {"queue": HTTP_QUEUE}}},
    )
    register(app)
    return app
