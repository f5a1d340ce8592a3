import base64
import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.storage import default_storage

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
    with django_assert_max_num_queries(2):
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
