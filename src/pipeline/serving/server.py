"""`make serve`: the app built before gunicorn starts, and gunicorn serving it."""

from __future__ import annotations

import os
import shutil

from gunicorn.app.base import Application

from pipeline.errors import PipelineError
from pipeline.serving.workers import prepare_shared_dir

GUNICORN_CONFIG = "python:pipeline.serving.gunicorn_conf"
APP = "pipeline.serving.factory:create_app()"


def build(settings: dict[str, object]):
    """The app, built before gunicorn starts, from the PIPELINE_SERVE_* `settings`: a model that
    cannot be served is one PipelineError, not a worker that fails to boot."""
    os.environ.update({name: str(value) for name, value in settings.items() if value is not None})
    shared, created = prepare_shared_dir()
    try:
        from pipeline.serving.factory import create_app

        return create_app()
    except (PipelineError, FileNotFoundError) as error:
        if created:
            shutil.rmtree(shared, ignore_errors=True)
        raise PipelineError(str(error)) from None


def run(app) -> None:
    """Serve `app` until stopped: the settings of `gunicorn --config GUNICORN_CONFIG APP`."""
    Gunicorn(app).run()


class Gunicorn(Application):
    """gunicorn in this process, with the gunicorn config and an app already built."""

    def __init__(self, app):
        self.application = app
        super().__init__()

    def load_config(self) -> None:
        self.load_config_from_module_name_or_filename(GUNICORN_CONFIG)

    def load(self):
        return self.application
