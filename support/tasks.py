from celery import shared_task

from support import services


@shared_task(bind=True, max_retries=services.NOTICE_MAX_ATTEMPTS, default_retry_delay=60)
def send_request_notice(self, notice_id: int) -> bool:
    """Sends one queued e-mail to a school; safe to run twice (the row is claimed).
    A refused send is retried later; after NOTICE_MAX_ATTEMPTS the row stays failed."""
    try:
        return services.notice_send(notice_id=notice_id)
    except services.NoticeNotSent as exc:
        if self.request.is_eager:
            raise  # no broker: retrying at once would only burn the attempts
        raise self.retry(exc=exc) from exc


@shared_task
def send_pending_notices() -> int:
    """The sweep: notices whose task was lost (a broker restart) go out here; claims
    left by a worker that died mid-send are flagged for a person."""
    ids, _stale = services.notice_sweep()
    for notice_id in ids:
        send_request_notice.delay(notice_id)
    return len(ids)
