from coalition.mail.models import OutgoingMail
from coalition.mail.tasks import MAX_RETRIES, send_outgoing_mail


def test_a_mail_that_gave_up_is_visible_and_organisers_can_retry_it(
    client, admin_user, letter, sign, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # SMTP down
    sign()
    mail = OutgoingMail.objects.get()
    # Its last retry fails too: the task gives up and says so.
    OutgoingMail.objects.filter(pk=mail.pk).update(attempts=MAX_RETRIES)
    send_outgoing_mail.apply(args=[mail.pk], throw=False)
    mail.refresh_from_db()
    assert mail.status == OutgoingMail.Status.FAILED
    assert mail.last_error

    client.force_login(admin_user)
    page = client.get("/admin/mail/outgoingmail/?status__exact=failed")
    assert "ada@example.org" in page.text

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # SMTP back
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/mail/outgoingmail/", {"action": "retry", "_selected_action": [mail.pk]}, follow=True
        )
    assert "1 mail queued again." in response.text
    mail.refresh_from_db()
    assert mail.status == OutgoingMail.Status.SENT
    assert len(mailoutbox) == 1
