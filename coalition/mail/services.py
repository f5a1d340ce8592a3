"""The one place where mail is queued, rendered and sent."""

import hashlib
import logging
import smtplib
import weakref
from contextlib import nullcontext
from datetime import timedelta
from functools import cache, lru_cache

from celery.utils import uuid
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, connections, router, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutgoingMail

logger = logging.getLogger(__name__)

# Rows younger than this are still expected to be enqueued by their own on_commit hook.
REQUEUE_GRACE = timedelta(minutes=1)
# Longer than the whole retry schedule: a row still queued after this lost its retry message.
LOST_RETRY = timedelta(hours=3)
MAX_ATTEMPTS = 20


class TemporaryMailError(Exception):
    """Sending failed in a way worth retrying (SMTP down, 4xx answers)."""


def mail_queue(*, kind, to, language="en", signature=None, organisation=None, subject="", body_text="", body_html=""):
    """Record a mail we owe, in the caller's transaction; enqueue it once that commits.

    Most kinds are rendered when sent, from the current state; `subject`/`body_*` carry a mail rendered now."""
    mail = OutgoingMail.objects.create(
        kind=kind,
        to=to,
        language=language,
        signature=signature,
        organisation=organisation,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
    )
    transaction.on_commit(lambda: mail_enqueue(mail_id=mail.pk), robust=True)
    return mail


def mail_queue_with_row(row, *, link, kind, to, language="en"):
    """Insert `row` (a new, validated model instance) and the mail it owes, whose `link` points at it: the same
    outbox row as `row.save()` then `mail_queue(...)` in one transaction, enqueued the same way once that commits.

    On PostgreSQL the two rows go in one statement (a data-modifying WITH), which commits on its own: one round trip
    instead of four (BEGIN, two INSERTs, COMMIT), on the path every signature takes. Inside a caller's transaction it
    runs under a savepoint, so a failed insert leaves that transaction usable, as atomic() would. Like
    QuerySet.bulk_create(), it sends no pre_save/post_save signals: neither model has receivers. Elsewhere (SQLite),
    the two saves in one transaction."""
    database = router.db_for_write(type(row))
    connection = connections[database]
    if connection.vendor != "postgresql":
        with transaction.atomic(using=database):
            row.save(using=database)
            return mail_queue(kind=kind, to=to, language=language, **{link: row})
    if hasattr(row, "save_prepare"):
        row.save_prepare()  # what the model's save() derives before writing
    mail = OutgoingMail(kind=kind, to=to, language=language)
    sql, row_fields, mail_fields = _insert_with_row_sql(type(row), link, database)
    params = (*_insert_params(row, row_fields, connection), *_insert_params(mail, mail_fields, connection))
    mail.pk, row.pk = _execute_prepared(connection, sql, params)
    for instance in (row, mail):
        instance._state.adding = False
        instance._state.db = database
    setattr(mail, OutgoingMail._meta.get_field(link).attname, row.pk)
    transaction.on_commit(lambda: mail_enqueue(mail_id=mail.pk), using=database, robust=True)
    return mail


@lru_cache(maxsize=16)
def _insert_with_row_sql(model, link, database):
    """The statement of mail_queue_with_row for `model`, and the fields whose values it takes, in order.

    Built once per model, link and database by Django's own insert compiler, so defaults' placeholders, quoting and
    RETURNING are the ORM's; each signature then only prepares its values (_insert_params). Compiling the two
    INSERTs again for every signature cost a tenth of a sign POST."""
    connection = connections[database]
    quote = connection.ops.quote_name
    link_field = OutgoingMail._meta.get_field(link)
    row_fields = _insert_fields(model)
    mail_fields = [field for field in _insert_fields(OutgoingMail) if field is not link_field]
    # Identifiers from the models' meta, quoted; the values all go as parameters.
    inserted_pk = f"(SELECT {quote(model._meta.pk.column)} FROM {quote('inserted')})"  # noqa: S608
    mail = OutgoingMail(**{link_field.attname: RawSQL(inserted_pk, ())})  # noqa: S611
    row_sql = _insert_sql(model(), [model._meta.pk], connection)
    mail_sql = _insert_sql(mail, [OutgoingMail._meta.pk, link_field], connection)
    return f"WITH {quote('inserted')} AS ({row_sql}) {mail_sql}", row_fields, mail_fields


# Per database session (the raw connection): the names of the statements it has prepared.
_prepared = weakref.WeakKeyDictionary()
_STATEMENT_LOST = "26000"  # invalid_sql_statement_name: EXECUTE of a statement the session does not have
_STATEMENT_EXISTS = "42P05"  # duplicate_prepared_statement: PREPARE of one it has


def _execute_prepared(connection, sql, params):
    """Run `sql` as a statement this database session prepared (PREPARE once, then EXECUTE) and return its row.

    PostgreSQL then parses and plans it once per session instead of for every signature: that was more than half of
    the database's CPU for a signature. Inside a caller's transaction it runs under a savepoint, so a failed insert
    leaves that transaction usable. A session that lost the statement (DEALLOCATE, a pooler's reset) prepares it
    again; one that has it when this process thought not (a PREPARE whose answer never came back) runs it.

    The statement is sent whole each time when sessions do not last: with a connection per request (CONN_MAX_AGE=0),
    where preparing would cost a round trip more, and behind a pooler that hands each transaction another session
    (PgBouncer's transaction mode, DATABASE_TRANSACTION_POOLER)."""
    name, prepare, execute = _statement(sql, len(params))
    whole = connection.settings_dict["CONN_MAX_AGE"] == 0 or connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"]
    for attempt in (1, 2):
        savepoint = transaction.atomic(using=connection.alias) if connection.in_atomic_block else nullcontext()
        try:
            with savepoint, connection.cursor() as cursor:
                if whole:
                    cursor.execute(sql, params)
                    return cursor.fetchone()
                names = _prepared.setdefault(connection.connection, set())
                if name not in names:
                    cursor.execute(prepare)
                    names.add(name)
                cursor.execute(execute, params)
                return cursor.fetchone()
        except DatabaseError as exc:
            code = getattr(exc.__cause__, "pgcode", None)
            if attempt == 2 or code not in (_STATEMENT_LOST, _STATEMENT_EXISTS):
                raise
            # The session and this process disagreed on whether it holds the statement: it now says which.
            names = _prepared.setdefault(connection.connection, set())
            if code == _STATEMENT_LOST:
                names.discard(name)
            else:
                names.add(name)


@lru_cache(maxsize=16)
def _statement(sql, count):
    """The name, PREPARE and EXECUTE of `sql`, worked out once: %s placeholders become PostgreSQL's $1, $2, ...
    (the SQL is Django's compiler's: no literal %)."""
    parts = sql.split("%s")
    if len(parts) != count + 1 or "%" in "".join(parts):
        raise ValueError("unexpected placeholders in a statement to prepare")
    name = "coalition_" + hashlib.sha256(sql.encode()).hexdigest()[:20]
    numbered = "".join(f"{part}${index}" for index, part in enumerate(parts[:-1], start=1)) + parts[-1]
    return name, f"PREPARE {name} AS {numbered}", f"EXECUTE {name} ({', '.join(['%s'] * count)})"


def _insert_fields(model):
    meta = model._meta
    # Model._save_table also leaves out generated fields and reads back db_default ones; these models have neither.
    assert not any(
        field.generated or field.db_returning for field in meta.local_concrete_fields if field is not meta.pk
    )
    return [field for field in meta.local_concrete_fields if field is not meta.auto_field]


def _insert_sql(instance, returning, connection):
    """The INSERT that instance.save() would send for a new row, with RETURNING `returning`, by Django's own
    compiler. Only its SQL is kept, so each value must be a plain placeholder, but for an expression (the link)."""
    fields = _insert_fields(type(instance))
    query = InsertQuery(type(instance))
    query.insert_values(fields, [instance])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = returning
    [(sql, params)] = compiler.as_sql()
    links = [field for field in fields if hasattr(getattr(instance, field.attname), "resolve_expression")]
    if len(params) != len(fields) - len(links) or any(hasattr(field, "get_placeholder") for field in fields):
        raise TypeError(f"{type(instance).__name__}: a value that is not one plain placeholder")
    return sql


def _insert_params(instance, fields, connection):
    """The values of `instance` for the placeholders of _insert_sql, as the compiler prepares them: each field's
    pre_save (auto_now_add and the like) and its database conversion."""
    params = []
    for field in fields:
        value = field.pre_save(instance, add=True)
        if hasattr(value, "resolve_expression"):
            raise TypeError(f"{field.name}: an expression where the statement has a placeholder")
        params.append(field.get_db_prep_save(value, connection=connection))
    return params


def mail_enqueue(*, mail_id):
    """Hand a mail to the broker. A dead broker is not the caller's problem: the row waits for requeue_owed_mail."""
    from .tasks import send_outgoing_mail

    try:
        # The task itself, not the shared_task proxy, which looks the task up again on each of the half-dozen
        # attribute reads of a publish.
        task = send_outgoing_mail._get_current_object()
        app = task.app
        route = None if app.conf.task_always_eager else _plain_route(task)
        if route is None or app.current_worker_task is not None:
            # Eager (run here); or inside the periodic job's requeue, whose messages apply_async links to it.
            task.apply_async((mail_id,))
        else:
            _publish(task, mail_id, route)
    except Exception:
        logger.warning("Could not enqueue mail %s; the periodic job will retry", mail_id, exc_info=True)


def _publish(task, mail_id, route):
    """The message apply_async sends for task(mail_id), built and published by the calls it makes itself
    (app.amqp.create_task_message and send_task_message, task protocol 2), on a producer from the app's pool.

    Every signature publishes one of these, and apply_async costs about twice the CPU of these two calls: for each
    message it works out the task's options and route again, looks for a parent task and a result backend, and
    builds a result object nobody reads. _plain_route says when none of that changes the message. The queue is
    Redis's list named "mail", which needs no exchange or binding declared first (the worker declares its queues
    when it starts), and the one id needs no safe repr."""
    app = task.app
    message = app.amqp.create_task_message(
        uuid(),
        task.name,
        (mail_id,),
        {},
        reply_to=app.thread_oid,
        ignore_result=task.ignore_result,
        argsrepr=f"({mail_id},)",
        kwargsrepr="{}",
    )
    with app.producer_or_acquire() as producer:
        app.amqp.send_task_message(producer, task.name, message, **route, declare=[])


@cache
def _plain_route(task):
    """The task's route, worked out once, when its messages need nothing else from apply_async: no publish options
    of the task's own (time limits, expiry, priority, another serializer), no result backend to tell, no task-sent
    events. None otherwise: then apply_async sends each message."""
    app = task.app
    conf = app.conf
    own_options = {key: value for key, value in task._get_exec_options().items() if value is not None}
    if (
        own_options.keys() - {"serializer"}
        or own_options.get("serializer", conf.task_serializer) != conf.task_serializer
        or conf.result_backend
        or conf.task_send_sent_event
    ):
        return None
    return app.amqp.router.route({}, task.name, (), {}, task)


def _is_temporary(exc):
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500 or exc.smtp_code in (-1, 421)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    return isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError))


def _claim(mail_id):
    now = timezone.now()
    return (
        OutgoingMail.objects.filter(pk=mail_id)
        .filter(
            Q(status=OutgoingMail.Status.QUEUED)
            | Q(status=OutgoingMail.Status.SENDING, claimed_at__lt=now - settings.MAIL_CLAIM_TIMEOUT)
        )
        .update(status=OutgoingMail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def _context(mail):
    from coalition.signatures import services as signature_services

    context = {
        "site_url": settings.SITE_URL,
        "signature": mail.signature,
        "organisation": mail.organisation,
        "update": mail.update,
    }
    if mail.kind == OutgoingMail.Kind.SIGNATURE_CONFIRMATION:
        context["confirm_url"] = signature_services.signature_confirmation_link(signature=mail.signature)
    elif mail.kind == OutgoingMail.Kind.ORGANISATION_CONFIRMATION:
        context["confirm_url"] = signature_services.organisation_confirmation_link(organisation=mail.organisation)
    elif mail.kind == OutgoingMail.Kind.COALITION_UPDATE:
        from coalition.accounts.services import unsubscribe_url

        context["subject"], context["text"] = mail.update.text(mail.language)
        context["unsubscribe_url"] = unsubscribe_url(email=mail.to)
    return context


def mail_render(*, kind, language, context):
    """Subject, text body and HTML body from templates/emails/<kind>_{subject.txt,body.txt,body.html}."""
    with translation.override(language):
        subject = render_to_string(f"emails/{kind}_subject.txt", context).strip()
        text = render_to_string(f"emails/{kind}_body.txt", context)
        html = render_to_string(f"emails/{kind}_body.html", context)
    return " ".join(subject.split()), text, html


def mail_is_still_owed(mail):
    if mail.kind == OutgoingMail.Kind.ACCOUNT:
        return bool(mail.body_text)
    if mail.kind == OutgoingMail.Kind.SIGNATURE_CONFIRMATION:
        return mail.signature is not None and mail.signature.status == mail.signature.Status.PENDING
    if mail.kind == OutgoingMail.Kind.ORGANISATION_CONFIRMATION:
        organisation = mail.organisation
        return (
            organisation is not None
            and organisation.contact_confirmed_at is None
            and organisation.status != organisation.Status.REJECTED
        )
    if mail.kind == OutgoingMail.Kind.COALITION_UPDATE:
        # Checked again when sent: an unsubscribe between the organiser's click and this mail stops it.
        from coalition.accounts.selectors import update_recipients

        return mail.update is not None and bool(update_recipients(emails=[mail.to]))
    return mail.signature is not None


def mail_send(*, mail_id):
    """Send one outbox row, at most once. Raises TemporaryMailError when a retry may succeed."""
    if not _claim(mail_id):
        return "skipped"
    mail = OutgoingMail.objects.select_related("signature", "organisation", "update").get(pk=mail_id)
    if not mail_is_still_owed(mail):
        OutgoingMail.objects.filter(pk=mail_id).update(status=OutgoingMail.Status.SENT, last_error="no longer needed")
        return "not needed"
    if mail.kind == OutgoingMail.Kind.ACCOUNT:
        subject, text, html = mail.subject, mail.body_text, mail.body_html
    else:
        subject, text, html = mail_render(kind=mail.kind, language=mail.language, context=_context(mail))
    message = EmailMultiAlternatives(subject=subject, body=text, to=[mail.to], headers=mail_headers(to=mail.to))
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:
        temporary = _is_temporary(exc)
        OutgoingMail.objects.filter(pk=mail_id).update(
            status=OutgoingMail.Status.QUEUED if temporary else OutgoingMail.Status.FAILED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        if temporary:
            raise TemporaryMailError(str(exc)) from exc
        logger.error("Mail %s refused for good: %s", mail_id, exc)
        return "failed"
    # Sign-in codes and links are not kept once delivered.
    OutgoingMail.objects.filter(pk=mail_id).update(
        status=OutgoingMail.Status.SENT, sent_at=timezone.now(), body_text="", body_html=""
    )
    return "sent"


def mail_headers(*, to):
    """Headers every mail carries: a one-click way out of coalition updates (RFC 2369 and RFC 8058)."""
    from coalition.accounts.services import unsubscribe_url

    url = unsubscribe_url(email=to)
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def mail_give_up(*, mail_id, error):
    OutgoingMail.objects.filter(pk=mail_id, status=OutgoingMail.Status.QUEUED).update(
        status=OutgoingMail.Status.FAILED, last_error=error[:2000]
    )


@transaction.atomic
def mail_retry(*, mail_ids):
    """Organisers' retry of mails that gave up: queued again from scratch. Returns how many."""
    ids = list(
        OutgoingMail.objects.filter(pk__in=mail_ids, status=OutgoingMail.Status.FAILED).values_list("pk", flat=True)
    )
    OutgoingMail.objects.filter(pk__in=ids).update(status=OutgoingMail.Status.QUEUED, attempts=0, last_error="")
    for mail_id in ids:
        transaction.on_commit(lambda mail_id=mail_id: mail_enqueue(mail_id=mail_id), robust=True)
    return len(ids)


def mail_owed_ids():
    """Mails that should have gone by now but have not: never enqueued, or claimed by a dead worker."""
    now = timezone.now()
    return list(
        OutgoingMail.objects.filter(
            Q(status=OutgoingMail.Status.QUEUED, created_at__lt=now - REQUEUE_GRACE, attempts=0)
            | Q(status=OutgoingMail.Status.QUEUED, claimed_at__lt=now - LOST_RETRY, attempts__lt=MAX_ATTEMPTS)
            | Q(status=OutgoingMail.Status.SENDING, claimed_at__lt=now - settings.MAIL_CLAIM_TIMEOUT)
        ).values_list("pk", flat=True)[:1000]
    )
