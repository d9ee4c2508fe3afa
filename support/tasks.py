from celery import shared_task

from support import services


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def send_request_notice(self, notice_id: int) -> bool:
    """Sends one queued e-mail to a school; safe to run twice (the row is claimed)."""
    try:
        return services.notice_send(notice_id=notice_id)
    except Exception as exc:
        raise self.retry(exc=exc) from exc


@shared_task
def send_pending_notices() -> int:
    """The sweep: notices whose task was lost (a broker restart) go out here."""
    ids = services.notice_pending_ids()
    for notice_id in ids:
        send_request_notice.delay(notice_id)
    return len(ids)
