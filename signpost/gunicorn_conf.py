"""Production server settings: ``gunicorn -c python:signpost.gunicorn_conf wsgi:app``."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# The path only (%(U)s), never the query string: searches carry postcodes.
accesslog = os.environ.get("ACCESS_LOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
