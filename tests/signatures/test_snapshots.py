import base64
import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from coalition.core.models import StoredFile
from coalition.signatures import moderation, services, tasks
from coalition.signatures.models import ListSnapshot


def download(client, day):
    response = client.get(f"/press/snapshots/{day}.csv")
    return response, b"".join(response.streaming_content) if response.status_code == 200 else b""


def test_the_daily_task_writes_the_public_list_with_its_fingerprint(client, signature_factory, admin_user):
    signature_factory(name="Listed Actor", email="listed@private.example", craft="actor", country="FR")
    signature_factory(name="Hidden Person", public=False)
    signature_factory(name="Pending Person", pending=True)
    gone = signature_factory(name="Withdrawn Person")
    moderation.signature_move(signature=gone, to="withdrawn", actor=admin_user)

    day = tasks.snapshot_public_list.delay().get()

    snapshot = ListSnapshot.objects.get()
    assert snapshot.day.isoformat() == day and snapshot.rows == 1
    response, content = download(client, day)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'filename="signatories-{day}.csv"' in response["Content-Disposition"]
    assert hashlib.sha256(content).hexdigest() == snapshot.sha256 and len(content) == snapshot.size
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert [r["name"] for r in rows] == ["Listed Actor"] and rows[0]["country"] == "FR"
    assert b"@" not in content and b"private.example" not in content


def test_running_the_task_twice_a_day_keeps_one_snapshot(signature_factory):
    signature_factory()
    first = tasks.snapshot_public_list.delay().get()
    signature_factory()  # a later run the same day must not replace what was published
    assert tasks.snapshot_public_list.delay().get() == first
    snapshot = ListSnapshot.objects.get()
    assert snapshot.rows == 1
    assert StoredFile.objects.filter(name__startswith="snapshots/").count() == 1


def test_each_day_gets_its_own_snapshot(letter, signature_factory):
    signature_factory()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    _, created = services.list_snapshot_take(letter=letter, now=yesterday)
    assert created
    signature_factory()
    today, created = services.list_snapshot_take(letter=letter)
    assert created and today.rows == 2
    assert list(ListSnapshot.objects.values_list("rows", flat=True)) == [2, 1]


def test_names_that_look_like_formulas_are_neutralised_in_the_snapshot(client, signature_factory):
    signature_factory(name="=cmd|' /C calc'!A0")
    day = tasks.snapshot_public_list.delay().get()
    assert b"'=cmd" in download(client, day)[1]


def test_the_press_page_lists_snapshots_and_explains_how_to_check_them(client, signature_factory):
    signature_factory.create_batch(3)
    day = tasks.snapshot_public_list.delay().get()
    snapshot = ListSnapshot.objects.get()
    page = client.get("/press/").text
    assert snapshot.sha256 in page
    assert f'href="/press/snapshots/{day}.csv"' in page
    assert "sha256sum" in page
    for link in ('href="/api/v1/schema/"', 'href="/feeds/notable.atom"', 'href="/corrections/"'):
        assert link in page
    assert "&lt;iframe src=&quot;http://127.0.0.1:8000/embed/counter/&quot;" in page
    assert "&lt;img src=&quot;http://127.0.0.1:8000/badge.svg&quot;" in page
    assert "/press/" in client.get("/signatories/").text, "the footer links the press page"


@pytest.mark.parametrize(
    "day",
    ["2026-02-30", "2026-13-01", "99999-01-01", "20261125", "yesterday", "2026-11-25%00", "../../etc/passwd", "é"],
)
def test_a_bad_or_unknown_date_is_a_404_never_an_error(client, letter, day):
    response = client.get(f"/press/snapshots/{day}.csv")
    assert response.status_code in (400, 404)


def test_a_snapshot_whose_file_is_gone_is_a_404(client, signature_factory):
    signature_factory()
    day = tasks.snapshot_public_list.delay().get()
    default_storage.delete(ListSnapshot.objects.get().file.name)
    assert client.get(f"/press/snapshots/{day}.csv").status_code == 404


def test_a_snapshot_download_can_be_revalidated_by_its_fingerprint(client, signature_factory):
    signature_factory()
    day = tasks.snapshot_public_list.delay().get()
    response, _ = download(client, day)
    assert "immutable" in response["Cache-Control"]
    assert client.get(f"/press/snapshots/{day}.csv", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_the_press_page_makes_few_queries_whatever_the_number_of_snapshots(
    client, letter, signature_factory, django_assert_max_num_queries
):
    signature_factory()
    now = datetime.now(UTC)
    for n in range(5):
        services.list_snapshot_take(letter=letter, now=now - timedelta(days=n))
    # The snapshots, the letter, and the consent registry's counter (cached a minute).
    with django_assert_max_num_queries(3):
        assert client.get("/press/").status_code == 200
    # The snapshot's row, and its file from the database storage (one query for a file under a megabyte).
    with django_assert_max_num_queries(3):
        assert download(client, now.date().isoformat())[0].status_code == 200


def test_organisers_see_snapshots_in_the_admin_but_cannot_alter_them(admin_client, signature_factory):
    signature_factory()
    tasks.snapshot_public_list.delay().get()
    snapshot = ListSnapshot.objects.get()
    assert snapshot.sha256 in admin_client.get("/admin/signatures/listsnapshot/").text
    assert admin_client.get(f"/admin/signatures/listsnapshot/{snapshot.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/signatures/listsnapshot/{snapshot.pk}/change/", {"rows": 9}).status_code == 403
    assert ListSnapshot.objects.get().rows == 1


def _days(letter, signature_factory, *days):
    """Snapshots taken on each of `days` (of January 2026), the list growing by one signature a day."""
    snapshots = {}
    for day in days:
        signature_factory()
        snapshot, created = services.list_snapshot_take(letter=letter, now=datetime(2026, 1, day, 12, tzinfo=UTC))
        assert created
        snapshots[day] = snapshot
    return snapshots


def verify():
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_snapshots", stdout=out, stderr=err)
    return out.getvalue()


def verify_fails():
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_snapshots", stdout=io.StringIO(), stderr=err)
    return str(failure.value), err.getvalue()


def test_each_snapshot_is_chained_to_the_one_before_and_the_press_page_shows_the_chain(
    client, letter, signature_factory
):
    snapshots = _days(letter, signature_factory, 1, 2, 3)
    assert [snapshots[day].prev_sha256 for day in (1, 2, 3)] == ["", snapshots[1].sha256, snapshots[2].sha256]
    page = client.get("/press/").text
    for day in (2, 3):
        assert page.count(snapshots[day - 1].sha256) == 2, "its own fingerprint, and the next day's link to it"
    assert "the first snapshot" in page
    assert "chain is broken" not in page
    assert verify() == f"{letter.slug}: 3 snapshots, files and chain intact.\n"


def _stored(name):
    with default_storage.open(name) as file:
        return file.read()


def _rewrite(name, data):
    """What someone with access to the storage could do: the file replaced under its own name."""
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(data)) == name


def test_a_tampered_file_is_found_and_named(letter, signature_factory):
    snapshots = _days(letter, signature_factory, 1, 2, 3)
    name = snapshots[2].file.name
    _rewrite(name, _stored(name).replace(b"\n", b"\nForged Name,actor,Actor,,,,2026-01-01T00:00:00Z\n", 1))
    message, details = verify_fails()
    assert "the first broken day is 2026-01-02" in message
    assert "2026-01-02: the file was altered" in details
    assert "2026-01-03" not in details


def test_a_tampered_file_whose_recorded_fingerprint_was_changed_too_breaks_the_next_day(
    client, letter, signature_factory
):
    snapshots = _days(letter, signature_factory, 1, 2, 3)
    name = snapshots[2].file.name
    forged = _stored(name) + b"Forged Name,actor,Actor,,,,2026-01-01T00:00:00Z\n"
    _rewrite(name, forged)
    ListSnapshot.objects.filter(pk=snapshots[2].pk).update(sha256=hashlib.sha256(forged).hexdigest(), size=len(forged))
    message, details = verify_fails()
    assert "the first broken day is 2026-01-03" in message
    assert "not on record" in details
    assert "chain is broken" in client.get("/press/").text


def test_a_deleted_day_is_found_and_named(client, letter, signature_factory):
    snapshots = _days(letter, signature_factory, 1, 2, 3, 4)
    default_storage.delete(snapshots[2].file.name)
    ListSnapshot.objects.filter(pk=snapshots[2].pk).delete()
    message, details = verify_fails()
    assert "the first broken day is 2026-01-03" in message
    assert "not to 2026-01-01 before it: a day was removed" in details
    page = client.get("/press/").text
    assert page.count("chain is broken") == 1


def test_the_first_day_deleted_is_found(letter, signature_factory):
    snapshots = _days(letter, signature_factory, 1, 2)
    ListSnapshot.objects.filter(pk=snapshots[1].pk).delete()
    message, details = verify_fails()
    assert "the first broken day is 2026-01-02" in message
    assert "an earlier day was removed" in details


def test_an_inserted_day_is_found_and_named(client, letter, signature_factory):
    _days(letter, signature_factory, 1, 3, 4)
    # A day added afterwards, even through the service, which links it to the day before it.
    _days(letter, signature_factory, 2)
    message, details = verify_fails()
    assert "the first broken day is 2026-01-03" in message
    assert "it links to 2026-01-01, not to 2026-01-02" in details and "a day was inserted after 2026-01-01" in details
    assert client.get("/press/").text.count("chain is broken") == 1


def test_a_missing_file_is_found(letter, signature_factory):
    snapshots = _days(letter, signature_factory, 1, 2)
    default_storage.delete(snapshots[1].file.name)
    message, details = verify_fails()
    assert "the first broken day is 2026-01-01" in message
    assert "cannot be read" in details


def test_no_snapshots_yet_is_not_an_error(letter):
    assert verify() == ""


def test_the_press_page_before_the_first_snapshot_says_one_is_coming(client, letter):
    response = client.get("/press/")
    assert response.status_code == 200
    assert "The first snapshot will be taken within the hour." in response.text
