"""HTTP plumbing shared by broker clients: rate limits, retries, redaction, request log."""

from desktop_app.net.http import BrokerHttp, ErrorMapper
from desktop_app.net.limiter import Budget, Priority, RateLimiter
from desktop_app.net.redact import Redactor
from desktop_app.net.request_log import LogEntry, RequestLog

__all__ = [
    "BrokerHttp", "Budget", "ErrorMapper", "LogEntry", "Priority", "RateLimiter",
    "Redactor", "RequestLog",
]
