"""The webhook worker's entry point: `huey_consumer worker.huey` (see factcheck/jobs)."""

from factcheck import create_app, jobs

app = create_app()
huey = jobs.connect()
