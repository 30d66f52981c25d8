"""The names workers, `harvester enqueue` and Flower share: queues and tasks."""

HTTP_QUEUE, BROWSER_QUEUE = "http", "browser"
QUEUES = (HTTP_QUEUE, BROWSER_QUEUE)
HARVEST, PUSH, MONITORS, ENQUEUE = "harvester.harvest", "harvester.push", "harvester.monitors", "harvester.enqueue_due"
